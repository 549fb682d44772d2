"""The cascade worker: keeps one node of a cascaded queue (pgq_node) in step with its provider.

What Skytools' ``pgq.cascade.CascadedWorker`` does, on top of engine.consumer.  The
worker's config names this node's database (``db``) and the queue; the node's
state there says what the node is and who its provider is
(``pgq_node.get_consumer_state`` / ``get_node_info``, read every round, so a
provider change or a pause is seen at once).  By node type:

root
    no batches: every ``global_wm_publish_period`` it publishes the global
    watermark (``pgq_node.set_global_watermark(queue, NULL)``).
branch
    reads the provider's queue as consumer ``<worker name>`` and copies every
    event into the local queue with the same ``ev_id``, ``ev_time``, type, data and
    extras (``ev_txid`` is this node's: snapshots are per cluster), then re-creates
    the batch's tick with the same tick id, tick time and event seq
    (``pgq.ticker(queue, tick_id, tick_time, event_seq)``).  The local queue has
    disable_insert and an external ticker; the copy runs with
    ``session_replication_role = replica`` for its transaction, as the original's.
leaf
    reads its provider's batches and processes them (nothing to copy).  A merge
    leaf (``combined_queue``): if the combined queue is root on this node, the
    leaf copies the non-``pgq.*`` events into it (new ids) and, after each batch,
    adds a ``pgq.tick-id`` event; if it is a branch, the leaf waits until the
    combined queue's worker got that far (``wait_behind``).

One batch, and why a kill -9 anywhere loses or doubles nothing::

    target:   begin; lock; state and node role (refresh_state)
    provider: next_batch_custom(queue, worker ...)                  (autocommit)
    target:   is_batch_done; copy events, cascade events,
              set_consumer_completed; commit               <- the atomic point
    target:   pgq.ticker(queue, tick_id, tick_time, event_seq)      (branch, own transaction)
    provider: [set_subscriber_watermark] finish_batch               (autocommit)

A batch whose prev tick is the node's completed tick is applied; one whose cur
tick is the completed tick was applied already (its local tick is created if the
crash came before it); anything else is ``Lost position``.

Both connections are in autocommit with explicit transactions (no BEGIN round
trips); the open batch pins its ticks on the provider, so reading it needs no
transaction there.  A pgq_tick NOTIFY of the provider wakes a running worker; the
local tick (pgq.ticker) NOTIFYs this node's consumers.  On its target the worker
LISTENs on ``pgq_node_state`` (STATE_CHANNEL, payload the queue name): a pause,
resume or provider change there (pgq_node.set_consumer_paused and
change_consumer_provider notify, and so does the admin) wakes it at once, whatever
its loop_delay, the root's long sleep included, so the admin's waits for its
confirmation (uptodate) take a round trip, not a sleep.  A paused worker, and the
root, sleep through the provider's ticks.

The copy is set-based: the batch comes from the provider as one ``COPY (batch
query) TO STDOUT`` piped (a thread) into one ``COPY FROM STDIN`` into
``pgq.current_event_table(queue)`` at the same time; byte counts on the way find
cascade and retry events, which are then read separately (rare).

Hooks for subclasses (Londiste): ``process_remote_event(src_curs, dst_curs, ev)``
(data events; call the base for ``pgq.*``), ``process_remote_batch(src_db, batch,
events, dst_db)``, ``copy_event(dst_curs, ev, filtered_copy)`` /
``flush_events(dst_curs)``, ``finish_remote_batch(src_db, dst_db, batch)``,
``is_batch_done(state, batch, dst)``, ``process_root_node(dst)``,
``publish_local_wm(src_db, dst_db, batch)``, ``create_branch_tick(dst_db, batch)``,
``event_table(dcur, role)``, ``refresh_state(dst)``; class attributes
``main_worker`` and ``max_evbuf``; ``self.role`` (NodeRole) and
``self.consumer_state``.  A subclass that overrides process_remote_event,
process_remote_batch or copy_event gets every event as an ``engine.consumer.Event``
(read with pgq_lazy_fetch through a cursor) and copies them through copy_event
(COPY of buffered rows), in the order it processes them.

Cascade events (ev_extra1 = queue name): ``pgq.location-info`` →
``register_location`` here, ``pgq.unregister-location`` → ``unregister_location``,
``pgq.global-watermark`` → ``set_global_watermark`` on a branch (a branch with the
``sync_watermark`` node attr computes its own), ``pgq.tick-id`` (extra1 = a part
queue) → ``set_partition_watermark``; any other ``pgq.*`` type is an error, and so
is a retry event.  Every ``local_wm_publish_period`` a non-root node reports its
local watermark to the provider (``pgq_node.set_subscriber_watermark``).

A failed round records its message on the node (``pgq_node.set_consumer_error``,
shown by status), logs one line for expected errors, and is retried.

Command line: ``python -m engine.cascade.worker CONFIG.ini`` with every daemon's
switches (-d, -s, -k, -r, -v, -q, --ini, --set) and ``--section``.

Deliberate differences from the original: the local tick takes the provider
tick's own event seq (the original passes the highest ev_id it saw), so ticks are
identical on every node; the base worker ignores data events it is not told to
apply (the original's base class raises on them: only Londiste ran it); a second
worker of the same name waits for the first on an advisory lock instead of
copying the batch twice.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, ClassVar

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql

from engine.base import Daemon, DaemonError, kill_point
from engine.config import Config
from engine.consumer import Batch, BatchWalker, Consumer, Event, consumer_section
from engine.db import describe_error, fetch_value

__all__ = [
    "STATE_CHANNEL",
    "CascadeBatch",
    "CascadedWorker",
    "NodeRole",
    "main",
]

log = logging.getLogger(__name__)

# columns of a copied event, in the order the fast path moves them: ev_retry and
# ev_type first, so that a retry or cascade event is found by a byte count
_FAST_COLUMNS = (
    "ev_retry",
    "ev_type",
    "ev_id",
    "ev_time",
    "ev_data",
    "ev_extra1",
    "ev_extra2",
    "ev_extra3",
    "ev_extra4",
)
# columns of a buffered Event copied by copy_event()/flush_events()
_COPY_COLUMNS = (
    "ev_time",
    "ev_type",
    "ev_data",
    "ev_extra1",
    "ev_extra2",
    "ev_extra3",
    "ev_extra4",
)
_EVENT_SELECT = (
    "ev_id, ev_time, ev_txid, ev_retry, ev_type, ev_data,"
    " ev_extra1, ev_extra2, ev_extra3, ev_extra4"
)
# events every worker must see even where it copies with COPY: cascade events and
# (always an error) retry events
_SPECIAL_WHERE = "ev_type like 'pgq.%' or ev_retry is not null"
# the worker's state and the node's role in one round trip
_STATE_QUERY = (
    "select s.ret_code, s.ret_note, s.node_type, s.node_name, s.completed_tick,"
    " s.provider_node, s.provider_location, s.paused, s.uptodate, s.cur_error,"
    " n.ret_code as info_code, n.ret_note as info_note, n.global_watermark,"
    " n.local_watermark, n.combined_queue, n.combined_type, n.node_attrs"
    " from pgq_node.get_consumer_state(%s, %s) s, pgq_node.get_node_info(%s) n"
)
_STATE_KEYS = (
    "ret_code",
    "ret_note",
    "node_type",
    "node_name",
    "completed_tick",
    "provider_node",
    "provider_location",
    "paused",
    "uptodate",
    "cur_error",
)
_INFO_KEYS = (
    "node_type",
    "node_name",
    "global_watermark",
    "local_watermark",
    "combined_queue",
    "combined_type",
    "node_attrs",
)
# NOTIFY channel (payload the queue name) the worker LISTENs on in this node's database:
# a change of its state there (pause, resume, provider) wakes it at once
STATE_CHANNEL = "pgq_node_state"
# bytes moved per read and write between the two COPYs
_PIPE_BUFFER = 1 << 16


@dataclass(frozen=True)
class NodeRole:
    """What the worker does on this node, from get_node_info (the original's WorkerState)."""

    node_type: str
    node_name: str
    local_watermark: int | None
    global_watermark: int | None
    node_attrs: dict[str, str] = field(default_factory=dict)
    combined_queue: str | None = None
    combined_type: str | None = None
    #: the queue events are copied into ('' = no copy)
    target_queue: str = ""
    process_batch: bool = False
    process_events: bool = False
    copy_events: bool = False
    #: copy with the provider's ev_id (branch) or let the target number them (merge leaf)
    keep_event_ids: bool = False
    #: copy only non-cascade events (merge leaf into its combined root)
    filtered_copy: bool = False
    create_tick: bool = False
    send_tick_event: bool = False
    wait_behind: bool = False
    process_tick_event: bool = False
    process_global_wm: bool = False
    global_wm_event: bool = False
    local_wm_publish: bool = True
    sync_watermark: bool = False
    wm_sync_nodes: tuple[str, ...] = ()

    @classmethod
    def from_node_info(cls, queue_name: str, info: dict[str, Any]) -> NodeRole:
        """Decide the role flags from a get_node_info row (as a dict)."""
        ntype = info["node_type"]
        ctype = info.get("combined_type")
        attrs = decode_attrs(info.get("node_attrs"))
        base: dict[str, Any] = {
            "node_type": ntype,
            "node_name": info["node_name"],
            "local_watermark": info.get("local_watermark"),
            "global_watermark": info.get("global_watermark"),
            "node_attrs": attrs,
            "combined_queue": info.get("combined_queue"),
            "combined_type": ctype,
        }
        if ctype and ntype != "leaf":
            raise DaemonError(f"node of type {ntype} cannot have a combined queue")
        if ntype == "root":
            return cls(**base, global_wm_event=True, local_wm_publish=False)
        if ntype == "branch":
            sync = "sync_watermark" in attrs
            nodes = tuple(n for n in (attrs.get("sync_watermark") or "").split(",") if n)
            return cls(
                **base,
                target_queue=queue_name,
                process_batch=True,
                process_events=True,
                copy_events=True,
                process_tick_event=True,
                keep_event_ids=True,
                create_tick=True,
                sync_watermark=sync,
                wm_sync_nodes=nodes,
                process_global_wm=not sync,
            )
        if ntype == "leaf" and not ctype:
            return cls(**base, process_batch=True, process_events=True)
        if ntype == "leaf" and ctype == "root":
            return cls(
                **base,
                target_queue=info["combined_queue"],
                process_batch=True,
                process_events=True,
                copy_events=True,
                filtered_copy=True,
                send_tick_event=True,
            )
        if ntype == "leaf" and ctype == "branch":
            return cls(
                **base, target_queue=info["combined_queue"], process_batch=True, wait_behind=True
            )
        raise DaemonError(f"invalid node state: type {ntype!r}, combined queue type {ctype!r}")


def decode_attrs(text: str | None) -> dict[str, str]:
    """node_attrs as a dict: urlencoded ``key=value&key2=value2`` (Skytools' db_urldecode)."""
    if not text:
        return {}
    return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))


