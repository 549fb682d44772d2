"""Handlers for console variables: \\set, \\unset, \\echo."""

from __future__ import annotations

from qadmin import ast
from qadmin.commands.registry import AUTOMATIC_VARIABLES, Context, Result, command

__all__: list[str] = []


@command(ast.SetVariable)
def set_variable(ctx: Context, cmd: ast.SetVariable) -> Result:
    if cmd.name is None:
        names = sorted(set(ctx.variables) | set(AUTOMATIC_VARIABLES))
        rows = tuple((n, value) for n in names if (value := ctx.variable(n)) is not None)
        return Result(columns=("name", "value"), rows=rows)
    ctx.variables[cmd.name] = cmd.value
    return Result()


@command(ast.UnsetVariable)
def unset_variable(ctx: Context, cmd: ast.UnsetVariable) -> Result:
    ctx.variables.pop(cmd.name, None)
    return Result()


@command(ast.Echo)
def echo(ctx: Context, cmd: ast.Echo) -> Result:
    return Result(notes=(cmd.text,))
