"""Consumer administration: register (at a tick or another's position), unregister,
rename, cooperative subconsumers, and what consumers and their batches look like."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg2.extensions

from engine.admin import AdminError, Table, atomic, fetch_table
from engine.admin.queue import require_queue
from engine.db import call_api, fetch_value, sql

__all__ = [
    "NextBatchInfo",
    "batch_events",
    "batch_info",
    "consumer_info",
    "consumer_names",
    "current_batch",
    "finish_batch",
    "next_batch",
    "next_batch_preview",
    "open_batch",
    "register_consumer",
    "register_subconsumer",
    "rename_consumer",
    "require_consumer",
    "subconsumer_names",
    "unregister_consumers",
    "unregister_subconsumers",
]

CONSUMER_NAMES_SQL = """
select c.co_name
  from pgq.subscription s
  join pgq.queue q on q.queue_id = s.sub_queue
  join pgq.consumer c on c.co_id = s.sub_consumer
 where q.queue_name = %s
   and (s.sub_last_tick is not null or s.sub_next_tick is not null
        or not exists (select 1 from pgq.subscription m
                        where m.sub_queue = s.sub_queue and m.sub_id = s.sub_id
                          and m.sub_consumer <> s.sub_consumer))
 order by c.co_name
"""

# subconsumers of a consumer: rows sharing its sub_id, named "<consumer>.<sub>"
SUBCONSUMER_NAMES_SQL = """
select substr(c.co_name, length(%(consumer)s) + 2)
  from pgq.subscription m
  join pgq.queue q on q.queue_id = m.sub_queue
  join pgq.consumer mc on mc.co_id = m.sub_consumer
  join pgq.subscription s on s.sub_queue = m.sub_queue and s.sub_id = m.sub_id
                         and s.sub_consumer <> m.sub_consumer
  join pgq.consumer c on c.co_id = s.sub_consumer
 where q.queue_name = %(queue)s and mc.co_name = %(consumer)s
   and left(c.co_name, length(%(consumer)s) + 1) = %(consumer)s || '.'
 order by 1
"""

CONSUMER_EXISTS_SQL = """
select exists (
    select 1 from pgq.subscription s
      join pgq.queue q on q.queue_id = s.sub_queue
      join pgq.consumer c on c.co_id = s.sub_consumer
     where q.queue_name = %s and c.co_name = %s)
"""


def consumer_names(cur: psycopg2.extensions.cursor, queue: str) -> list[str]:
    """Consumers registered on a queue (cooperative subconsumers left out)."""
    cur.execute(CONSUMER_NAMES_SQL, (queue,))
    return [r[0] for r in cur.fetchall()]


def subconsumer_names(cur: psycopg2.extensions.cursor, queue: str, consumer: str) -> list[str]:
    """Names (without the "<consumer>." prefix) of a consumer's subconsumers."""
    cur.execute(SUBCONSUMER_NAMES_SQL, {"queue": queue, "consumer": consumer})
    return [r[0] for r in cur.fetchall()]


def require_consumer(cur: psycopg2.extensions.cursor, queue: str, consumer: str) -> str:
    """The consumer's name, or AdminError naming the queue or consumer that is missing."""
    require_queue(cur, queue)
    if not fetch_value(cur, CONSUMER_EXISTS_SQL, (queue, consumer)):
        raise AdminError(f'consumer "{consumer}" is not registered on queue "{queue}"')
    return consumer


def register_consumer(
    conn: psycopg2.extensions.connection,
    queue: str,
    consumer: str,
    *,
    at_tick: int | None = None,
    copy_from: str | None = None,
) -> bool:
    """Register a consumer (or move it to a tick / another's position); True if new."""
    with atomic(conn), conn.cursor() as cur:
        require_queue(cur, queue)
        if copy_from is not None:  # the function says if copy_from is not registered
            ret = call_api(cur, "pgq.register_consumer_copy", [queue, consumer, copy_from])
        elif at_tick is not None:
            ret = call_api(cur, "pgq.register_consumer_at", [queue, consumer, at_tick])
        else:
            if fetch_value(cur, CONSUMER_EXISTS_SQL, (queue, consumer)):
                raise AdminError(f'consumer "{consumer}" is already registered on queue "{queue}"')
            ret = call_api(cur, "pgq.register_consumer", [queue, consumer])
    return ret[0][0] == 1


def unregister_consumers(
    conn: psycopg2.extensions.connection, queue: str, consumers: Iterable[str] | None
) -> list[str]:
    """Unregister consumers (None = all of the queue) in one transaction; their names."""
    done = []
    with atomic(conn), conn.cursor() as cur:
        require_queue(cur, queue)
        names = consumer_names(cur, queue) if consumers is None else list(consumers)
        for name in names:
            if consumers is not None:
                require_consumer(cur, queue, name)
            call_api(cur, "pgq.unregister_consumer", [queue, name])
            done.append(name)
    return done


def rename_consumer(
    conn: psycopg2.extensions.connection, queue: str, consumer: str, new_name: str
) -> None:
    """Rename a consumer on one queue (position, batch, retries and subconsumers kept)."""
    with atomic(conn), conn.cursor() as cur:
        require_queue(cur, queue)  # the function says if the consumer is not registered
        call_api(cur, "pgq.rename_consumer", [queue, consumer, new_name])