class CascadeBatch(Batch):
    """A provider batch with what the worker needs besides: the tick's time and event seq."""

    __slots__ = ("cur_tick_event_seq", "prev_tick_time")

    def __init__(
        self,
        batch_id: int,
        tick_id: int,
        prev_tick_id: int,
        tick_time: datetime,
        lag: float | None,
        prev_tick_time: datetime | None,
        cur_tick_event_seq: int | None,
    ) -> None:
        super().__init__(batch_id, tick_id, prev_tick_id, tick_time, lag)
        self.prev_tick_time = prev_tick_time
        self.cur_tick_event_seq = cur_tick_event_seq


class _CopyCounter:
    """Reads COPY text for COPY FROM and counts what passes: rows, retry rows, cascade rows.

    The rows start with ev_retry then ev_type: a row whose first field is not \\N is
    a retry event, one whose second field starts with pgq. a cascade event.  Raw
    newlines in COPY text only end rows (data escapes its own), so these are byte
    counts over the chunks (each cut just before a newline): no Python code per row.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._carry = b"\n"  # every row is preceded by a newline: the first one too
        self._newlines = 0
        self._plain = 0
        self.cascade_rows = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        buf = self._carry + chunk
        cut = buf.rfind(b"\n") if chunk else len(buf)
        piece, self._carry = buf[:cut], buf[cut:]
        self._newlines += piece.count(b"\n")
        self._plain += piece.count(b"\n\\N\t")
        self.cascade_rows += piece.count(b"\n\\N\tpgq.")
        return chunk

    @property
    def rows(self) -> int:
        return max(0, self._newlines - 1)

    @property
    def retry_rows(self) -> int:
        return self.rows - self._plain


def _copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return str(value)


def _open(dsn: str, application_name: str) -> psycopg2.extensions.connection:
    """A connection in the settings the byte-for-byte copy needs on both ends."""
    params: dict[str, Any] = {}
    parsed = psycopg2.extensions.parse_dsn(dsn) if dsn else {}
    if "application_name" not in parsed:
        params["application_name"] = application_name[:63]
    if "connect_timeout" not in parsed:
        params["connect_timeout"] = 10
    conn = psycopg2.connect(dsn, **params)
    # COPY text passes from one server to the other as it is: same encoding, ISO dates
    conn.set_client_encoding("UTF8")
    with conn.cursor() as cur:
        cur.execute("set datestyle = 'ISO'")
    conn.commit()
    return conn


class CascadedWorker(Consumer):
    """Cascade worker: copies a cascaded queue from the provider into this node (pgq_node)."""

    service_name: ClassVar[str] = "cascade_worker"
    kind: ClassVar[str] = "worker"
    main_module: ClassVar[str | None] = "engine.cascade.worker"
    handler_name: ClassVar[str] = "cascade_worker"
    #: False for extra workers of one node (Londiste's parallel ones): they leave
    #: the cascade events, the copy and the ticks to the node's own worker
    main_worker: ClassVar[bool] = True
    #: Events buffered by copy_event() before a flush
    max_evbuf: ClassVar[int] = 500
    ini_template: ClassVar[str] = """
