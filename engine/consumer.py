"""PgQ batch consumers: the batch loop, per-event retry, lazy fetch, coop and remote modes.

A consumer subclass implements ``process_event(db, ev)`` or ``process_batch(db,
batch_id, events)``; the loop, as Skytools' ``pgq.Consumer``, is::

    next_batch_custom(queue, consumer, keep_lag, collect_events, collect_interval)
    commit
    get_batch_cursor(batch, 'batch_walker', pgq_lazy_fetch, table filter)  [FETCH ...]
    process_batch(db, batch_id, events)
    event_retry(batch, ids[], seconds) per retry delay; finish_batch(batch)
    commit

Empty batches are finished like any other.  An event whose ``process_event`` raises
goes to the retry queue (``pgq_retry_failed_events``) and the others go on; an error
outside ``process_event`` leaves the batch open and it is retried after
``exception_sleep``.  With nothing to do the consumer sleeps ``loop_delay`` in a
``select()`` on its connection, where it LISTENs for ``pgq_tick``: a new tick of its
queue wakes it at once.

With ``subconsumer_name`` the consumer is one of the cooperative workers of a
pgq_coop consumer (``CoopConsumer``), one process each.  ``RemoteConsumer`` applies
batches to another database exactly once: the target records each applied batch id
with the qadmin_ext module (``qadmin_ext.set_batch_done``, pgq_ext-style) in the same
transaction, so a batch replayed after a crash between the target's commit and
``finish_batch`` is skipped there.  The admin installs qadmin_ext in the target, as
pgq_ext in Skytools (``python -m engine.install -d TARGET qadmin_ext``).

Command line: ``python -m engine.consumer CONFIG.ini`` runs the ``handler`` named in
the config (``print``, ``exec``, ``queue_mover``, ``table_dispatcher``, or
``python:module.Class``), see engine.handlers; switches as every daemon (engine.base)
plus ``--register``, ``--unregister``, ``--section`` and ``--handler``.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql

from engine.base import (
    KILL_HOOKS,
    Daemon,
    DaemonError,
    UsageError,
    expected_error,
    kill_point,
    one_line,
)
from engine.config import Config, ConfigError
from engine.db import describe_error, fetch_value, func_call

__all__ = [
    "EVENT_FIELDS",
    "EV_DONE",
    "EV_RETRY",
    "EV_UNTAGGED",
    "TRACKING_MODULE",
    "Batch",
    "BatchWalker",
    "Consumer",
    "CoopConsumer",
    "Event",
    "RemoteConsumer",
    "consumer_section",
    "main",
]

log = logging.getLogger(__name__)

EVENT_FIELDS = (
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
CURSOR_NAME = "batch_walker"
TRACKING_MODULE = "qadmin_ext"


#: Event.get_status() values, as the original's pgq.consumer has them
EV_UNTAGGED = -1
EV_RETRY = 0
EV_DONE = 1
# the original's short attribute names -> ours (ev.ev_id is ev.id ...)
_SHORT_NAMES = {f: f.removeprefix("ev_") for f in EVENT_FIELDS}


class Event(Mapping[str, Any]):
    """One event of a batch; done unless tagged for retry.

    Attributes: id, time, txid, retry, type, data, extra1 .. extra4, and the
    original pgq.Event's spellings of them (ev_id, ev_time, ... ev_extra4); as
    there it is also a read-only mapping of the ev_* names (``ev["ev_data"]``,
    ``ev.get("ev_extra1")``, ``keys()``, ``items()``).  ``queue_name`` is the
    queue it came from.  Events compare and hash by identity.
    """

    __slots__ = (
        "_batch",
        "data",
        "extra1",
        "extra2",
        "extra3",
        "extra4",
        "id",
        "retry",
        "time",
        "txid",
        "type",
    )

    if TYPE_CHECKING:  # the original's spellings: properties, set below the class
        ev_id: int
        ev_time: datetime
        ev_txid: int
        ev_retry: int | None
        ev_type: str | None
        ev_data: str | None
        ev_extra1: str | None
        ev_extra2: str | None
        ev_extra3: str | None
        ev_extra4: str | None

    def __init__(self, row: Sequence[Any], batch: Batch | None = None) -> None:
        (
            self.id,
            self.time,
            self.txid,
            self.retry,
            self.type,
            self.data,
            self.extra1,
            self.extra2,
            self.extra3,
            self.extra4,
        ) = row
        self._batch = batch

    # -- retry tags (the original's RetriableEvent) --------------------------------------
    def tag_retry(self, retry_time: int = 60) -> None:
        """Give the event back: it returns to this consumer after retry_time seconds."""
        if self._batch is not None:
            self._batch.retries[self.id] = int(retry_time)

    def tag_done(self) -> None:
        """Undo tag_retry(): the event counts as processed."""
        if self._batch is not None:
            self._batch.retries.pop(self.id, None)

    def get_status(self) -> int:
        """EV_RETRY if tagged for retry, else EV_DONE (the default, as in the original)."""
        if self._batch is not None and self.id in self._batch.retries:
            return EV_RETRY
        return EV_DONE

    @property
    def retry_time(self) -> int:
        """Seconds until the event comes back if tagged (tag_retry's default, 60, if not)."""
        if self._batch is None:
            return 60
        return self._batch.retries.get(self.id, 60)

    @property
    def queue_name(self) -> str | None:
        """The queue the event came from."""
        return None if self._batch is None else self._batch.queue_name

    # -- the original's mapping of ev_* names ------------------------------------------
    def __getitem__(self, key: str) -> Any:
        short = _SHORT_NAMES.get(key)
        if short is None:
            raise KeyError(key)
        return getattr(self, short)

    def __iter__(self) -> Iterator[str]:
        return iter(EVENT_FIELDS)

    def __len__(self) -> int:
        return len(EVENT_FIELDS)

    def __contains__(self, key: object) -> bool:
        return key in _SHORT_NAMES

    def has_key(self, key: str) -> bool:
        """key in ev (Python 2's spelling, which ported handlers use)."""
        return key in _SHORT_NAMES

    __eq__ = object.__eq__  # identity, not Mapping's comparison of the values
    __hash__ = object.__hash__

    def as_dict(self) -> dict[str, Any]:
        """The event as ev_* keys with JSON-ready values (ev_time in ISO 8601)."""
        t = self.time
        return {
            "ev_id": self.id,
            "ev_time": t.isoformat() if isinstance(t, datetime) else t,
            "ev_txid": self.txid,
            "ev_retry": self.retry,
            "ev_type": self.type,
            "ev_data": self.data,
            "ev_extra1": self.extra1,
            "ev_extra2": self.extra2,
            "ev_extra3": self.extra3,
            "ev_extra4": self.extra4,
        }

    def __str__(self) -> str:
        return (
            f"<id={self.id} type={self.type} data={self.data} e1={self.extra1}"
            f" e2={self.extra2} e3={self.extra3} e4={self.extra4}>"
        )

    def __repr__(self) -> str:
        return f"<Event id={self.id} type={self.type!r} data={self.data!r}>"


def _original_spelling(short: str) -> property:
    return property(lambda ev: getattr(ev, short), doc=f"The original's name of Event.{short}.")


for _field, _short in _SHORT_NAMES.items():
    setattr(Event, _field, _original_spelling(_short))
del _field, _short


class Batch:
    """The batch being processed: ids, tick time, lag and the retry tags."""

    __slots__ = (
        "batch_id",
        "lag",
        "prev_tick_id",
        "queue_name",
        "retries",
        "tick_id",
        "tick_time",
    )

    def __init__(
        self,
        batch_id: int,
        tick_id: int | None,
        prev_tick_id: int | None,
        tick_time: datetime | None,
        lag: float | None,
        queue_name: str | None = None,
    ) -> None:
        self.batch_id = batch_id
        self.queue_name = queue_name
        self.tick_id = tick_id
        self.prev_tick_id = prev_tick_id
        self.tick_time = tick_time
        self.lag = lag
        self.retries: dict[int, int] = {}


class BatchWalker:
    """Events of a big batch, fetched pgq_lazy_fetch rows at a time from a cursor.

    Iterate it once, inside the batch's transaction.
    """

    def __init__(self, cur: Any, batch: Batch, first_rows: list[tuple], fetch_size: int) -> None:
        self._cur = cur
        self._batch = batch
        self._first: list[tuple] | None = first_rows
        self._fetch_size = fetch_size
        self.count = 0

    def __iter__(self) -> Iterator[Event]:
        rows = self._first
        if rows is None:
            raise RuntimeError("a BatchWalker can be iterated only once")
        self._first = None
        while True:
            for row in rows:
                self.count += 1
                yield Event(row, self._batch)
            if len(rows) < self._fetch_size:
                break
            self._cur.execute(f"fetch {int(self._fetch_size)} from {CURSOR_NAME}")
            rows = self._cur.fetchall()
        self._cur.execute(f"close {CURSOR_NAME}")


def consumer_section(path: str | None, explicit: str | None, default: str = "consumer") -> str:
    """The ini section a consumer reads: --section, the file's only section, or default."""
    if explicit:
        return explicit
    if not path:
        return default
    cp = configparser.ConfigParser(interpolation=None)
    with (
        contextlib.suppress(OSError, configparser.Error),
        open(os.path.expanduser(path), encoding="utf-8") as f,
    ):
        cp.read_file(f)
    sections = cp.sections()
    if len(sections) == 1:
        return sections[0]
    return default


def _connect(dsn: str, application_name: str) -> psycopg2.extensions.connection:
    params: dict[str, Any] = {}
    parsed = psycopg2.extensions.parse_dsn(dsn) if dsn else {}
    if "application_name" not in parsed:
        params["application_name"] = application_name[:63]
    if "connect_timeout" not in parsed:
        params["connect_timeout"] = 10
    return psycopg2.connect(dsn, **params)


class Consumer(Daemon):
    """PgQ consumer: takes batches of a queue and hands their events to process_batch()."""

    service_name: ClassVar[str] = "consumer"
    kind: ClassVar[str] = "consumer"
    main_module: ClassVar[str | None] = "engine.consumer"
    #: name for the supervisor and logs; built-in handlers set theirs
    handler_name: ClassVar[str] = "python"
    # up once connected, registered and answered by the queue: work() says so before
    # it processes the batch (a subclass with a work() of its own is up after its first
    # good round, the base's default)
    ini_template: ClassVar[str] = """
# connect string of the database that holds the queue (also read: src_db)
db = dbname=mydb

# queue to read (legacy: pgq_queue_name)
queue_name = myqueue

# consumer name (legacy: pgq_consumer_id); default: job_name
#consumer_name = %(job_name)s

# print, exec, queue_mover, table_dispatcher, or python:module.Class
#handler = print

# register the consumer on the queue at start if it is not (at the queue's last tick)
#auto_register = 1

# rows per FETCH from a cursor over the batch; 0 = load the whole batch at once
#pgq_lazy_fetch = 300

# take a batch only when it spans this many events or this much time
# (fewer, bigger batches when catching up)
#pgq_batch_collect_events =
#pgq_batch_collect_interval =

# stay at least this far behind the queue, e.g. 10 minutes
#pgq_keep_lag =

# only events of these tables (ev_extra1 of trigger events), schema defaults to public
#table_filter =

# an event whose processing raises goes to the retry queue and the others go on;
# 0 = the whole batch fails and is retried after exception_sleep
#pgq_retry_failed_events = 1
# seconds before such an event (or one tagged with ev.tag_retry()) comes back
#pgq_retry_delay = 60

# LISTEN for pgq_tick, so a new tick wakes the consumer at once
#use_notify = 1

# reconnect after this many seconds
#connection_lifetime = 1200

# cooperative consumer (pgq_coop): the name of this worker; one process per worker
#subconsumer_name =
# take over the batch of a worker silent this long, e.g. 5 minutes
#subconsumer_timeout =
"""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        super().__init__(argv)
        self.src: psycopg2.extensions.connection | None = None
        self._src_connected = 0.0
        self._registered = False
        self._extra_where: str | None = None
        self._last_idle_status = 0.0
        self.total_events = 0
        self.total_batches = 0

    # -- command line and config -------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--register", action="store_true", help="register on the queue and exit"
        )
        parser.add_argument(
            "--unregister", action="store_true", help="unregister from the queue and exit"
        )
        parser.add_argument("--section", help="ini section to read (default: the only one)")
        parser.add_argument("--handler", help="handler, overriding the config's")

    def load_config(self) -> Config:
        section = consumer_section(self.args.config, self.args.section, self.service_name)
        overrides = self.overrides()
        if self.args.handler:
            overrides["handler"] = self.args.handler
        return Config(self.service_name, self.args.config, overrides=overrides, section=section)

    def load_settings(self) -> None:
        super().load_settings()
        cf = self.cf
        assert cf is not None
        self.db_connstr = cf.get_first(["db", "src_db"])
        self.queue_name = cf.get_first(["queue_name", "pgq_queue_name"])
        self.consumer_name = cf.get_first(["consumer_name", "pgq_consumer_id"], self.job_name)
        self.subconsumer_name = cf.get("subconsumer_name", "")
        self.subconsumer_timeout = cf.get("subconsumer_timeout", "") or None
        self.auto_register = cf.getbool("auto_register", True)
        self.lazy_fetch = cf.getint("pgq_lazy_fetch", 300)
        self.collect_events = cf.getint("pgq_batch_collect_events", 0) or None
        self.collect_interval = cf.get("pgq_batch_collect_interval", "") or None
        self.keep_lag = cf.get("pgq_keep_lag", "") or None
        self.table_filter = [
            t if "." in t else f"public.{t}" for t in cf.getlist("table_filter", [])
        ]
        self.retry_failed_events = cf.getbool("pgq_retry_failed_events", True)
        self.retry_delay = int(cf.getinterval("pgq_retry_delay", 60))
        self.use_notify = cf.getbool("use_notify", True)
        self.connection_lifetime = cf.getinterval("connection_lifetime", 1200.0)
        self._extra_where = None
        if self.lazy_fetch < 0:
            raise UsageError("pgq_lazy_fetch must be 0 or more")

    @property
    def coop(self) -> bool:
        return bool(self.subconsumer_name)

    @property
    def full_name(self) -> str:
        """consumer, or consumer.subconsumer for a coop worker."""
        if self.coop:
            return f"{self.consumer_name}.{self.subconsumer_name}"
        return self.consumer_name

    # -- connections -------------------------------------------------------------------
    def get_src(self) -> psycopg2.extensions.connection:
        """The connection to the queue's database, opened (and LISTENing) on demand."""
        if self.src is not None and not self.src.closed:
            return self.src
        self.src = _connect(self.db_connstr, f"{self.job_name} consumer")
        self._src_connected = time.monotonic()
        with self.src.cursor() as cur:
            if self.use_notify:
                cur.execute("listen pgq_tick")
            if self.auto_register and not self._registered and not self.coop:
                args = (self.queue_name, self.consumer_name)
                if fetch_value(cur, "select pgq.register_consumer(%s, %s)", args) == 1:
                    log.info(
                        "registered consumer %s on queue %s", self.consumer_name, self.queue_name
                    )
        self.src.commit()
        self._registered = True
        if self.table_filter:
            self._extra_where = "ev_extra1 in ({})".format(
                ", ".join(sql.Literal(t).as_string(self.src) for t in self.table_filter)
            )
        return self.src

    def close_connections(self) -> None:
        """Close every connection (reset after an error, shutdown, connection_lifetime)."""
        if self.src is not None:
            with contextlib.suppress(Exception):
                self.src.close()
        self.src = None

    def reset(self) -> None:
        self.close_connections()

    def shutdown(self) -> None:
        self.close_connections()
        self.maybe_log_stats(force=True)

    def reload(self) -> None:
        # connect strings may have changed; cheap to reconnect
        self.close_connections()

    # -- waking up ---------------------------------------------------------------------
    def wake_fds(self) -> list[int]:
        if self.src is not None and not self.src.closed:
            return [self.src.fileno()]
        return []

    def _tick_notified(self) -> bool:
        conn = self.src
        return conn is not None and any(n.payload == self.queue_name for n in conn.notifies)

    def wake_pending(self) -> bool:
        return self._tick_notified()

    def on_readable(self, fds: list[int]) -> bool:
        conn = self.src
        if conn is None:
            return True
        try:
            conn.poll()
        except psycopg2.Error:
            return True  # connection lost: let work() find out and reconnect
        if self._tick_notified():
            return True
        del conn.notifies[:]
        return False

    # -- registration commands ---------------------------------------------------------
    def run_command(self) -> int | None:
        if not (self.args.register or self.args.unregister):
            return None
        register = bool(self.args.register)
        verb = "register" if register else "unregister"
        if self.coop:
            func = f"pgq_coop.{verb}_subconsumer"
            args: tuple[Any, ...] = (self.queue_name, self.consumer_name, self.subconsumer_name)
            if not register:
                args += (0,)  # refuse while the subconsumer has a batch open
        else:
            func = f"pgq.{verb}_consumer"
            args = (self.queue_name, self.consumer_name)
        conn = _connect(self.db_connstr, f"{self.job_name} consumer")
        try:
            with conn.cursor() as cur:
                done = fetch_value(cur, func_call(func, len(args)), args)
            if register:
                what = "registered" if done else "was registered already"
            else:
                what = "unregistered" if done else "was not registered"
            conn.commit()
        except psycopg2.Error as e:
            log.error("%s", describe_error(e))
            return 1
        finally:
            conn.close()
        log.info("consumer %s on queue %s: %s", self.full_name, self.queue_name, what)
        return 0

    # -- the batch loop ----------------------------------------------------------------
    def work(self) -> bool:
        conn = self.get_src()
        cur = conn.cursor()
        del conn.notifies[:]  # a tick that comes after this point wakes the next sleep
        batch = self._next_batch(cur)
        conn.commit()
        if not self.ready:  # connected, registered, the queue answers: up
            self.mark_ready()
        if batch is None:
            self._idle()
            return False
        kill_point("after_next_batch")
        started = time.monotonic()
        events = self._load_events(cur, batch)
        kill_point("after_load")
        self.process_batch(conn, batch.batch_id, events)
        kill_point("after_process")
        count = events.count if isinstance(events, BatchWalker) else len(events)
        self._flush_retries(cur, batch)
        fn = "pgq_coop.finish_batch" if self.coop else "pgq.finish_batch"
        cur.execute(sql.SQL("select {}(%s)").format(sql.SQL(fn)), (batch.batch_id,))
        kill_point("after_finish")
        conn.commit()
        kill_point("after_commit")
        self.total_batches += 1
        self.total_events += count
        self.stat_increase("count", count)
        self.stat_increase("batches")
        self.stat_increase("duration", time.monotonic() - started)
        if batch.lag is not None:
            self.stat_put("lag", batch.lag)
        self.update_status(
            lag=batch.lag,
            last_batch=time.time(),
            events=self.total_events,
            batches=self.total_batches,
        )
        return True

    def _idle(self) -> None:
        if time.monotonic() - self._src_connected > self.connection_lifetime:
            log.debug("connection_lifetime reached, reconnecting")
            self.close_connections()
        now = time.time()
        if now - self._last_idle_status > 5:
            self._last_idle_status = now
            self.update_status(idle_since=self._status.get("idle_since") or now)

    def _next_batch(self, cur: Any) -> Batch | None:
        if self.coop:
            batch_id = fetch_value(
                cur,
                "select pgq_coop.next_batch_custom(%s, %s, %s, %s::interval, %s, %s::interval,"
                " %s::interval)",
                (
                    self.queue_name,
                    self.consumer_name,
                    self.subconsumer_name,
                    self.keep_lag,
                    self.collect_events,
                    self.collect_interval,
                    self.subconsumer_timeout,
                ),
            )
            if batch_id is None:
                return None
            cur.execute(
                "select tick_id, prev_tick_id, batch_end, extract(epoch from lag)::float8"
                " from pgq.get_batch_info(%s)",
                (batch_id,),
            )
            row = cur.fetchone()
            self._status.pop("idle_since", None)
            tick_id, prev_tick_id, tick_time, lag = row or (None, None, None, None)
            return Batch(batch_id, tick_id, prev_tick_id, tick_time, lag, self.queue_name)
        cur.execute(
            "select batch_id, cur_tick_id, prev_tick_id, cur_tick_time,"
            " extract(epoch from now() - cur_tick_time)::float8"
            " from pgq.next_batch_custom(%s, %s, %s::interval, %s, %s::interval)",
            (
                self.queue_name,
                self.consumer_name,
                self.keep_lag,
                self.collect_events,
                self.collect_interval,
            ),
        )
        row = cur.fetchone()
        if row is None or row[0] is None:
            return None
        self._status.pop("idle_since", None)
        batch_id, tick_id, prev_tick_id, tick_time, lag = row
        return Batch(batch_id, tick_id, prev_tick_id, tick_time, lag, self.queue_name)

    def _load_events(self, cur: Any, batch: Batch) -> list[Event] | BatchWalker:
        if self.lazy_fetch > 0:
            cur.execute(
                "select * from pgq.get_batch_cursor(%s, %s, %s, %s)",
                (batch.batch_id, CURSOR_NAME, self.lazy_fetch, self._extra_where),
            )
            rows = cur.fetchall()
            if len(rows) >= self.lazy_fetch:
                return BatchWalker(self.src.cursor(), batch, rows, self.lazy_fetch)  # type: ignore[union-attr]
            return [Event(r, batch) for r in rows]
        cur.execute("select * from pgq.get_batch_events(%s)", (batch.batch_id,))
        events = [Event(r, batch) for r in cur.fetchall()]
        if self.table_filter:
            keep = set(self.table_filter)
            events = [ev for ev in events if ev.extra1 in keep]
        return events

    def _flush_retries(self, cur: Any, batch: Batch) -> None:
        if not batch.retries:
            return
        by_delay: dict[int, list[int]] = {}
        for ev_id, delay in batch.retries.items():
            by_delay.setdefault(delay, []).append(ev_id)
        for delay, ids in sorted(by_delay.items()):
            cur.execute(
                "select pgq.event_retry(%s, %s::bigint[], %s)", (batch.batch_id, ids, delay)
            )
        self.stat_increase("retry", len(batch.retries))

    # -- what subclasses override ------------------------------------------------------
    def process_batch(
        self,
        db: psycopg2.extensions.connection,
        batch_id: int,
        events: Iterable[Event],
    ) -> None:
        """Process the events of one batch; the default calls process_event() for each.

        db is the queue's connection, inside the batch's transaction: what the handler
        does there commits together with finish_batch.
        """
        process = self.process_event
        if not self.retry_failed_events:
            for ev in events:
                process(db, ev)
            return
        hook = kill_point if KILL_HOOKS else None  # no call per event unless testing
        for ev in events:
            try:
                process(db, ev)
            except Exception as e:
                self.event_failed(db, ev, e)
            if hook is not None:
                hook("mid_batch")

    def process_event(self, db: psycopg2.extensions.connection, ev: Event) -> None:
        """Process one event; raise to send it to retry (see pgq_retry_failed_events)."""
        raise NotImplementedError(f"{type(self).__name__} must implement process_event()")

    def event_failed(self, db: psycopg2.extensions.connection, ev: Event, err: Exception) -> None:
        """An event's processing raised: retry it later, log, and remember the error."""
        if db.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INERROR:
            # the batch's transaction is broken: the whole batch has to be redone
            raise err
        ev.tag_retry(self.retry_delay)
        msg = one_line(describe_error(err))
        if not expected_error(err):  # the handler's own exception: say which
            msg = f"{type(err).__name__}: {msg}"
        log.error(
            "event %s (type %r, retry %s) failed, retrying in %d s: %s",
            ev.id,
            ev.type,
            ev.retry or 0,
            self.retry_delay,
            msg,
        )
        log.debug("event %s failed here", ev.id, exc_info=err)  # the traceback with -v
        self.record_error(f"event {ev.id}: {msg}")


