"""What a handler answers and the console settings that shape its rendering (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from qadmin import ast

__all__ = ["OUTPUT_FORMATS", "Result", "Settings"]

OUTPUT_FORMATS = ("aligned", "expanded", "csv", "json")


@dataclass(frozen=True, slots=True)
class Result:
    """What a handler answers; qadmin.output renders it, the runner acts on the flags.

    types maps a column to how its values read: "number", "duration" (seconds or
    timedelta, shown as `1.2 s`), "rate" (events per second) or "time".
    volatile names columns whose values change from run to run (masked in the
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