# connect string of this node's database (the worker's target)
db = dbname=mydb

# the cascaded queue (legacy: pgq_queue_name)
queue_name = myqueue

# consumer name on the provider = the node's worker name (legacy: pgq_consumer_id);
# default: job_name
#consumer_name = %(job_name)s

# libpq settings added to every other node's public connect string (the provider,
# the nodes of sync_watermark), e.g. user=... sslmode=...
#remote_extra_connstr =

# root: how often to publish the global watermark downstream
#global_wm_publish_period = 300
# other nodes: how often to report the local watermark to the provider
#local_wm_publish_period = 300

# rows per FETCH where events are read one by one (subclasses applying data)
#pgq_lazy_fetch = 300

# take a provider batch only when it spans this many events or this much time
#pgq_batch_collect_events =
#pgq_batch_collect_interval =
# stay at least this far behind the provider, e.g. 10 minutes
#pgq_keep_lag =

# LISTEN for pgq_tick on the provider, so a new tick there wakes the worker at once
#use_notify = 1

# reconnect after this many seconds idle
#connection_lifetime = 1200
"""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        super().__init__(argv)
        self.dst: psycopg2.extensions.connection | None = None
        self.provider_connstr: str | None = None
        self.consumer_state: dict[str, Any] | None = None
        self.role: NodeRole | None = None
        self.batch: CascadeBatch | None = None
        self.ev_buf: list[Event] = []
        self.global_wm_publish_time = 0.0
        self.local_wm_publish_time = 0.0
        #: upstream global watermark, remembered by a sync_watermark branch
        self.real_global_wm: int | None = None
        self.was_wait_behind = False

    # -- command line and config -------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--section", help="ini section to read (default: the only one)")

    @classmethod
    def ini_text(cls) -> str:
        parts, seen = [], set()
        for klass in reversed(cls.__mro__):
            # the plain consumer's keys (handler, retries, coop ...) do not apply
            if klass in (Consumer,) or not issubclass(klass, Daemon):
                continue
            tpl = klass.__dict__.get("ini_template")
            if tpl and tpl not in seen:
                seen.add(tpl)
                parts.append(tpl.strip("\n"))
        return f"[{cls.service_name}]\n" + "\n\n".join(parts) + "\n"

    def load_config(self) -> Config:
        section = consumer_section(self.args.config, self.args.section, self.service_name)
        return Config(
            self.service_name, self.args.config, overrides=self.overrides(), section=section
        )

    def load_settings(self) -> None:
        super().load_settings()
        cf = self.cf
        assert cf is not None
        self.auto_register = False  # the node's admin registers the worker on the provider
        self.table_filter = []
        self.retry_failed_events = False
        self.global_wm_publish_period = cf.getinterval("global_wm_publish_period", 300.0)
        self.local_wm_publish_period = cf.getinterval("local_wm_publish_period", 300.0)
        self.remote_extra_connstr = cf.get("remote_extra_connstr", "")

    def run_command(self) -> int | None:
        return None

    # -- connections -------------------------------------------------------------------
    def get_dst(self) -> psycopg2.extensions.connection:
        """The connection to this node's database (the worker's target, LISTENing for changes)."""
        if self.dst is None or self.dst.closed:
            self.dst = _open(self.db_connstr, f"{self.job_name} worker")
            self.dst.autocommit = True  # transactions are explicit: no BEGIN round trips
            if self.src is None or self.src.closed:
                # connection_lifetime counts from here where no provider connection
                # does (the root's): not from 0, which closed both every idle round
                self._src_connected = time.monotonic()
            with self.dst.cursor() as cur:
                # the admin (and pgq_node's functions that change the worker's state)
                # signal here: a pause, resume or provider change wakes the worker
                cur.execute(sql.SQL("listen {}").format(sql.Identifier(STATE_CHANNEL)))
        return self.dst

    def remote_connstr(self, location: str) -> str:
        """Another node's public connect string with remote_extra_connstr added."""
        extra = self.remote_extra_connstr.strip()
        return f"{location} {extra}" if extra else location

    def get_src(self) -> psycopg2.extensions.connection:
        """The connection to the provider (LISTENing for its ticks)."""
        if self.src is not None and not self.src.closed:
            return self.src
        if not self.provider_connstr:
            raise DaemonError(f"no provider location for queue {self.queue_name}")
        self.src = _open(self.remote_connstr(self.provider_connstr), f"{self.job_name} worker")
        # autocommit: the open batch pins its ticks, so its reads need no transaction
        self.src.autocommit = True
        self._src_connected = time.monotonic()
        if self.use_notify:
            with self.src.cursor() as cur:
                cur.execute("listen pgq_tick")
        return self.src

    def close_connections(self) -> None:
        super().close_connections()
        if self.dst is not None:
            with contextlib.suppress(Exception):
                self.dst.close()
        self.dst = None

    def reload(self) -> None:
        super().reload()
        self.provider_connstr = None

    # -- node state --------------------------------------------------------------------
    def refresh_state(self, dst: psycopg2.extensions.connection) -> dict[str, Any]:
        """Read the worker's state and the node's role from this node; say we saw it.

        Opens a transaction on dst (locked for this worker name) that the round ends
        (end_transaction).  Also sets uptodate (the admin's pause/resume waits for
        it), clears an error recorded by an earlier round that failed, and
        reconnects to the provider when its location changed.
        """
        with dst.cursor() as cur:
            # the transaction that follows holds the lock: one worker at a time per
            # node and name (a second one waits here, then finds the batch done)
            try:
                row = self._api_row(
                    cur,
                    "begin; select pg_advisory_xact_lock(hashtextextended(%s, 0)); " + _STATE_QUERY,
                    (
                        f"pgq_node worker {self.queue_name} {self.consumer_name}",
                        self.queue_name,
                        self.consumer_name,
                        self.queue_name,
                    ),
                )
            except (psycopg2.errors.UndefinedFunction, psycopg2.errors.InvalidSchemaName):
                dbname = dst.info.dbname
                self.end_transaction(dst, commit=False)
                raise DaemonError(
                    f"the node's database {dbname} has no pgq_node module: install it"
                    " (python -m engine.install ... pgq_node) and create the node"
                ) from None
            if row["info_code"] is not None and row["info_code"] >= 300:
                raise DaemonError(f"{row['info_code']} {row['info_note']}")
            state = {k: row[k] for k in _STATE_KEYS}
            info = {k: row[k] for k in _INFO_KEYS}
            if not state["uptodate"]:
                cur.execute(
                    "select * from pgq_node.set_consumer_uptodate(%s, %s, true)",
                    (self.queue_name, self.consumer_name),
                )
            if state["cur_error"] and not self._fail_count:
                cur.execute(
                    "select * from pgq_node.set_consumer_error(%s, %s, NULL)",
                    (self.queue_name, self.consumer_name),
                )
        self.consumer_state = state
        self.role = NodeRole.from_node_info(self.queue_name, info)
        # the node answered for this worker: it is up (a bad batch later is a runtime error)
        self.mark_ready()
        if self.role.wait_behind:
            self.was_wait_behind = True
        loc = state["provider_location"]
        if loc != self.provider_connstr:
            if self.provider_connstr is not None:
                log.info(
                    "provider of %s is now %s",
                    self.queue_name,
                    state["provider_node"],
                    extra={"queue": self.queue_name, "node": state["provider_node"]},
                )
            super().close_connections()  # the provider's, not the target's
            self.provider_connstr = loc
        return state

    @staticmethod
    def end_transaction(conn: psycopg2.extensions.connection, commit: bool = True) -> None:
        """COMMIT (or ROLLBACK) the explicit transaction open on an autocommit connection."""
        if conn.closed:
            return
        if conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            with conn.cursor() as cur:
                cur.execute("commit" if commit else "rollback")

    @staticmethod
    def _api_row(cur: Any, query: str, args: Sequence[Any]) -> dict[str, Any]:
        cur.execute(query, args)
        row = cur.fetchone()
        names = [d[0] for d in cur.description]
        if row is None:
            raise DaemonError(f"no answer from {query.split('from ')[-1].split('(')[0]}")
        rec = dict(zip(names, row, strict=True))
        if rec.get("ret_code") is not None and rec["ret_code"] >= 300:
            raise DaemonError(f"{rec['ret_code']} {rec['ret_note']}")
        return rec

    # -- the loop ----------------------------------------------------------------------
    def work(self) -> bool:
        try:
            more = self._work()
        except psycopg2.Error as e:
            self.set_error(e)
            if self.is_connection_error(e):
                raise
            # the server's message says it all (a missing module, a refused call ...)
            raise DaemonError(describe_error(e)) from e
        except Exception as e:
            self.set_error(e)
            raise
        return more

    def set_error(self, err: BaseException) -> None:
        """Record a failed round's message on this node (pgq_node.set_consumer_error)."""
        msg = describe_error(err)
        try:
            dst = self.get_dst()
            self.end_transaction(dst, commit=False)
            with dst.cursor() as cur:
                cur.execute(
                    "select * from pgq_node.set_consumer_error(%s, %s, %s)",
                    (self.queue_name, self.consumer_name, msg),
                )
        except Exception as e:
            log.debug("cannot record the error on the node: %s", describe_error(e))

    def _work(self) -> bool:
        dst = self.get_dst()
        # a notification that comes after this point wakes the next sleep
        del dst.notifies[:]
        if self.src is not None and not self.src.closed:
            del self.src.notifies[:]
        state = self.refresh_state(dst)
        role = self.role
        assert role is not None
        if state["paused"]:
            self.end_transaction(dst)
            log.debug("worker %s is paused", self.consumer_name)
            self.update_status(paused=True)
            return False
        self._status.pop("paused", None)
        if role.node_type == "root":
            self.end_transaction(dst)
            self.process_root_node(dst)
            return False
        src = self.get_src()
        cur = src.cursor()
        del src.notifies[:]  # a tick after this point wakes the next sleep
        batch = self._next_batch(cur)
        if batch is None:
            self.end_transaction(dst)
            self._idle()
            return False
        self.batch = batch
        if role.wait_behind and batch.tick_id > state["completed_tick"]:
            # the combined queue's worker sets our position; the batch stays open
            self.end_transaction(dst)
            log.debug("wait behind: tick %s, completed %s", batch.tick_id, state["completed_tick"])
            self._idle()
            return False
        kill_point("after_next_batch")
        started = time.monotonic()
        count = self.process_batch_events(src, dst, batch)
        if role.local_wm_publish and self.main_worker:
            self.publish_local_wm(src, dst, batch)
        cur.execute("select pgq.finish_batch(%s)", (batch.batch_id,))
        kill_point("after_finish")
        self.end_transaction(src)  # where the events were read through a cursor
        kill_point("after_commit")
        self.batch = None
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
            tick=batch.tick_id,
        )
        return True

    def _next_batch(self, cur: Any) -> CascadeBatch | None:
        cur.execute(
            "select batch_id, cur_tick_id, prev_tick_id, cur_tick_time,"
            " extract(epoch from now() - cur_tick_time)::float8, prev_tick_time,"
            " cur_tick_event_seq"
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
        return CascadeBatch(*row)

    def process_batch_events(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> int:
        """Apply one provider batch to this node unless it was applied; returns its event count.

        Leaves the provider's transaction open (finish_batch follows).
        """
        role = self.role
        assert role is not None
        if role.wait_behind:
            return self.process_wait_behind(src, dst, batch)
        assert self.consumer_state is not None
        state = self.consumer_state  # read under the worker's lock, in dst's transaction
        if self.is_batch_done(state, batch, dst):
            self.end_transaction(dst)
            log.info(
                "batch %s..%s was applied already",
                batch.prev_tick_id,
                batch.tick_id,
                extra={"batch_id": batch.batch_id, "tick_id": batch.tick_id},
            )
            return 0
        count = self.copy_and_process(src, dst, batch)
        kill_point("after_process")
        self.finish_remote_batch(src, dst, batch)
        return count

    # -- batch done? -------------------------------------------------------------------
    def is_batch_done(
        self, state: dict[str, Any], batch: CascadeBatch, dst: psycopg2.extensions.connection
    ) -> bool:
        """True if the node applied this batch already (creating a missing local tick).

        Raises DaemonError('Lost position ...') when the node is neither at the
        batch's start nor at its end.
        """
        role = self.role
        assert role is not None
        cur_tick, prev_tick = batch.tick_id, batch.prev_tick_id
        dst_tick = state["completed_tick"]
        if self.was_wait_behind:
            # the combined queue turned from branch to root: the branch's worker may
            # have moved our position past this batch
            if dst_tick is not None and cur_tick is not None and cur_tick <= dst_tick:
                return True
            if not role.wait_behind:
                self.was_wait_behind = False
        if dst_tick is None:
            raise DaemonError(f"queue {self.queue_name}: the node has no completed tick")
        if prev_tick == dst_tick:
            return False
        if cur_tick != dst_tick:
            raise DaemonError(f"Lost position: batch {prev_tick}..{cur_tick}, dst has {dst_tick}")
        if role.create_tick and self.main_worker:
            with dst.cursor() as cur:
                last_tick = fetch_value(
                    cur,
                    "select last_tick_id from pgq.get_queue_info(%s)",
                    (self.queue_name,),
                )
            self.end_transaction(dst)
            if last_tick != cur_tick:
                if last_tick != prev_tick:
                    raise DaemonError(
                        f"is_batch_done: last branch tick = {last_tick},"
                        f" expected {prev_tick} or {cur_tick}"
                    )
                log.info("creating the missing local tick %s", cur_tick)
                self.create_branch_tick(dst, batch)
        return True

    # -- processing --------------------------------------------------------------------
    def _uses_events(self) -> bool:
        """True if a subclass handles events itself: then each one goes through Python."""
        base = CascadedWorker
        cls = type(self)
        return (
            cls.process_remote_event is not base.process_remote_event
            or cls.process_remote_batch is not base.process_remote_batch
            or cls.copy_event is not base.copy_event
        )

    def copy_and_process(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> int:
        """Copy the batch into the target queue and process its events, in dst's transaction."""
        role = self.role
        assert role is not None
        self.ev_buf = []
        if self._uses_events():
            with src.cursor() as scur:
                scur.execute("begin")  # the batch cursor lives in a transaction
            events = self._load_events(src.cursor(), batch)
            self.process_remote_batch(src, batch, events, dst)
            return events.count if isinstance(events, BatchWalker) else len(events)
        count = 0
        special: list[Event] | None = None
        if role.copy_events and self.main_worker:
            count, has_special = self.copy_batch(src, dst, batch)
            special = self.special_events(src, batch) if has_special else []
        if special is None:
            special = self.special_events(src, batch)
        self.process_remote_batch(src, batch, special, dst)
        return count or len(special)

    def special_events(
        self, src: psycopg2.extensions.connection, batch: CascadeBatch
    ) -> list[Event]:
        """The batch's cascade events and retry events (the rest is only copied)."""
        with src.cursor() as cur:
            batch_sql = fetch_value(cur, "select pgq.batch_event_sql(%s)", (batch.batch_id,))
            cur.execute(
                sql.SQL("select {} from ({}) e where {} order by ev_id").format(
                    sql.SQL(_EVENT_SELECT), sql.SQL(batch_sql), sql.SQL(_SPECIAL_WHERE)
                )
            )
            return [Event(r, batch) for r in cur.fetchall()]

    def copy_batch(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> tuple[int, bool]:
        """COPY the batch from the provider straight into the target queue.

        Returns (events copied, whether the batch has cascade or retry events).
        """
        role = self.role
        assert role is not None
        cols = list(_FAST_COLUMNS)
        exprs = list(_FAST_COLUMNS)
        where = sql.SQL("")
        params: list[Any] = []
        if role.sync_watermark:
            # copied global watermarks carry this subtree's own (synced) value
            exprs[cols.index("ev_data")] = (
                "case when ev_type = 'pgq.global-watermark' then %s::text else ev_data end"
            )
            params.append(str(role.global_watermark))
        if not role.keep_event_ids:
            del exprs[cols.index("ev_id")]
            cols.remove("ev_id")
        if role.filtered_copy:
            where = sql.SQL(" where ev_type is null or ev_type not like 'pgq.%%'")
        with src.cursor() as scur:
            batch_sql = fetch_value(scur, "select pgq.batch_event_sql(%s)", (batch.batch_id,))
            # the order is the consumers' business (get_batch_events sorts): no sort here
            batch_sql = batch_sql.removesuffix(" order by 1")
            query = sql.SQL("copy (select {} from ({}) e{}) to stdout").format(
                sql.SQL(", ").join(sql.SQL(e) for e in exprs),
                sql.SQL(batch_sql.replace("%", "%%")),
                where,
            )
            copy_out = scur.mogrify(query, params).decode()
        with dst.cursor() as dcur:
            table = self.event_table(dcur, role)
            copy_in = sql.SQL("copy {} ({}) from stdin").format(
                table, sql.SQL(", ").join(map(sql.Identifier, cols))
            )
            counter = self._pipe_copy(src, copy_out, dcur, copy_in)
        kill_point("after_copy")
        if role.filtered_copy:
            return counter.rows, True  # the cascade events were left out: read them apart
        return counter.rows, bool(counter.retry_rows or counter.cascade_rows)

    @staticmethod
    def _pipe_copy(
        src: psycopg2.extensions.connection,
        copy_out: str,
        dcur: Any,
        copy_in: sql.Composable,
        rewrite: Callable[[IO[bytes]], Any] | None = None,
    ) -> _CopyCounter:
        """COPY OUT on the provider (a thread) piped into COPY IN on the target, both at once.

        rewrite: wraps the pipe's writing end in a file that changes the COPY text on
        its way (one row out per row in); its finish(), if any, runs at the end.
        """
        r, w = os.pipe()
        errors: list[BaseException] = []

        def pump() -> None:
            try:
                with os.fdopen(w, "wb", buffering=_PIPE_BUFFER) as wfile, src.cursor() as scur:
                    out = wfile if rewrite is None else rewrite(wfile)
                    scur.copy_expert(copy_out, out)
                    if hasattr(out, "finish"):
                        out.finish()
            except BaseException as e:  # reported by the main thread
                errors.append(e)

        thread = threading.Thread(target=pump, name="copy-out", daemon=True)
        with os.fdopen(r, "rb", buffering=0) as rfile:
            counter = _CopyCounter(rfile)
            thread.start()
            try:
                dcur.copy_expert(copy_in, counter, size=_PIPE_BUFFER)
            except Exception:
                rfile.close()  # the target failed: the provider's side stops too
                thread.join()
                # a provider that failed first cut the stream short: its error is the news
                if errors and not isinstance(errors[0], OSError):
                    raise errors[0] from None
                raise
            finally:
                rfile.close()
                thread.join()
        if errors:
            raise errors[0]
        return counter

    def event_table(self, dcur: Any, role: NodeRole) -> sql.Composable:
        """The target queue's current event table, in replica mode where inserts are disabled."""
        query = "select pgq.current_event_table(%s)"
        if role.keep_event_ids:
            # a branch queue refuses inserts except in replica mode (as the original's
            # worker runs its target connection); only for this transaction
            query = (
                "select pg_catalog.set_config('session_replication_role', 'replica', true); "
                + query
            )
        name = fetch_value(dcur, query, (role.target_queue,))
        return sql.Identifier(*name.split(".", 1))

    def process_remote_batch(
        self,
        src_db: psycopg2.extensions.connection,
        batch: CascadeBatch,
        events: Iterable[Event],
        dst_db: psycopg2.extensions.connection,
    ) -> None:
        """Hook: copy and process one batch's events (in dst_db's open transaction).

        By default each event is added to the copy buffer (copy_event) where the
        node copies events, and handed to process_remote_event() if it is a
        cascade or londiste event or the node processes events.  In the base
        worker's fast path the copy is done already and events holds only the
        cascade and retry events.
        """
        role = self.role
        assert role is not None
        src_curs = src_db.cursor()
        dst_curs = dst_db.cursor()
        copying = role.copy_events and self._uses_events()
        for ev in events:
            if copying:
                self.copy_event(dst_curs, ev, role.filtered_copy)
            prefix = (ev.type or "").split(".", 1)[0]
            if prefix in ("pgq", "londiste") or role.process_events or ev.retry:
                self.process_remote_event(src_curs, dst_curs, ev)

    def process_remote_event(self, src_curs: Any, dst_curs: Any, ev: Event) -> None:
        """Hook: process one event on the target; the base handles the cascade events.

        Subclasses that apply data events override this and call it for the
        ``pgq.*`` ones.  Data events are ignored here (nothing to apply).
        """
        if ev.retry:
            raise DaemonError(f"a cascaded worker must not get retry events (event {ev.id})")
        t = ev.type or ""
        if not t.startswith("pgq."):
            return
        if not self.main_worker:
            return
        if ev.extra1 != self.queue_name and t != "pgq.tick-id":
            raise DaemonError(f"bad event in queue {self.queue_name}: {ev!r} for {ev.extra1!r}")
        role = self.role
        assert role is not None
        log.debug("cascade event %s(%s)", t, ev.data)
        if t == "pgq.location-info":
            dead = ev.extra3
            dst_curs.execute(
                "select * from pgq_node.register_location(%s, %s, %s, %s)",
                (self.queue_name, ev.data, ev.extra2, dead),
            )
        elif t == "pgq.unregister-location":
            dst_curs.execute(
                "select * from pgq_node.unregister_location(%s, %s)", (self.queue_name, ev.data)
            )
        elif t == "pgq.global-watermark":
            tick_id = int(ev.data)
            if role.sync_watermark:
                log.debug("remembering the upstream global watermark %d", tick_id)
                self.real_global_wm = tick_id
            elif role.process_global_wm:
                dst_curs.execute(
                    "select * from pgq_node.set_global_watermark(%s, %s)",
                    (self.queue_name, tick_id),
                )
        elif t == "pgq.tick-id":
            tick_id = int(ev.data)
            if ev.extra1 == self.queue_name:
                raise DaemonError(f"tick-id event for the worker's own queue {self.queue_name}")
            if role.process_tick_event:
                dst_curs.execute(
                    "select * from pgq_node.set_partition_watermark(%s, %s, %s)",
                    (self.queue_name, ev.extra1, tick_id),
                )
        else:
            raise DaemonError(f"unknown cascade event type {t} (event {ev.id})")

    def process_wait_behind(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> int:
        """Merge leaf behind a combined branch: only the cascade events (data came that way)."""
        events = self.special_events(src, batch)
        with src.cursor() as src_curs, dst.cursor() as dst_curs:
            for ev in events:
                self.process_remote_event(src_curs, dst_curs, ev)
        self.end_transaction(dst)
        return len(events)

    # -- copying through Python (subclasses) -------------------------------------------
    def copy_event(self, dst_curs: Any, ev: Event, filtered_copy: bool) -> None:
        """Hook: add an event to the copy buffer (flushed every max_evbuf and at the end)."""
        if not self.main_worker:
            return
        if filtered_copy and (ev.type or "").startswith("pgq."):
            return
        if len(self.ev_buf) >= self.max_evbuf:
            self.flush_events(dst_curs)
        role = self.role
        if ev.type == "pgq.global-watermark" and role is not None and role.sync_watermark:
            ev = Event(
                (
                    ev.id,
                    ev.time,
                    ev.txid,
                    ev.retry,
                    ev.type,
                    str(role.global_watermark),
                    ev.extra1,
                    ev.extra2,
                    ev.extra3,
                    ev.extra4,
                )
            )
        self.ev_buf.append(ev)

    def flush_events(self, dst_curs: Any) -> None:
        """Write the copy buffer into the target queue with one COPY."""
        if not self.ev_buf:
            return
        role = self.role
        assert role is not None
        cols = list(_COPY_COLUMNS)
        if role.keep_event_ids:
            cols.append("ev_id")
        buf = io.StringIO()
        for ev in self.ev_buf:
            values = [ev.time, ev.type, ev.data, ev.extra1, ev.extra2, ev.extra3, ev.extra4]
            if role.keep_event_ids:
                values.append(ev.id)
            buf.write("\t".join(map(_copy_text, values)))
            buf.write("\n")
        buf.seek(0)
        table = self.event_table(dst_curs, role)
        dst_curs.copy_expert(
            sql.SQL("copy {} ({}) from stdin").format(
                table, sql.SQL(", ").join(map(sql.Identifier, cols))
            ),
            buf,
        )
        self.ev_buf = []

    # -- finishing ---------------------------------------------------------------------
    def finish_remote_batch(
        self,
        src_db: psycopg2.extensions.connection,
        dst_db: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> None:
        """Hook: end the batch on the target: position and data commit together, then the tick."""
        role = self.role
        assert role is not None
        with dst_db.cursor() as dcur:
            if self.main_worker:
                self.flush_events(dcur)
                if role.send_tick_event:
                    dcur.execute(
                        "select pgq.insert_event(%s, 'pgq.tick-id', %s, %s, null, null, null)",
                        (role.target_queue, str(batch.tick_id), self.queue_name),
                    )
            # the atomic point: data and position commit together (one round trip)
            dcur.execute(
                "select * from pgq_node.set_consumer_completed(%s, %s, %s); commit",
                (self.queue_name, self.consumer_name, batch.tick_id),
            )
        kill_point("after_dst_commit")
        if self.main_worker and role.create_tick:
            self.create_branch_tick(dst_db, batch)
            kill_point("after_tick")

    def create_branch_tick(
        self, dst_db: psycopg2.extensions.connection, batch: CascadeBatch
    ) -> None:
        """The provider's tick, re-created here: same id, time and event seq (own transaction)."""
        with dst_db.cursor() as dcur:
            dcur.execute(
                "select pgq.ticker(%s, %s, %s, %s)",
                (self.queue_name, batch.tick_id, batch.tick_time, batch.cur_tick_event_seq),
            )  # autocommit: a transaction of its own

    # -- watermarks --------------------------------------------------------------------
    def process_root_node(self, dst: psycopg2.extensions.connection) -> None:
        """Root: publish the global watermark every global_wm_publish_period."""
        now = time.time()
        if now - self.global_wm_publish_time >= self.global_wm_publish_period:
            log.debug("publishing the global watermark")
            with dst.cursor() as cur:
                cur.execute(
                    "select * from pgq_node.set_global_watermark(%s, NULL)", (self.queue_name,)
                )
            self.global_wm_publish_time = now
        self._idle()
        self.update_status(standby=True)
        # nothing else to do here: look again less often (the original sleeps 10 x);
        # a state change on this node (pgq_node_state) ends the sleep
        self.sleep(max(0.0, 9 * self.loop_delay))

    def publish_local_wm(
        self,
        src_db: psycopg2.extensions.connection,
        dst_db: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> None:
        """Report this node's local watermark to the provider every local_wm_publish_period."""
        now = time.time()
        if now - self.local_wm_publish_time < self.local_wm_publish_period:
            return
        role = self.role
        assert role is not None
        wm = role.local_watermark
        if role.sync_watermark:
            wm = batch.prev_tick_id  # the subtree's lowest position is synced separately
        elif wm is None or (batch.tick_id is not None and wm > batch.tick_id):
            wm = batch.tick_id  # a waiting merge leaf's target can be ahead of the source
        with src_db.cursor() as cur:
            cur.execute(
                "select ret_code, ret_note from pgq_node.set_subscriber_watermark(%s, %s, %s)",
                (self.queue_name, role.node_name, wm),
            )
            answer = cur.fetchone()
        log.debug("local watermark %s published: %s", wm, answer)
        self.local_wm_publish_time = now
        if role.sync_watermark and self.real_global_wm is not None:
            self.sync_global_watermark(dst_db, role)

    def sync_global_watermark(self, dst_db: psycopg2.extensions.connection, role: NodeRole) -> None:
        """sync_watermark branch: the lowest local watermark of the listed nodes becomes global."""
        with dst_db.cursor() as cur:
            cur.execute(
                "select node_name, node_location, dead from pgq_node.get_queue_locations(%s)",
                (self.queue_name,),
            )
            nodes = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
        wm = role.local_watermark
        if wm is None or self.real_global_wm is None:
            return
        wm = min(wm, self.real_global_wm)  # may stay behind upstream, never go ahead
        for name in role.wm_sync_nodes:
            if name == role.node_name:
                continue
            if name not in nodes:
                log.warning("unknown node in sync_watermark: %s", name)
                return
            location, dead = nodes[name]
            if dead:
                continue
            conn = _open(self.remote_connstr(location), f"{self.job_name} watermark")
            try:
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(
                        "select local_watermark from pgq_node.get_node_info(%s)", (self.queue_name,)
                    )
                    row = cur.fetchone()
            finally:
                conn.close()
            if not row or row[0] is None:
                log.warning("node %s has no local watermark", name)
            elif row[0] < wm:
                wm = row[0]
        with dst_db.cursor() as cur:
            cur.execute("select pgq_node.set_global_watermark(%s, %s)", (self.queue_name, wm))

    # -- waking up ---------------------------------------------------------------------
    def _listens_to_provider(self) -> bool:
        """True if a provider tick is news: a running (not paused) non-root worker."""
        role, state = self.role, self.consumer_state
        if role is None or role.node_type == "root":
            return False
        return not (state is not None and state["paused"])

    def _state_notified(self) -> bool:
        conn = self.dst
        return (
            conn is not None
            and not conn.closed
            and any(n.payload == self.queue_name for n in conn.notifies)
        )

    def wake_fds(self) -> list[int]:
        fds = super().wake_fds() if self._listens_to_provider() else []
        if self.dst is not None and not self.dst.closed:
            fds.append(self.dst.fileno())
        return fds

    def wake_pending(self) -> bool:
        if self._state_notified():
            return True
        return self._listens_to_provider() and super().wake_pending()

    def on_readable(self, fds: list[int]) -> bool:
        wake = False
        dst = self.dst
        if dst is not None and not dst.closed and dst.fileno() in fds:
            try:
                dst.poll()
            except psycopg2.Error:
                return True  # connection lost: let work() find out and reconnect
            if self._state_notified():
                wake = True
            else:
                del dst.notifies[:]
        src = self.src
        if src is not None and not src.closed and src.fileno() in fds:
            if self._listens_to_provider():
                wake = super().on_readable(fds) or wake
            else:
                try:
                    src.poll()
                except psycopg2.Error:
                    return True
                del src.notifies[:]  # ticks while paused or root: not news
        return wake


def main(argv: Sequence[str] | None = None) -> int:
    """Run the cascade worker: ``python -m engine.cascade.worker CONFIG.ini [switches]``."""
    return CascadedWorker(list(sys.argv[1:] if argv is None else argv)).run()


if __name__ == "__main__":
    from engine.cascade.worker import main as _main  # the importable copy, not __main__'s

    sys.exit(_main())
