"""Plain SQL passed through to the server."""

from __future__ import annotations

from dataclasses import dataclass

from qadmin.ast.base import Command

__all__ = ["Sql"]


@dataclass(frozen=True, slots=True)
class Sql(Command):
    """Run plain SQL on the server: select ... | insert ... | begin | create table ... ;

    Any statement that is not a qadmin command goes to the server as typed;
    rows are shown as a table, other statements show their command tag.
    """

    text: str