def register_subconsumer(
    conn: psycopg2.extensions.connection, queue: str, consumer: str, subconsumer: str
) -> bool:
    """Register a cooperative subconsumer (and its consumer if needed); True if new."""
    with atomic(conn), conn.cursor() as cur:
        require_queue(cur, queue)
        if subconsumer in subconsumer_names(cur, queue, consumer):
            raise AdminError(
                f'subconsumer "{subconsumer}" of consumer "{consumer}" is already registered'
                f' on queue "{queue}"'
            )
        ret = call_api(cur, "pgq_coop.register_subconsumer", [queue, consumer, subconsumer])
    return ret[0][0] == 1


def unregister_subconsumers(
    conn: psycopg2.extensions.connection,
    queue: str,
    consumer: str,
    subconsumers: Iterable[str] | None,
    close_batch: bool = False,
) -> list[str]:
    """Unregister subconsumers (None = all of the consumer); their names."""
    done = []
    with atomic(conn), conn.cursor() as cur:
        require_consumer(cur, queue, consumer)
        known = subconsumer_names(cur, queue, consumer)
        names = known if subconsumers is None else list(subconsumers)
        for name in names:
            if name not in known:
                raise AdminError(
                    f'subconsumer "{name}" of consumer "{consumer}" is not registered'
                    f' on queue "{queue}"'
                )
            call_api(
                cur,
                "pgq_coop.unregister_subconsumer",
                [queue, consumer, name, 1 if close_batch else 0],
            )
            done.append(name)
    return done


def consumer_info(
    cur: psycopg2.extensions.cursor, queue: str | None = None, consumer: str | None = None
) -> Table:
    """pgq.get_consumer_info for one or all queues and consumers."""
    return fetch_table(
        cur,
        sql.SQL("select * from pgq.get_consumer_info(%s::text, %s::text)"),
        [queue, consumer],
    )


def current_batch(cur: psycopg2.extensions.cursor, queue: str, consumer: str) -> int:
    """The batch a consumer has open, or AdminError saying why there is none."""
    require_consumer(cur, queue, consumer)
    info = consumer_info(cur, queue, consumer).dicts()
    batch = info[0]["current_batch"] if info else None
    if batch is None:
        raise AdminError(
            f'consumer "{consumer}" has no open batch on queue "{queue}"',
            hint="NEXT BATCH <consumer> ON <queue>; opens one",
        )
    return batch


BATCH_OPEN_SQL = "select exists (select 1 from pgq.subscription where sub_batch = %s)"


def _require_open(cur: psycopg2.extensions.cursor, batch_id: int) -> None:
    if not fetch_value(cur, BATCH_OPEN_SQL, (batch_id,)):
        raise AdminError(f"batch {batch_id} is not open")


def batch_info(cur: psycopg2.extensions.cursor, batch_id: int) -> Table:
    """pgq.get_batch_info of an open batch."""
    _require_open(cur, batch_id)
    return fetch_table(cur, sql.SQL("select * from pgq.get_batch_info(%s)"), [batch_id])


def batch_events(cur: psycopg2.extensions.cursor, batch_id: int) -> Table:
    """The events of an open batch."""
    _require_open(cur, batch_id)
    return fetch_table(cur, sql.SQL("select * from pgq.get_batch_events(%s)"), [batch_id])


@dataclass(frozen=True, slots=True)
class NextBatchInfo:
    """A consumer's next batch: the ticks it lies between; batch_id None if not opened."""

    queue: str
    consumer: str
    batch_id: int | None
    prev_tick_id: int
    tick_id: int
    prev_tick_time: datetime
    tick_time: datetime
    was_open: bool = False  # NEXT BATCH found it open already


EVENT_COLUMNS = (
    "ev_id",
    "ev_time",
    "ev_txid",
    "ev_retry",
    "ev_type",
    "ev_data",
    "ev_extra1",
    "ev_extra2",
    "ev_extra3",
    "ev_extra4",
)

NEXT_BATCH_SQL = """
select batch_id, prev_tick_id, cur_tick_id, prev_tick_time, cur_tick_time
  from pgq.next_batch_info(%s, %s)
"""

OPEN_BATCH_SQL = """
select s.sub_batch
  from pgq.subscription s
  join pgq.queue q on q.queue_id = s.sub_queue
  join pgq.consumer c on c.co_id = s.sub_consumer
 where q.queue_name = %s and c.co_name = %s
"""

# the batch of a cooperative subconsumer: its row shares sub_id with the main consumer's
COOP_BATCH_SQL = """
select exists (
    select 1 from pgq.subscription s
      join pgq.subscription m on m.sub_queue = s.sub_queue and m.sub_id = s.sub_id
                             and m.sub_consumer <> s.sub_consumer
     where s.sub_batch = %s)
"""

BATCH_QUEUE_SQL = """
select q.queue_name
  from pgq.subscription s join pgq.queue q on q.queue_id = s.sub_queue
 where s.sub_batch = %s
"""

