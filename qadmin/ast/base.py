"""The node bases and the small values every command family shares."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "ALL",
    "All",
    "AtTick",
    "Command",
    "CopyFrom",
    "Pattern",
    "Setting",
    "command_classes",
    "is_node_class",
    "loaded_node_classes",
    "node_classes",
]


class _Node:
    """Base of everything the transformer builds from a rule.

    Not lark's ``ast_utils.Ast`` (qadmin.transform wires rules to classes itself):
    a script of plain SQL then runs without importing lark at all.
    """


class Command(_Node):
    """Base of every statement; concrete subclasses each have one handler."""

    #: whether WATCH may repeat it (families set False for commands that act once)
    watchable: ClassVar[bool] = True


def is_node_class(obj: object) -> bool:
    """Whether obj is a class the transformer builds (a subclass of the node base)."""
    return isinstance(obj, type) and issubclass(obj, _Node)


def node_classes() -> list[type]:
    """Every class the transformer builds, in every family (all are imported first)."""
    from qadmin.ast import load_families

    load_families()
    return loaded_node_classes()


def loaded_node_classes() -> list[type]:
    """The subclasses of the node base that are imported now, from any module."""
    out: set[type] = set()
    todo = list(_Node.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        # dataclass(slots=True) replaces a class by a new one; the old one lingers
        # among the subclasses until collected: keep only what the module holds
        if getattr(sys.modules.get(cls.__module__), cls.__qualname__, None) is cls:
            out.add(cls)
    return sorted(out, key=lambda c: c.__name__)


def command_classes() -> list[type[Command]]:
    """Every concrete command class, core and plug-in families alike."""
    return [c for c in node_classes() if issubclass(c, Command) and c is not Command]


@dataclass(frozen=True, slots=True)
class All:
    """The `*` wildcard: every queue, consumer or subconsumer."""

    def __repr__(self) -> str:
        return "ALL"


ALL = All()


@dataclass(frozen=True, slots=True)
class Pattern:
    """A 'glob*' pattern of names (`*` any text, `?` one character)."""

    text: str


@dataclass(frozen=True, slots=True)
class Setting(_Node):
    """One key=value of a queue setting."""

    key: str
    value: str | None


@dataclass(frozen=True, slots=True)
class AtTick(_Node):
    """Position a consumer at a tick."""

    tick_id: int


@dataclass(frozen=True, slots=True)
class CopyFrom(_Node):
    """Position a consumer where another consumer stands."""

    consumer: str
