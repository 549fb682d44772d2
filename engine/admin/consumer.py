"""Consumer administration: register (at a tick or another's position), unregister,
rename, cooperative subconsumers, and what consumers and their batches look like."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg2.extensions

from engine.admin import AdminError, Table, atomic, fetch_table
from engine.admin.queue import require_queue
from engine.db import call_api, fetch_value, sql

__all__ = [
    "batch_events",
    "batch_info",
    "consumer_info",
    "consumer_names",
    "current_batch",
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
        raise AdminError(f'consumer "{consumer}" has no open batch on queue "{queue}"')
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
