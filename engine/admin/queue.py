"""Queue administration: create, configure, drop, rename, tick, inspect, statistics."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Sequence

import psycopg2.extensions

from engine.admin import AdminError, Table, atomic, fetch_table
from engine.db import call_api, fetch_value, sql

__all__ = [
    "SETTINGS",
    "alter_queue",
    "create_queue",
    "drop_queue",
    "queue_exists",
    "queue_info",
    "queue_names",
    "queue_settings",
    "queue_stats",
    "rename_queue",
    "require_queue",
    "setting_param",
    "tick",
]

log = logging.getLogger(__name__)

# Short names (as in the original qadmin) -> pgq.set_queue_config parameter.
SETTINGS: dict[str, str] = {
    "max_count": "ticker_max_count",
    "max_lag": "ticker_max_lag",
    "idle_period": "ticker_idle_period",
    "paused": "ticker_paused",
    "rotation_period": "rotation_period",
    "external_ticker": "external_ticker",
    "per_tx_limit": "per_tx_limit",
    "disable_insert": "disable_insert",
    "extra_maint": "extra_maint",
    "notify": "notify",
}

# the settings that pgq.get_queue_info (the original's columns) leaves out
QUEUE_SETTINGS_SQL = """
select queue_name, queue_per_tx_limit as per_tx_limit, queue_disable_insert as disable_insert,
       queue_extra_maint as extra_maint, queue_notify as notify
  from pgq.queue
 where %s::text is null or queue_name = %s
 order by queue_name
"""

QUEUE_NAMES_SQL = "select queue_name from pgq.queue order by queue_name"
QUEUE_EXISTS_SQL = "select exists (select 1 from pgq.queue where queue_name = %s)"

# Event counts and rates from the event sequence position stored in every tick:
# for each window, the newest tick and the newest tick at or before its start.
QUEUE_STATS_SQL = """
with q as (
    select queue_id, queue_name from pgq.queue
     where %(queue)s::text is null or queue_name = %(queue)s
), top as (
    select q.queue_id, q.queue_name, t.tick_time, t.tick_event_seq,
           (select count(*) from pgq.tick c where c.tick_queue = q.queue_id) as ticks,
           (select min(tick_time) from pgq.tick c where c.tick_queue = q.queue_id) as first_time,
           (select min(tick_event_seq) from pgq.tick c where c.tick_queue = q.queue_id)
               as first_seq
      from q
      left join lateral (
          select tick_time, tick_event_seq from pgq.tick
           where tick_queue = q.queue_id order by tick_id desc limit 1) t on true
)
select top.queue_name, top.ticks,
       top.tick_event_seq - top.first_seq as events,
       extract(epoch from top.tick_time - top.first_time)::float8 as period,
       w.rate_1m, w.rate_5m, w.rate_1h,
       (top.tick_event_seq - top.first_seq)
           / nullif(extract(epoch from top.tick_time - top.first_time), 0)::float8 as rate_all
  from top
  left join lateral (
      select max(rate) filter (where win = 60) as rate_1m,
             max(rate) filter (where win = 300) as rate_5m,
             max(rate) filter (where win = 3600) as rate_1h
        from (
            select win.win,
                   (top.tick_event_seq - b.tick_event_seq)
                       / nullif(extract(epoch from top.tick_time - b.tick_time), 0)::float8
                       as rate
              from (values (60), (300), (3600)) win(win)
              cross join lateral (
                  select tick_time, tick_event_seq from pgq.tick
                   where tick_queue = top.queue_id
                     and tick_time <= top.tick_time - make_interval(secs => win.win)
                   order by tick_id desc limit 1) b
        ) r
  ) w on true
 order by top.queue_name
"""


def setting_param(key: str) -> str:
    """The set_queue_config parameter for a setting: short names (max_count) spelled out.

    Other names go to pgq.set_queue_config as they are: it knows the settings
    (with or without the queue_ prefix) and refuses the others.
    """
    return SETTINGS.get(key.lower().removeprefix("queue_"), key)


def queue_names(cur: psycopg2.extensions.cursor, pattern: str | None = None) -> list[str]:
    """Names of all queues, or of those matching a glob pattern (* and ?)."""
    cur.execute(QUEUE_NAMES_SQL)
    names = [r[0] for r in cur.fetchall()]
    if pattern is None:
        return names
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]


def queue_exists(cur: psycopg2.extensions.cursor, queue: str) -> bool:
    return bool(fetch_value(cur, QUEUE_EXISTS_SQL, (queue,)))


def require_queue(cur: psycopg2.extensions.cursor, queue: str) -> str:
    """The queue's name, or AdminError saying that it does not exist."""
    if not queue_exists(cur, queue):
        raise AdminError(f'queue "{queue}" does not exist')
    return queue


def create_queue(
    conn: psycopg2.extensions.connection,
    queue: str,
    settings: Sequence[tuple[str, str | None]] = (),
) -> bool:
    """Create a queue with its settings in one transaction; False if it existed."""
    params = [(setting_param(k), v) for k, v in settings]
    with atomic(conn), conn.cursor() as cur:
        created = call_api(cur, "pgq.create_queue", [queue])[0][0] == 1
        if not created:
            raise AdminError(f'queue "{queue}" already exists')
        for param, value in params:
            call_api(cur, "pgq.set_queue_config", [queue, param, value])
    return created


def alter_queue(
    conn: psycopg2.extensions.connection,
    queues: Iterable[str],
    settings: Sequence[tuple[str, str | None]],
) -> int:
    """Change settings of queues in one transaction; returns how many queues."""
    params = [(setting_param(k), v) for k, v in settings]
    n = 0
    with atomic(conn), conn.cursor() as cur:
        for queue in queues:
            require_queue(cur, queue)
            for param, value in params:
                call_api(cur, "pgq.set_queue_config", [queue, param, value])
            n += 1
    return n


def drop_queue(conn: psycopg2.extensions.connection, queue: str, force: bool = False) -> None:
    """Drop a queue; force unregisters its consumers first."""
    with atomic(conn), conn.cursor() as cur:
        require_queue(cur, queue)
        call_api(cur, "pgq.drop_queue", [queue, force])


def rename_queue(conn: psycopg2.extensions.connection, queue: str, new_name: str) -> None:
    """Give a queue a new name."""
    with atomic(conn), conn.cursor() as cur:
        require_queue(cur, queue)
        call_api(cur, "pgq.rename_queue", [queue, new_name])  # refuses a name in use


def tick(conn: psycopg2.extensions.connection, queue: str) -> int:
    """Tick a queue now, whatever its thresholds; returns the new tick id.

    Unlike pgq.force_tick this does not move the event sequence, so event
    counts and rates computed from ticks stay right.
    """
    with atomic(conn), conn.cursor() as cur:
        require_queue(cur, queue)
        return call_api(cur, "pgq.tick_queue", [queue])[0][0]


def queue_info(cur: psycopg2.extensions.cursor, queue: str | None = None) -> Table:
    """pgq.get_queue_info for one queue or all."""
    return fetch_table(cur, sql.SQL("select * from pgq.get_queue_info(%s::text)"), [queue])


def queue_settings(cur: psycopg2.extensions.cursor, queue: str | None = None) -> Table:
    """Settings get_queue_info leaves out: per_tx_limit, disable_insert, extra_maint, notify."""
    return fetch_table(cur, QUEUE_SETTINGS_SQL, [queue, queue])


def queue_stats(cur: psycopg2.extensions.cursor, queue: str | None = None) -> Table:
    """Event counts and rates per queue from the sequence positions in its ticks."""
    return fetch_table(cur, QUEUE_STATS_SQL, {"queue": queue})
