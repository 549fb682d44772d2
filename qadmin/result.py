"""What a handler answers and the console settings that shape its rendering (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from qadmin import ast

__all__ = ["OUTPUT_FORMATS", "Chart", "Result", "Settings"]

OUTPUT_FORMATS = ("aligned", "expanded", "csv", "json")


@dataclass(frozen=True, slots=True)
class Chart:
    """A line over time that a terminal shows drawn in place of the table (PLOT LAG).

    points are (seconds since the epoch, value); duration says the values are
    seconds.  The result's rows hold the same data, which is what CSV, JSON and
    output that is not to a terminal show.
    """

    title: str
    points: tuple[tuple[float, float], ...]
    duration: bool = True


@dataclass(frozen=True, slots=True)
class Result:
    """What a handler answers; qadmin.output renders it, the runner acts on the flags.

    types maps a column to how its values read: "number", "duration" (seconds or
    timedelta, shown as `1.2 s`), "rate" (events per second), "time" or
    "sparkline" (a tuple of numbers drawn as bars, only on a terminal: see
    Settings.charts).  volatile names columns whose values change from run to run (masked in the
    test output mode).
    """

    title: str | None = None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    status: str | None = None
    notes: tuple[str, ...] = ()
    types: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    volatile: frozenset[str] = frozenset()
    more: tuple[Result, ...] = ()
    exit: bool = False
    watch: ast.Watch | None = None
    chart: Chart | None = None

    @property
    def has_table(self) -> bool:
        return bool(self.columns)


@dataclass
class Settings:
    """Console settings that commands can change."""

    format: str = "aligned"
    timing: bool = False
    mask_volatile: bool = False
    pager: bool = False
    # sparkline columns and charts: only when a person reads a terminal (the
    # interactive console sets it when stdout is one); never in CSV or JSON
    charts: bool = False
