"""Small PgQ helpers for tests: tick a queue now, read a batch, consume everything."""

from __future__ import annotations

from typing import Any

import psycopg2.extensions


def tick(cur: psycopg2.extensions.cursor, queue: str) -> int:
    """Create a tick right now: force_tick then ticker, as pgqd would do it."""
    cur.execute("select pgq.ticker(%s)", (queue,))
    tick_id = cur.fetchone()[0]
    if tick_id is None:
        cur.execute("select pgq.force_tick(%s)", (queue,))
        cur.execute("select pgq.ticker(%s)", (queue,))
        tick_id = cur.fetchone()[0]
    assert tick_id is not None, f"queue {queue} did not tick"
    return tick_id


def batch_events(cur: psycopg2.extensions.cursor, batch_id: int) -> list[tuple[Any, ...]]:
    """(ev_id, ev_type, ev_data, ev_retry) of a batch, in id order."""
    cur.execute(
        "select ev_id, ev_type, ev_data, ev_retry from pgq.get_batch_events(%s)", (batch_id,)
    )
    return cur.fetchall()


def consume_all(
    cur: psycopg2.extensions.cursor, queue: str, consumer: str
) -> list[tuple[Any, ...]]:
    """Read and finish every batch available now; return all events seen."""
    seen = []
    while True:
        cur.execute("select pgq.next_batch(%s, %s)", (queue, consumer))
        batch_id = cur.fetchone()[0]
        if batch_id is None:
            return seen
        seen.extend(batch_events(cur, batch_id))
        cur.execute("select pgq.finish_batch(%s)", (batch_id,))
