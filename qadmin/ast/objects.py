"""Commands on captured tables and sequences."""

from __future__ import annotations

from dataclasses import dataclass

from qadmin.ast.base import Command

__all__ = ["ShowSequence", "ShowTable"]


@dataclass(frozen=True, slots=True)
class ShowTable(Command):
    """Describe a table (columns, indexes, constraints, triggers): show table <table>;"""

    table: str


@dataclass(frozen=True, slots=True)
class ShowSequence(Command):
    """Describe a sequence and its current value: show sequence <sequence>;"""

    sequence: str
