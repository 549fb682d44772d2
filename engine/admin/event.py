"""Events by hand: insert one, delete a poison one."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg2.extensions

from engine.admin import AdminError, atomic
from engine.admin.queue import require_queue
from engine.db import call_api

__all__ = ["delete_event", "insert_event"]


def insert_event(
    conn: psycopg2.extensions.connection, queue: str, values: Sequence[str | None]
) -> int:
    """Insert an event (type, data [, extra1 .. extra4]); returns its id."""
    if not 2 <= len(values) <= 6:
        raise AdminError("an event has a type, data and up to four extra fields")
    with atomic(conn), conn.cursor() as cur:
        require_queue(cur, queue)
        args = list(values) if len(values) == 2 else [*values, *[None] * (6 - len(values))]
        rows = call_api(cur, "pgq.insert_event", [queue, *args])
    return rows[0][0]


def delete_event(conn: psycopg2.extensions.connection, queue: str, event_id: int) -> int:
    """Delete every copy of an event; refused while an open batch holds it."""
    with atomic(conn), conn.cursor() as cur:
        require_queue(cur, queue)
        return call_api(cur, "pgq.delete_event", [queue, event_id])[0][0]
