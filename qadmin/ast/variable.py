"""Console variables: \\set, \\unset and \\echo (psql's meta-commands).

The grammar hands over the whole line; its arguments are read here, with
psql's rules for quotes (qadmin.variables.parse_meta_args).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lark import Token

from qadmin.ast.base import Command
from qadmin.variables import VariableError, parse_meta_args, valid_name

__all__ = ["Echo", "SetVariable", "UnsetVariable"]


def _args(value: Any, command: str) -> list[str]:
    text = str(value)
    body = text[len(command) :] if text.lower().startswith(command) else text
    try:
        return parse_meta_args(body)
    except VariableError as e:
        raise ValueError(f"{command}: {e}") from None


def _check(name: str, command: str) -> None:
    if not valid_name(name):
        raise ValueError(f"{command}: bad variable name {name!r} (letters, digits and _)")


@dataclass(frozen=True, slots=True)
class SetVariable(Command):
    """Set a console variable: \\set [<name> [<value> ...]]

    The values are joined without spaces ('quoted' parts keep their spaces);
    without a value the variable is set to the empty string; without a name
    \\set lists the variables.  Use it as :name (as typed), :'name' (a 'string')
    or :"name" (a "name") in any later statement, as in psql.  DBNAME, HOST,
    PORT and USER are the current connection's unless set.
    Example: \\set root_loc 'host=db1 port=' :PORT ' dbname=app'
             create root node n1 location :'root_loc';
    """

    watchable: ClassVar[bool] = False

    name: str | None = None
    value: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.name, Token):  # the whole line, from the grammar
            args = _args(self.name, "\\set")
            name = args[0] if args else None
            if name is not None:
                _check(name, "\\set")
            object.__setattr__(self, "name", name)
            object.__setattr__(self, "value", "".join(args[1:]))


@dataclass(frozen=True, slots=True)
class UnsetVariable(Command):
    """Remove a console variable: \\unset <name>"""

    watchable: ClassVar[bool] = False

    name: str

    def __post_init__(self) -> None:
        if isinstance(self.name, Token):
            args = _args(self.name, "\\unset")
            if len(args) != 1:
                raise ValueError("\\unset needs one variable name")
            _check(args[0], "\\unset")
            object.__setattr__(self, "name", args[0])


@dataclass(frozen=True, slots=True)
class Echo(Command):
    """Print a line (variables replaced): \\echo <text> ..."""

    watchable: ClassVar[bool] = False

    text: str

    def __post_init__(self) -> None:
        if isinstance(self.text, Token):
            object.__setattr__(self, "text", " ".join(_args(self.text, "\\echo")))
