"""Handlers that describe ordinary database objects: tables and sequences."""

from __future__ import annotations

from engine.admin import objects as admin
from qadmin import ast
from qadmin.commands.registry import Context, Result, command

__all__: list[str] = []

_PART_TITLES = ("Columns", "Indexes", "Constraints", "Triggers")


@command(ast.ShowTable)
def show_table(ctx: Context, cmd: ast.ShowTable) -> Result:
    with ctx.cursor() as cur:
        qname, parts = admin.describe_table(cur, cmd.table)
    cols, *rest = parts
    more = tuple(
        Result(title=title, columns=t.columns, rows=t.rows)
        for title, t in zip(_PART_TITLES[1:], rest, strict=True)
        if t.rows
    )
    return Result(title=f'Table "{qname}"', columns=cols.columns, rows=cols.rows, more=more)


@command(ast.ShowSequence)
def show_sequence(ctx: Context, cmd: ast.ShowSequence) -> Result:
    with ctx.cursor() as cur:
        qname, table = admin.describe_sequence(cur, cmd.sequence)
    return Result(title=f'Sequence "{qname}"', columns=table.columns, rows=table.rows)