class CoopConsumer(Consumer):
    """A cooperative consumer's worker (pgq_coop): needs subconsumer_name."""

    def load_settings(self) -> None:
        super().load_settings()
        if not self.subconsumer_name:
            raise UsageError("a cooperative consumer needs subconsumer_name in its config")


class RemoteConsumer(Consumer):
    """Applies each batch to another database (dst_db) exactly once.

    Subclasses implement ``process_remote_batch(db, batch_id, events, dst)``; it runs
    in a transaction on dst that also records the batch id, so a batch replayed
    after a crash is skipped on dst, and finish_batch follows dst's commit.
    """

    ini_template: ClassVar[str] = """
# connect string of the target database; default: the queue's database (db)
#dst_db =
# key under which the target records applied batches; default <db>/<queue>/<consumer>
#tracking_key =
"""

    _PRUNE_EVERY = 30.0

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        super().__init__(argv)
        self.dst: psycopg2.extensions.connection | None = None
        self._tracking_key: str | None = None
        self._last_prune = 0.0

    def load_settings(self) -> None:
        super().load_settings()
        assert self.cf is not None
        self.dst_connstr = self.cf.get("dst_db", "") or self.db_connstr
        self._tracking_key = self.cf.get("tracking_key", "") or None

    def get_dst(self) -> psycopg2.extensions.connection:
        """The target connection; it must have the qadmin_ext module."""
        if self.dst is not None and not self.dst.closed:
            return self.dst
        dst = _connect(self.dst_connstr, f"{self.job_name} target")
        try:
            with dst.cursor() as cur:
                cur.execute("select qadmin_ext.version()")
            dst.commit()
        except (psycopg2.errors.UndefinedFunction, psycopg2.errors.InvalidSchemaName):
            info = dst.info
            where = f"-h {info.host} -p {info.port} -U {info.user} -d {info.dbname}"
            dbname = info.dbname
            dst.close()
            raise DaemonError(
                f"the target database {dbname} lacks the {TRACKING_MODULE} module,"
                " which records the batches applied there; install it there with"
                f" python -m engine.install {where} {TRACKING_MODULE}"
                f" (or INSTALL {TRACKING_MODULE}; in qadmin connected to it)"
            ) from None
        self.dst = dst
        return dst

    def close_connections(self) -> None:
        super().close_connections()
        if self.dst is not None:
            with contextlib.suppress(Exception):
                self.dst.close()
        self.dst = None

    def tracking_key(self, db: psycopg2.extensions.connection) -> str:
        if self._tracking_key is None:
            with db.cursor() as cur:
                dbname = fetch_value(cur, "select current_database()")
            self._tracking_key = f"{dbname}/{self.queue_name}/{self.consumer_name}"
        return self._tracking_key

    def process_batch(
        self,
        db: psycopg2.extensions.connection,
        batch_id: int,
        events: Iterable[Event],
    ) -> None:
        if isinstance(events, list) and not events:
            return  # nothing to apply: the empty batch is just finished
        key = self.tracking_key(db)
        dst = self.get_dst()
        with dst.cursor() as dcur:
            if not fetch_value(dcur, "select qadmin_ext.set_batch_done(%s, %s)", (key, batch_id)):
                dst.rollback()
                log.info("batch %d was applied to the target already: skipping it", batch_id)
                self.stat_increase("skipped_batches")
                return
            self.process_remote_batch(db, batch_id, events, dst)
            self._prune(db, dcur, key, batch_id)
        dst.commit()
        kill_point("after_dst_commit")

    def _prune(
        self, db: psycopg2.extensions.connection, dcur: Any, key: str, batch_id: int
    ) -> None:
        """Forget applied batches that can never come back (all older than any open one)."""
        now = time.monotonic()
        if now - self._last_prune < self._PRUNE_EVERY:
            return
        self._last_prune = now
        oldest_open = batch_id
        if self.coop:
            with db.cursor() as cur:
                oldest_open = min(
                    oldest_open,
                    fetch_value(
                        cur,
                        "select min(current_batch) from pgq.get_consumer_info(%s)"
                        " where left(consumer_name, %s) = %s",
                        (self.queue_name, len(self.consumer_name) + 1, self.consumer_name + "."),
                    )
                    or oldest_open,
                )
        dcur.execute("select qadmin_ext.forget_batches(%s, %s)", (key, oldest_open))

    def process_remote_batch(
        self,
        db: psycopg2.extensions.connection,
        batch_id: int,
        events: Iterable[Event],
        dst: psycopg2.extensions.connection,
    ) -> None:
        """Apply the batch's events on dst (inside dst's transaction)."""
        raise NotImplementedError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the consumer that the config's ``handler`` key names."""
    from engine.handlers import HandlerError, resolve_handler

    args = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("config", nargs="?")
    pre.add_argument("--section")
    pre.add_argument("--handler")
    pre.add_argument("--set", action="append", default=[])
    pre.add_argument("--ini", action="store_true")
    pre.add_argument("-h", "--help", action="store_true")
    ns, _ = pre.parse_known_args(args)
    spec = ns.handler
    if spec is None and ns.config and not ns.ini:
        try:
            section = consumer_section(ns.config, ns.section)
            overrides = dict(s.partition("=")[::2] for s in ns.set if "=" in s)
            spec = Config("consumer", ns.config, overrides=overrides, section=section).get(
                "handler", None
            )
            if spec is None and section in _builtin_names():
                spec = section
        except ConfigError as e:
            print(f"python -m engine.consumer: {e}", file=sys.stderr)
            return 1
    if spec is None:
        if ns.ini or ns.help or not ns.config:
            return Consumer(args).run()  # the generic template / help
        else:
            print(
                "python -m engine.consumer: no handler: set handler = print | exec | "
                "queue_mover | table_dispatcher | python:module.Class",
                file=sys.stderr,
            )
            return 1
    try:
        cls = resolve_handler(spec)
    except HandlerError as e:
        print(f"python -m engine.consumer: {e}", file=sys.stderr)
        return 1
    return cls(args).run()


def _builtin_names() -> tuple[str, ...]:
    from engine.handlers import BUILTIN_HANDLERS

    return tuple(BUILTIN_HANDLERS)


if __name__ == "__main__":
    from engine.consumer import main as _main  # the importable copy, not __main__'s

    sys.exit(_main())