# Where the consumer stands and the tick its next batch would end at: the first
# tick after its last one, as pgq.next_batch_custom picks it without options.
PREVIEW_TICKS_SQL = """
select q.queue_id, q.queue_data_pfx, s.sub_id, s.sub_last_tick,
       last.tick_time as last_time, nt.tick_id as next_tick, nt.tick_time as next_time
  from pgq.subscription s
  join pgq.queue q on q.queue_id = s.sub_queue
  join pgq.consumer c on c.co_id = s.sub_consumer
  join pgq.tick last on last.tick_queue = s.sub_queue and last.tick_id = s.sub_last_tick
  left join lateral (
      select t.tick_id, t.tick_time from pgq.tick t
       where t.tick_queue = s.sub_queue and t.tick_id > s.sub_last_tick
       order by t.tick_queue, t.tick_id limit 1) nt on true
 where q.queue_name = %s and c.co_name = %s
"""

# The events between two ticks, by the rule batch_event_sql applies to a batch
# (committed after the last tick's snapshot, before the next one's; retried
# events only for their owner), read from the queue's parent event table.
PREVIEW_EVENTS_SQL = """
select ev.ev_id, ev.ev_time, ev.ev_txid, ev.ev_retry, ev.ev_type, ev.ev_data,
       ev.ev_extra1, ev.ev_extra2, ev.ev_extra3, ev.ev_extra4
  from pgq.tick cur, pgq.tick last, {table} ev
 where cur.tick_queue = %(queue_id)s and cur.tick_id = %(next_tick)s
   and last.tick_queue = %(queue_id)s and last.tick_id = %(last_tick)s
   and ev.ev_txid >= txid_snapshot_xmin(last.tick_snapshot)
   and ev.ev_txid <= txid_snapshot_xmax(cur.tick_snapshot)
   and txid_visible_in_snapshot(ev.ev_txid, cur.tick_snapshot)
   and not txid_visible_in_snapshot(ev.ev_txid, last.tick_snapshot)
   and (ev.ev_owner is null or ev.ev_owner = %(sub_id)s)
 order by ev.ev_id
"""


def open_batch(cur: psycopg2.extensions.cursor, queue: str, consumer: str) -> int | None:
    """The id of the batch the consumer has open, None if it has none."""
    return fetch_value(cur, OPEN_BATCH_SQL, (queue, consumer))


def next_batch(
    conn: psycopg2.extensions.connection, queue: str, consumer: str
) -> NextBatchInfo | None:
    """Open the consumer's next batch (pgq.next_batch_info); None if there is none yet."""
    with atomic(conn), conn.cursor() as cur:
        require_consumer(cur, queue, consumer)
        was_open = fetch_value(cur, OPEN_BATCH_SQL, (queue, consumer)) is not None
        cur.execute(NEXT_BATCH_SQL, (queue, consumer))
        row = cur.fetchone()
    if row is None or row[0] is None:
        return None
    batch_id, prev_tick_id, tick_id, prev_time, tick_time = row
    return NextBatchInfo(
        queue, consumer, batch_id, prev_tick_id, tick_id, prev_time, tick_time, was_open
    )


def finish_batch(
    conn: psycopg2.extensions.connection, batch_id: int, queue: str | None = None
) -> None:
    """Close an open batch (pgq_coop's finish for a subconsumer's); with queue, check it."""
    with atomic(conn), conn.cursor() as cur:
        _require_open(cur, batch_id)
        if queue is not None:
            require_queue(cur, queue)
            owner = fetch_value(cur, BATCH_QUEUE_SQL, (batch_id,))
            if owner != queue:
                raise AdminError(f'batch {batch_id} is not a batch of queue "{queue}"')
        coop = fetch_value(cur, COOP_BATCH_SQL, (batch_id,))
        fn = "pgq_coop.finish_batch" if coop else "pgq.finish_batch"
        if call_api(cur, fn, [batch_id])[0][0] != 1:
            raise AdminError(f"batch {batch_id} is not open")


def next_batch_preview(
    cur: psycopg2.extensions.cursor, queue: str, consumer: str
) -> tuple[NextBatchInfo | None, Table]:
    """What the consumer's next batch would hold, read-only: no batch is opened.

    Returns the ticks it would lie between (None when no tick follows the
    consumer's last one) and its events, as pgq.get_batch_events would show them.
    """
    require_consumer(cur, queue, consumer)
    cur.execute(PREVIEW_TICKS_SQL, (queue, consumer))
    row = cur.fetchone()
    columns = EVENT_COLUMNS
    if row is None or row[5] is None:
        return None, Table(columns)
    queue_id, data_pfx, sub_id, last_tick, last_time, next_tick, next_time = row
    table = sql.SQL(PREVIEW_EVENTS_SQL).format(table=sql.Identifier(*data_pfx.split(".", 1)))
    events = fetch_table(
        cur,
        table,
        {"queue_id": queue_id, "next_tick": next_tick, "last_tick": last_tick, "sub_id": sub_id},
    )
    info = NextBatchInfo(queue, consumer, None, last_tick, next_tick, last_time, next_time)
    return info, events
