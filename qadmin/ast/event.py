"""Event commands: insert and delete events."""

from __future__ import annotations

from dataclasses import dataclass

from qadmin.ast.base import Command

__all__ = ["DeleteEvent", "InsertEvent"]


@dataclass(frozen=True, slots=True)
class InsertEvent(Command):
    """Insert an event: insert event [into <queue>] ('type', 'data' [, 'extra1' ... 'extra4']);

    Values are 'strings', numbers or null; the id of the new event is shown.
    Example: insert event into q1 ('note', 'hello', 'public.t');
    """

    queue: str | None
    values: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class DeleteEvent(Command):
    """Delete a (poison) event: delete event <event_id> [on <queue>];

    Refused while a consumer has a batch open that contains the event.
    Asks for confirmation in the interactive console.
    """

    event_id: int
    queue: str | None
