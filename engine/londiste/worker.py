"""The Londiste worker (Replicator): replays a cascaded queue's table events on this node.

A ``CascadedWorker`` (engine.cascade.worker) that also applies the row events of
the tables registered on this node (``londiste.get_table_list``, ``local``).  Per
batch, inside the target transaction the cascade worker opened (so data and
position commit together: a kill -9 anywhere loses or doubles nothing):

1. the table handshake with the copy processes (below), which may wait for them;
2. ``session_replication_role = replica`` for the transaction (no user triggers,
   no fkey triggers, no londiste deny triggers);
3. every event: row events (``I:``/``U:``/``D:`` + urlencoded row, ev_extra1 = the
   table) go to the table's handler (engine.londiste.handlers; the default one
   buffers the batch per table and applies it set-based); ``R`` truncates the
   table (after dropping its buffered changes); ``EXECUTE`` runs the script once
   (``execute_start`` / ``execute_finish``, replication role ``local``);
   ``londiste.add-table`` / ``remove-table`` / ``update-seq`` / ``remove-seq``
   update the set (``global_*``); ``pgq.*`` are the cascade's;
4. the handlers flush, then the cascade worker stores the position and commits.

When a batch fails, it is rolled back to a savepoint and replayed one event at a
time; the first failing event is reported (``event <id> on <table>: <statement>:
<server message>``) through ``pgq_node.set_consumer_error``, which status shows,
and the batch is retried next round.  Nothing of it is committed.

Tables are replayed only in state ``ok`` (and ``?``); an ``ok`` table with a copy
snapshot skips the events the copy already saw (txid visible in the snapshot).

Table states (``merge_state``, the original's): NULL (needs a copy) → ``in-copy``
→ ``catching-up`` → ``wanna-sync:<tick>`` → ``do-sync:<tick>`` → ``ok``.  The
worker (main) starts a copy process (engine.londiste.copy, a process of its own
as the original's ``londiste3 CONFIG copy TABLE``, forked from the worker; at most
``parallel_copies`` at once) for a table in state NULL once the table is ``ok`` on
the provider (or has a copy_node, which the copy checks), after dropping its fkeys
(``londiste.drop_table_fkey``, restored by ``londiste.restore_table_fkey`` when
both ends are ``ok``), at a batch or between batches.  A copy process that died is
started again; the worker's shutdown stops its copies.  When a copy says
``wanna-sync:T`` and main's batch ends at or after T, main sets ``do-sync:<its
batch end>`` and waits; the copy replays its table up to that tick, sets ``ok``
and exits, and main goes on with the table.  Both sides NOTIFY the other with
their state change and wait for it; a wanna-sync at a tick main has passed
already gets a new tick from the provider (``pgq.force_tick``).

EXECUTE and copies: scripts run in the main worker only, in queue order (the
changes buffered before one are applied first; handlers read the structure again
after it).  A copy process skips EXECUTE events: a copy that meets rows of a
structure its table does not have yet fails its batch and retries it until the
main worker has run the script; rows of an older structure simply lack the new
columns.  Nothing is lost either way.

``pgq_lazy_fetch`` defaults to 0 here (the batch is read at once: replay holds
the batch to be able to replay it event by event after an error).

On the root the worker publishes sequences every round (``londiste.root_check_seqs``);
subscribers apply ``londiste.update-seq`` events (``global_update_seq``, which
never moves a sequence back).

Command line: ``python -m engine.londiste.worker CONFIG.ini`` (section
``[londiste3]`` or the only one); ini keys as the original's: db, queue_name,
job_name, parallel_copies, lock_timeout, plus the cascade worker's and every
daemon's.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from engine.base import DaemonError, kill_point, pid_alive, read_pidfile
from engine.cascade.worker import STATE_CHANNEL, CascadeBatch, CascadedWorker, _open
from engine.consumer import Event
from engine.db import describe_error, fetch_value
from engine.londiste import exec_attrs
from engine.londiste.handlers import BaseHandler, HandlerError, build_handler, parse_row

__all__ = [
    "STATE_CHANNEL",
    "Replicator",
    "Snapshot",
    "TableState",
    "main",
]

log = logging.getLogger(__name__)

#: seconds between looks at the table states while waiting for the other side of the
#: copy handshake (its NOTIFY on STATE_CHANNEL ends the wait at once)
SYNC_WAIT = 0.5
#: nodes walked up at most to find the one whose ticker ticks the queue
MAX_CASCADE_DEPTH = 16
#: seconds a stopping worker gives its copies to end (SIGTERM) before SIGKILL
COPY_STOP_TIMEOUT = 10.0
#: seconds between looks for copy consumers left on the provider
COPY_CHECK_PERIOD = 60.0
#: batches after which an ok table's copy snapshot is dropped
SNAPSHOT_BATCHES = 3
#: the temporary table (per session, emptied at commit) a batch is copied into
BATCH_TABLE = "londiste_batch"
_BATCH_COLUMNS = (
    "ev_retry",
    "ev_type",
    "ev_id",
    "ev_time",
    "ev_txid",
    "ev_data",
    "ev_extra1",
    "ev_extra2",
    "ev_extra3",
    "ev_extra4",
)
_BATCH_TABLE_DDL = (
    f"create temp table if not exists {BATCH_TABLE} (ev_id int8, ev_time timestamptz,"
    " ev_txid int8, ev_retry int4, ev_type text, ev_data text, ev_extra1 text, ev_extra2 text,"
    " ev_extra3 text, ev_extra4 text) on commit delete rows"
)
#: an Event's columns, in its order
_BATCH_SELECT = (
    "e.ev_id, e.ev_time, e.ev_txid, e.ev_retry, e.ev_type, e.ev_data,"
    " e.ev_extra1, e.ev_extra2, e.ev_extra3, e.ev_extra4"
)
#: a row event (as londiste._apply_rows takes them)
_ROW_EVENT = "(left(e.ev_type, 2) in ('I:', 'U:', 'D:') or e.ev_type in ('I', 'U', 'D'))"


class Snapshot:
    """A txid snapshot ``xmin:xmax:xip,...``: which transactions it sees."""

    def __init__(self, text: str) -> None:
        xmin, xmax, xip = text.split(":")
        self.xmin = int(xmin)
        self.xmax = int(xmax)
        self.xip = {int(x) for x in xip.split(",") if x}

    def contains(self, txid: int) -> bool:
        """True if the snapshot sees the transaction's effects (committed before it)."""
        if txid < self.xmin:
            return True
        if txid >= self.xmax:
            return False
        return txid not in self.xip


@dataclass
class TableState:
    """One row of londiste.get_table_list, with its handler."""

    name: str
    local: bool
    merge_state: str | None
    custom_snapshot: str | None
    table_attrs: dict[str, str]
    dropped_ddl: str | None
    dest_table: str
    handler: BaseHandler | None = None
    snapshot: Snapshot | None = None
    ok_batches: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TableState:
        attrs = {k: v or "" for k, v in parse_row(row.get("table_attrs")).items()}
        return cls(
            name=row["table_name"],
            local=bool(row["local"]),
            merge_state=row["merge_state"],
            custom_snapshot=row["custom_snapshot"],
            table_attrs=attrs,
            dropped_ddl=row.get("dropped_ddl"),
            dest_table=row.get("dest_table") or row["table_name"],
        )

    @property
    def state(self) -> str:
        """missing, in-copy, catching-up, wanna-sync, do-sync or ok."""
        ms = self.merge_state
        if ms is None:
            return "missing"
        if ms in ("ok", "?"):
            return "ok"
        return ms.split(":", 1)[0]

    @property
    def sync_tick(self) -> int | None:
        ms = self.merge_state or ""
        if ":" in ms:
            return int(ms.split(":", 1)[1])
        return None

    def wants(self, ev: Event) -> bool:
        """False for an event the copy already saw (visible in the copy's snapshot)."""
        return self.snapshot is None or not self.snapshot.contains(ev.txid)


class Replicator(CascadedWorker):
    """Londiste replay: applies the queue's table events on this node (londiste3 worker)."""

    service_name: ClassVar[str] = "londiste3"
    kind: ClassVar[str] = "worker"
    main_module: ClassVar[str | None] = "engine.londiste.worker"
    handler_name: ClassVar[str] = "londiste3"
    copy_module: ClassVar[str] = "engine.londiste.copy"
    ini_template: ClassVar[str] = """
# table copies running at once (each its own process, forked from the worker)
#parallel_copies = 1

# seconds a lock may be waited for by admin operations
#lock_timeout = 10
"""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        super().__init__(argv)
        self.tables: dict[str, TableState] = {}
        self.copy_procs: dict[str, Any] = {}  # table -> engine.londiste.copy.CopyProcess
        #: in a copy handshake wait: only the other side's NOTIFY on dst ends the sleep
        self._handshake_wait = False
        #: a copy was just started: look at the states again without sleeping
        self._relook = False
        #: (table, tick) of wanna-syncs a tick was asked for
        self._ticks_asked: set[tuple[str, int]] = set()
        self._handlers: dict[str, BaseHandler] = {}
        self._snapshot_batches: dict[str, int] = {}
        self._ok_seen: set[str] = set()
        self._tables_seen: set[str] = set()
        self._synced_seen: set[str] = set()
        self._copies_checked = 0.0
        self._used: dict[str, BaseHandler] = {}
        #: the set-based tables of the batch being applied (None: not from the temp table)
        self._bulk: dict[str, TableState] | None = None
        #: the connection whose session has pg_temp.londiste_batch
        self._batch_table_conn: psycopg2.extensions.connection | None = None
        self._src_encoding: str | None = None
        #: the batch's events are in this node's queue already (copy_batch_local)
        self._forwarded = False

    def load_settings(self) -> None:
        super().load_settings()
        cf = self.cf
        assert cf is not None
        self.parallel_copies = max(1, cf.getint("parallel_copies", 1))
        self.lock_timeout = cf.getinterval("lock_timeout", 10.0)
        # replay holds a whole batch anyway: read it in one go unless told otherwise
        self.lazy_fetch = cf.getint("pgq_lazy_fetch", 0)
        from engine.londiste.handlers_extra import configure as configure_handlers

        configure_handlers(cf)  # the handlers' own ini keys (shard_info_sql, obfuscator_map...)

    # -- table list ----------------------------------------------------------------------
    def load_tables(self, cur: Any) -> dict[str, TableState]:
        """Read the set's tables on this node (keeps handlers across batches)."""
        cur.execute(
            "select table_name, local, merge_state, custom_snapshot, table_attrs,"
            " dropped_ddl, dest_table from londiste.get_table_list(%s)",
            (self.queue_name,),
        )
        names = [d[0] for d in cur.description]
        tables: dict[str, TableState] = {}
        for r in cur.fetchall():
            t = TableState.from_row(dict(zip(names, r, strict=True)))
            if not t.local:
                continue
            hstr = t.table_attrs.get("handler", t.table_attrs.get("handlers", ""))
            cond = t.table_attrs.get("copy_condition") or None
            key = f"{t.name}|{hstr}|{t.dest_table}|{cond}"
            h = self._handlers.get(key)
            if h is None:
                try:
                    h = build_handler(t.name, hstr, t.dest_table)
                except HandlerError as e:
                    raise DaemonError(str(e)) from None
                if cond and hasattr(h, "condition"):
                    h.condition = cond
                self._handlers[key] = h
            t.handler = h
            if t.custom_snapshot:
                t.snapshot = Snapshot(t.custom_snapshot)
            tables[t.name] = t
        self.tables = tables
        return tables

    def provider_states(self, src: psycopg2.extensions.connection) -> dict[str, str | None]:
        with src.cursor() as cur:
            cur.execute(
                "select table_name, merge_state from londiste.get_table_list(%s) where local",
                (self.queue_name,),
            )
            return {r[0]: r[1] for r in cur.fetchall()}

    def set_table_state(
        self, cur: Any, table: str, state: str | None, snapshot: str | None = None
    ) -> None:
        self._api_row(
            cur,
            "select * from londiste.local_set_table_state(%s, %s, %s, %s)",
            (self.queue_name, table, snapshot, state),
        )

    # -- the batch -----------------------------------------------------------------------
    def process_batch_events(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> int:
        assert self.consumer_state is not None
        if not self.is_done_quick(batch):
            while not self.sync_tables(src, dst, batch):
                # let the copy see what we said, then look again (under the lock)
                self.end_transaction(dst)
                if self._relook:
                    self._relook = False
                else:
                    self.wait_handshake(SYNC_WAIT)
                if not self.looping:
                    raise DaemonError("stopping while waiting for a table copy")
                del dst.notifies[:]  # what came so far is in the states read next
                self.refresh_state(dst)
        return super().process_batch_events(src, dst, batch)

    def is_done_quick(self, batch: CascadeBatch) -> bool:
        """The batch was applied already (is_batch_done decides how exactly)."""
        state = self.consumer_state
        assert state is not None
        return state["completed_tick"] != batch.prev_tick_id

    def sync_tables(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> bool:
        """The main worker's side of the copy handshake; False = wait and look again."""
        with dst.cursor() as cur:
            tables = self.load_tables(cur)
            ready = True
            if any(t.state == "do-sync" for t in tables.values()):
                ready = False  # a copy is catching up to our tick
            for t in tables.values():
                if t.state == "wanna-sync" and (t.sync_tick or 0) <= (batch.tick_id or 0):
                    log.info(
                        "table %s: do-sync at tick %s",
                        t.name,
                        batch.tick_id,
                        extra={"table": t.name, "state": "do-sync", "tick_id": batch.tick_id},
                    )
                    self.set_table_state(cur, t.name, f"do-sync:{batch.tick_id}", t.custom_snapshot)
                    self.notify_state(cur)
                    ready = False
            if self.start_copies(src, dst, cur, tables):
                self._relook = True
                return False
            ok_now = {t.name for t in tables.values() if t.state == "ok"}
            synced = {t.name for t in tables.values() if t.state == "ok" and not t.custom_snapshot}
            if synced - self._synced_seen:
                # a dropped fkey comes back when both its tables are ok without a copy
                # snapshot: only now can one
                self.restore_fkeys(cur)
            self._synced_seen = synced
            now = time.monotonic()
            # a table handed over or removed (its copy may have been running) leaves a copy
            # consumer on the provider: look now rather than at the next period
            removed = self._tables_seen - set(tables)
            # a copy of a removed table that had registered and then ended (its table gone)
            ended = [
                n for n, p in self.copy_procs.items() if n not in tables and p.poll() is not None
            ]
            for name in ended:
                del self.copy_procs[name]
            if (
                ok_now - self._ok_seen
                or removed
                or ended
                or now - self._copies_checked > COPY_CHECK_PERIOD
            ):
                busy = {t.name for t in tables.values() if t.state != "ok"}
                self.drop_copy_consumers(src, busy)
                self._copies_checked = now
            self._ok_seen = ok_now
            self._tables_seen = set(tables)
        return ready

    def start_copies(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        cur: Any,
        tables: dict[str, TableState],
    ) -> bool:
        """Keep the copies running and start one for a table that needs it (room allowing).

        A table needs a copy in state NULL once it is ok on the provider (a table
        with a copy_node: its copy checks that node).  Its fkeys are dropped, it is
        set in-copy and committed (the copy must see it), and the copy is started;
        True then (dst's transaction is over).
        """
        copying = [
            t
            for t in tables.values()
            if t.state in ("in-copy", "catching-up", "wanna-sync", "do-sync")
        ]
        for t in copying:
            self.ensure_copy_running(t)
        missing = [t for t in tables.values() if t.state == "missing"]
        room = self.parallel_copies - len(copying)
        if not missing or room <= 0:
            return False
        provider = self.provider_states(src)
        for t in missing:
            h = t.handler
            if h is not None and not h.needs_copy:
                self.set_table_state(cur, t.name, "ok")
                continue
            if not t.table_attrs.get("copy_node") and provider.get(t.name, "") not in ("ok", "?"):
                log.info("table %s is not ok on the provider yet", t.name, extra={"table": t.name})
                continue
            self.drop_fkeys(cur, t.dest_table)
            self.set_table_state(cur, t.name, "in-copy")
            self.end_transaction(dst)  # the copy must see in-copy
            self.launch_copy(t)
            return True
        return False

    def notify_state(self, cur: Any) -> None:
        """Wake the other side of the copy handshake (at this transaction's commit)."""
        cur.execute("select pg_catalog.pg_notify(%s, %s)", (STATE_CHANNEL, self.queue_name))

    def _peer_notified(self) -> bool:
        """A state NOTIFY for this queue from another session (not our own echo)."""
        conn = self.dst
        if conn is None or conn.closed:
            return False
        mine = conn.info.backend_pid
        return any(n.payload == self.queue_name and n.pid != mine for n in conn.notifies)

    def wait_handshake(self, seconds: float) -> None:
        """Sleep until the copy handshake's other side NOTIFYs (or seconds pass).

        Provider ticks do not end it: the batch we hold is the one we wait with.
        """
        self._handshake_wait = True
        try:
            self.sleep(seconds)
        finally:
            self._handshake_wait = False

    def wake_fds(self) -> list[int]:
        if self._handshake_wait:
            return [self.dst.fileno()] if self.dst is not None and not self.dst.closed else []
        return super().wake_fds()

    def wake_pending(self) -> bool:
        if self._handshake_wait:
            return self._peer_notified()
        return super().wake_pending()

    def on_readable(self, fds: list[int]) -> bool:
        if not self._handshake_wait:
            return super().on_readable(fds)
        dst = self.dst
        if dst is None or dst.closed:
            return True
        try:
            dst.poll()
        except psycopg2.Error:
            return True  # connection lost: the next round finds out
        if self._peer_notified():
            return True
        del dst.notifies[:]
        return False

    def _idle(self) -> None:
        """No batch: the handshake steps that need none (main worker only).

        New tables get their copy now rather than at the next batch (which an idle
        queue makes only at its idle period), and a wanna-sync at a tick this worker
        has passed gets the new tick it needs from the provider (pgq.force_tick)
        instead of waiting for the ticker's idle period.
        """
        super()._idle()
        if not self.main_worker or self.consumer_state is None:
            return
        src, dst = self.src, self.get_dst()
        if src is None or src.closed:
            return
        done = self.consumer_state["completed_tick"] or 0
        with dst.cursor() as cur:
            cur.execute(
                "begin; select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (f"pgq_node worker {self.queue_name} {self.consumer_name}",),
            )
            tables = self.load_tables(cur)
            for t in tables.values():
                tick = t.sync_tick or 0
                if (
                    t.state == "wanna-sync"
                    and tick <= done
                    and (t.name, tick) not in self._ticks_asked
                ):
                    self._ticks_asked.add((t.name, tick))
                    self.ask_for_tick(src)
            self.start_copies(src, dst, cur, tables)
        self.end_transaction(dst)

    def ask_for_tick(self, src: psycopg2.extensions.connection) -> None:
        """pgq.force_tick where the queue is ticked: on src, or up the cascade from it.

        A branch's queue has an external ticker (its ticks are its provider's,
        copied by its worker): the root's ticker is the one to ask.  Best effort: a
        node that does not answer just means waiting for the ticker's idle tick.
        """
        q = self.queue_name
        conn, opened = src, False
        try:
            for _ in range(MAX_CASCADE_DEPTH):
                with conn.cursor() as cur:
                    cur.execute("select queue_external_ticker from pgq.get_queue_info(%s)", (q,))
                    row = cur.fetchone()
                    if row is not None and not row[0]:
                        cur.execute("select pgq.force_tick(%s)", (q,))
                        return
                    cur.execute("select provider_location from pgq_node.get_node_info(%s)", (q,))
                    up = cur.fetchone()
                if opened:
                    conn.close()
                if up is None or not up[0]:
                    return
                conn = _open(self.remote_connstr(up[0]), f"{self.job_name} worker")
                conn.autocommit = True
                opened = True
        except psycopg2.Error as e:
            log.debug("force_tick upstream: %s", describe_error(e))
        finally:
            if opened and not conn.closed:
                conn.close()

    def drop_copy_consumers(self, src: psycopg2.extensions.connection, busy: set[str]) -> None:
        """Unregister copy consumers left on the provider for tables not being copied (a copy
        killed between its hand-over commit and its unregistration there, a table removed
        during its copy)."""
        prefix = f"{self.consumer_name}.copy."
        with src.cursor() as cur:
            cur.execute(
                "select consumer_name from pgq.get_consumer_info(%s)"
                " where starts_with(consumer_name, %s)",
                (self.queue_name, prefix),
            )
            for (name,) in cur.fetchall():
                if name[len(prefix) :] in busy:
                    continue
                log.info("unregistering the finished copy's consumer %s", name)
                try:
                    cur.execute("select pgq.unregister_consumer(%s, %s)", (self.queue_name, name))
                except psycopg2.Error as e:  # the copy itself got there first
                    log.debug("unregister %s: %s", name, describe_error(e))

    def drop_fkeys(self, cur: Any, table: str) -> None:
        cur.execute("select from_table, fkey_name from londiste.find_table_fkeys(%s)", (table,))
        for from_table, fkey in cur.fetchall():
            log.info("dropping fkey %s on %s for the copy", fkey, from_table)
            cur.execute("select londiste.drop_table_fkey(%s, %s)", (from_table, fkey))

    def restore_fkeys(self, cur: Any) -> None:
        cur.execute(
            "select from_table, fkey_name from londiste.get_valid_pending_fkeys(%s)",
            (self.queue_name,),
        )
        for from_table, fkey in cur.fetchall():
            log.info("restoring fkey %s on %s", fkey, from_table)
            cur.execute("select londiste.restore_table_fkey(%s, %s)", (from_table, fkey))

    def set_error(self, err: BaseException) -> None:
        # what the failed round did is rolled back: look at fkeys and copies again (and
        # the temporary table may have gone with it)
        self._synced_seen = set()
        self._ok_seen = set()
        self._tables_seen = set()
        self._batch_table_conn = None
        super().set_error(err)

    # -- copy processes ------------------------------------------------------------------
    def copy_pidfile(self, table: str) -> str:
        return f"{self.pidfile}.copy.{table}" if self.pidfile else ""

    def ensure_copy_running(self, t: TableState) -> None:
        proc = self.copy_procs.get(t.name)
        if proc is not None and proc.poll() is None:
            return
        pf = self.copy_pidfile(t.name)
        if pf:
            pid = read_pidfile(pf)
            if pid is not None and pid_alive(pid):
                return
        log.info("table %s: copy process not running, starting it", t.name, extra={"table": t.name})
        self.launch_copy(t)

    def launch_copy(self, t: TableState) -> None:
        """Start the copy of a table: ``engine.londiste.copy`` (the door's ``CONFIG TABLE``
        command line) in a process forked from this one (engine.londiste.copy.spawn)."""
        from engine.londiste.copy import spawn

        old = self.copy_procs.pop(t.name, None)
        if old is not None:
            old.poll()
        argv = [self.args.config, t.name]
        if self.args.section:
            argv += ["--section", self.args.section]
        for item in self.args.set:
            argv += ["--set", item]
        if self.args.verbose:
            argv.append("-v")
        log.info("launching the copy of %s", t.name, extra={"table": t.name})
        self.copy_procs[t.name] = spawn(self.copy_module, argv, (self._wake_r, self._wake_w))

    def shutdown(self) -> None:
        """The copies stop with the worker: SIGTERM (each rolls back what it has not
        committed; the next worker starts them again), SIGKILL after COPY_STOP_TIMEOUT."""
        procs = [p for p in self.copy_procs.values() if p.poll() is None]
        for p in procs:
            log.info("stopping the copy process %d", p.pid)
            p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + COPY_STOP_TIMEOUT
        for p in procs:
            if p.wait(max(0.0, deadline - time.monotonic())) is None:
                log.warning("copy process %d did not stop: killing it", p.pid)
                p.send_signal(signal.SIGKILL)
                p.wait(1.0)
        self.copy_procs = {}
        super().shutdown()

    # -- events --------------------------------------------------------------------------
    def copy_and_process(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> int:
        """The batch, COPYed from the provider into a temporary table here, then replayed.

        The events never go through Python one by one: the row events of the tables
        with a set-based handler are applied by ``londiste._apply_rows`` from the
        temporary table, a branch copies them into its queue from there
        (``insert ... select``), and only the rest (cascade, EXECUTE, TRUNCATE,
        londiste.* events, rows of other handlers) is read into Python.
        """
        role = self.role
        assert role is not None
        self.ev_buf = []
        with dst.cursor() as dcur:
            count = self.load_batch(src, dcur, batch)
            forward = role.copy_events and self.main_worker
            # a handler that rewrites or leaves out the events its branch passes on
            # (shard, obfuscate: get_copy_event) needs every event in Python, in order
            rewrites = forward and any(
                getattr(ts.handler, "get_copy_event", None) is not None
                for ts in self.tables.values()
            )
            if forward and not rewrites:
                self.copy_batch_local(dcur, role)
            self._forwarded = forward and not rewrites
            bulk = {} if rewrites else self.bulk_tables()
            dcur.execute(
                f"select {_BATCH_SELECT} from pg_temp.{BATCH_TABLE} e"
                f" where (e.ev_extra1 = any(%s) and {_ROW_EVENT}) is not true order by e.ev_id",
                (list(bulk),),
            )
            stream = [Event(r, batch) for r in dcur.fetchall()]
        self._bulk = bulk
        try:
            self.process_remote_batch(src, batch, stream, dst)
        finally:
            self._bulk = None
            self._forwarded = False
        return count

    def load_batch(
        self, src: psycopg2.extensions.connection, dcur: Any, batch: CascadeBatch
    ) -> int:
        """COPY the batch's events from the provider into pg_temp.londiste_batch (emptied at
        commit); returns their count."""
        if self._batch_table_conn is not dcur.connection:
            dcur.execute(_BATCH_TABLE_DDL)
            self._batch_table_conn = dcur.connection
        with src.cursor() as scur:
            batch_sql = fetch_value(scur, "select pgq.batch_event_sql(%s)", (batch.batch_id,))
        batch_sql = batch_sql.removesuffix(" order by 1")  # the table is read in ev_id order
        copy_out = sql.SQL("copy (select {} from ({}) e) to stdout").format(
            sql.SQL(", ").join(map(sql.Identifier, _BATCH_COLUMNS)), sql.SQL(batch_sql)
        )
        copy_in = sql.SQL("copy {} ({}) from stdin").format(
            sql.Identifier("pg_temp", BATCH_TABLE),
            sql.SQL(", ").join(map(sql.Identifier, _BATCH_COLUMNS)),
        )
        counter = self._pipe_copy(src, copy_out.as_string(src), dcur, copy_in)
        kill_point("after_copy")
        if self._src_encoding is None:
            self._src_encoding = src.info.parameter_status("server_encoding") or None
        return counter.rows

    def copy_batch_local(self, dcur: Any, role: Any) -> None:
        """A branch: the batch's events into this node's queue, from the temporary table."""
        cols = ["ev_time", "ev_type", "ev_data", "ev_extra1", "ev_extra2", "ev_extra3", "ev_extra4"]
        exprs: list[sql.Composable] = [sql.Identifier(c) for c in cols]
        params: list[Any] = []
        if role.sync_watermark:
            # copied global watermarks carry this subtree's own (synced) value
            exprs[2] = sql.SQL(
                "case when ev_type = 'pgq.global-watermark' then %s::text else ev_data end"
            )
            params.append(str(role.global_watermark))
        if role.keep_event_ids:
            cols.append("ev_id")
            exprs.append(sql.Identifier("ev_id"))
        where = sql.SQL("")
        if role.filtered_copy:
            where = sql.SQL(" where ev_type is null or ev_type not like 'pgq.%%'")
        table = self.event_table(dcur, role)
        dcur.execute(
            sql.SQL("insert into {} ({}) select {} from {}{} order by ev_id").format(
                table,
                sql.SQL(", ").join(map(sql.Identifier, cols)),
                sql.SQL(", ").join(exprs),
                sql.Identifier("pg_temp", BATCH_TABLE),
                where,
            ),
            params,
        )

    def replays_table(self, ts: TableState) -> bool:
        """True if this worker applies the table's events now (the main worker: ok tables)."""
        return ts.state == "ok"

    def bulk_tables(self) -> dict[str, TableState]:
        """The replayed tables whose handler is applied set-based by londiste._apply_rows."""
        return {
            name: ts
            for name, ts in self.tables.items()
            if ts.handler is not None and ts.handler.set_based() and self.replays_table(ts)
        }

    def flush_bulk(
        self, cur: Any, bulk: dict[str, TableState], first: int | None, last: int | None
    ) -> None:
        """Apply the set-based tables' row events with first <= ev_id < last (None: open)."""
        if not bulk:
            return
        tables = list(bulk.values())
        cur.execute(
            "select coalesce(sum(r.events), 0), coalesce(sum(r.deleted), 0),"
            " coalesce(sum(r.updated), 0), coalesce(sum(r.inserted), 0)"
            " from unnest(%s::text[], %s::text[], %s::text[], %s::text[])"
            " with ordinality t(tbl, dest, snap, cond, o)"
            " cross join lateral londiste._apply_rows(%s::regclass, t.tbl, t.dest, %s, %s,"
            " t.snap, t.cond, %s) r",
            (
                [t.name for t in tables],
                [t.handler.dest_table if t.handler else t.dest_table for t in tables],
                [t.custom_snapshot for t in tables],
                [getattr(t.handler, "condition", None) for t in tables],
                f"pg_temp.{BATCH_TABLE}",
                first,
                last,
                self._src_encoding,
            ),
        )
        row = cur.fetchone()
        log.debug("applied %s row events: %s deleted, %s updated, %s inserted", *row)

    def process_remote_batch(
        self,
        src_db: psycopg2.extensions.connection,
        batch: CascadeBatch,
        events: Iterable[Event],
        dst_db: psycopg2.extensions.connection,
    ) -> None:
        role = self.role
        assert role is not None
        evlist = list(events)
        bulk = self._bulk
        for ts in self.tables.values():
            if ts.handler is not None:
                ts.handler.prepare_batch(batch.tick_id)
        with dst_db.cursor() as cur:
            cur.execute(
                "select pg_catalog.set_config('session_replication_role', 'replica', true);"
                " savepoint londiste_batch"
            )
            try:
                self.apply_events(src_db, dst_db, evlist, one_by_one=False, bulk=bulk)
            except (psycopg2.Error, HandlerError) as e:
                if dst_db.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN:
                    raise
                log.warning(
                    "batch %s failed (%s): replaying one event at a time",
                    batch.batch_id,
                    describe_error(e),
                    extra={"batch_id": batch.batch_id, "tick_id": batch.tick_id},
                )
                cur.execute("rollback to savepoint londiste_batch")
                self.ev_buf = []
                for h in self._handlers.values():
                    h.prepare_batch(batch.tick_id)
                if bulk is not None:
                    # every event now, the set-based tables' rows included
                    cur.execute(
                        f"select {_BATCH_SELECT} from pg_temp.{BATCH_TABLE} e order by e.ev_id"
                    )
                    evlist = [Event(r, batch) for r in cur.fetchall()]
                self.apply_events(src_db, dst_db, evlist, one_by_one=True, bulk=None)
            self.after_batch(cur, batch)

    def apply_events(
        self,
        src_db: psycopg2.extensions.connection,
        dst_db: psycopg2.extensions.connection,
        events: list[Event],
        one_by_one: bool,
        bulk: dict[str, TableState] | None = None,
    ) -> None:
        """Apply the events in order.  bulk (the batch is in pg_temp.londiste_batch): these
        tables' row events are not in events but applied from there, up to each event that
        may depend on them (EXECUTE, TRUNCATE, londiste.*) and at the end."""
        role = self.role
        assert role is not None
        # events copied into this node's queue already from the temporary table
        copying = role.copy_events and self.main_worker and not self._forwarded
        used: dict[str, BaseHandler] = {}
        self._used = used
        applied_to: int | None = None
        with src_db.cursor() as src_curs, dst_db.cursor() as cur:
            for ev in events:
                if copying:
                    self.copy_event(cur, ev, role.filtered_copy)
                t = ev.type or ""
                row_event = t[:2] in ("I:", "U:", "D:") or t in ("I", "U", "D")
                if bulk and not row_event and not t.startswith("pgq."):
                    self.flush_bulk(cur, bulk, applied_to, ev.id)
                    applied_to = ev.id
                if t.startswith("pgq."):
                    self.process_remote_event(src_curs, cur, ev)
                elif t.startswith("londiste."):
                    self.londiste_event(cur, ev)
                    if bulk:
                        bulk = {n: ts for n, ts in bulk.items() if n in self.tables}
                elif t == "EXECUTE":
                    self.execute_event(cur, ev)
                elif t == "R" or t == "TRUNCATE":
                    ts = self.interesting(ev)
                    if ts is not None and ts.handler is not None:
                        ts.handler.truncate(cur)
                elif row_event:
                    ts = self.interesting(ev)
                    if ts is None or ts.handler is None or not ts.handler.applies_events:
                        continue
                    h = ts.handler
                    if one_by_one:
                        self.apply_one(cur, h, ev)
                    else:
                        used[ts.name] = h
                        h.add_event(cur, ev)
                elif ev.retry:
                    raise DaemonError(
                        f"a londiste worker must not get retry events (event {ev.id})"
                    )
                else:
                    log.debug("ignoring event %s of type %s", ev.id, t)
            for h in used.values():
                h.flush(cur)
            if bulk:
                self.flush_bulk(cur, bulk, applied_to, None)

    def copy_event(self, dst_curs: Any, ev: Event, filtered_copy: bool) -> None:
        """A row event goes into this node's queue as its table's handler says, if it has
        get_copy_event(cur, ev) (the original's: shard keeps this shard's events,
        obfuscate the rewritten rows; None leaves the event out)."""
        if (ev.type or "")[:2] in ("I:", "U:", "D:"):
            ts = self.tables.get(ev.extra1 or "")
            hook = getattr(ts.handler, "get_copy_event", None) if ts is not None else None
            if hook is not None:
                out = hook(dst_curs, ev)
                if out is None:
                    return
                ev = out
        super().copy_event(dst_curs, ev, filtered_copy)

    def apply_one(self, cur: Any, h: BaseHandler, ev: Event) -> None:
        """One event by itself; its failure names the event, table, statement and message."""
        cur.execute("savepoint londiste_event")
        stmt = ""
        try:
            stmt = h.apply_one(cur, ev)
        except (psycopg2.Error, HandlerError) as e:
            if (
                not stmt
                and isinstance(e, psycopg2.Error)
                and e.cursor is not None
                and e.cursor.query
            ):
                stmt = e.cursor.query.decode(errors="replace")
            raise DaemonError(
                f"event {ev.id} on {ev.extra1}: {stmt[:2000]}: {describe_error(e)}"
            ) from None
        cur.execute("release savepoint londiste_event")

    def interesting(self, ev: Event) -> TableState | None:
        """The event's table if this worker applies it now (state, snapshot)."""
        ts = self.tables.get(ev.extra1 or "")
        if ts is None or not self.replays_table(ts):
            return None
        return ts if ts.wants(ev) else None

    def after_batch(self, cur: Any, batch: CascadeBatch) -> None:
        """Drop copy snapshots of ok tables after a few batches."""
        for ts in self.tables.values():
            if ts.state != "ok" or not ts.custom_snapshot:
                continue
            n = self._snapshot_batches.get(ts.name, 0) + 1
            self._snapshot_batches[ts.name] = n
            if n > SNAPSHOT_BATCHES:
                self.set_table_state(cur, ts.name, ts.merge_state, None)
                ts.custom_snapshot = None
                ts.snapshot = None
                self._snapshot_batches.pop(ts.name, None)

    def londiste_event(self, cur: Any, ev: Event) -> None:
        if not self.main_worker:
            return
        t = ev.type
        q = self.queue_name
        if t == "londiste.add-table":
            self._api_row(cur, "select * from londiste.global_add_table(%s, %s)", (q, ev.data))
        elif t == "londiste.remove-table":
            self._api_row(cur, "select * from londiste.global_remove_table(%s, %s)", (q, ev.data))
            self.tables.pop(ev.data or "", None)
        elif t == "londiste.remove-seq":
            self._api_row(cur, "select * from londiste.global_remove_seq(%s, %s)", (q, ev.data))
        elif t == "londiste.update-seq":
            self._api_row(
                cur,
                "select * from londiste.global_update_seq(%s, %s, %s)",
                (q, ev.extra1, int(ev.data or 0)),
            )
        else:
            log.warning("unknown londiste event %s (event %s)", t, ev.id)

    def execute_event(self, cur: Any, ev: Event) -> None:
        """Run an EXECUTE script once on this node (role local, like the original).

        The script's header attributes (engine.londiste.exec_attrs) decide whether it
        runs here: all listed objects present (or no header) → run, with ``@name@``
        tags replaced by the local names; none → recorded as applied but not run;
        some → the batch fails (named in status) until the node matches.
        """
        if not self.main_worker:
            return
        # the changes before the script apply to the structure before it
        for h in self._used.values():
            h.flush(cur)
        try:
            attrs = exec_attrs.parse_urlenc(ev.extra2)
        except exec_attrs.ExecAttrsError as err:
            raise DaemonError(f"execute {ev.extra1}: {err}") from None
        cur.execute("select pg_catalog.set_config('session_replication_role', 'local', true)")
        cur.execute(
            "select ret_code, ret_note from londiste.execute_start(%s, %s, %s, false, %s)",
            (self.queue_name, ev.extra1, ev.data, ev.extra2),
        )
        code, note = cur.fetchone()
        if code == 200:
            tables = {t.name: t.dest_table for t in self.tables.values() if t.local}
            cur.execute(
                "select seq_name from londiste.get_seq_list(%s) where local", (self.queue_name,)
            )
            seqs = {r[0]: r[0] for r in cur.fetchall()}
            try:
                run = exec_attrs.need_execute(cur, attrs, tables, seqs)
                text = (
                    exec_attrs.process_sql(cur, ev.data or "", attrs, tables, seqs) if run else ""
                )
            except exec_attrs.ExecAttrsError as err:
                raise DaemonError(f"execute {ev.extra1}: {err}") from None
            if run:
                log.info("executing %s", ev.extra1, extra={"event_id": ev.id, "file": ev.extra1})
                if text.strip():
                    cur.execute(text)
            else:
                log.info(
                    "%s: not needed on this node",
                    ev.extra1,
                    extra={"event_id": ev.id, "file": ev.extra1},
                )
            self._api_row(
                cur, "select * from londiste.execute_finish(%s, %s)", (self.queue_name, ev.extra1)
            )
            if run:
                for h in self._handlers.values():
                    h.structure_changed()
        elif code >= 300:
            raise DaemonError(f"execute {ev.extra1}: {code} {note}")
        cur.execute("select pg_catalog.set_config('session_replication_role', 'replica', true)")

    # -- root --------------------------------------------------------------------------------
    def process_root_node(self, dst: psycopg2.extensions.connection) -> None:
        with dst.cursor() as cur:
            cur.execute("select * from londiste.root_check_seqs(%s)", (self.queue_name,))
        super().process_root_node(dst)

    def close_connections(self) -> None:
        super().close_connections()
        self._handlers = {}
        self.tables = {}
        self._batch_table_conn = None
        self._src_encoding = None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the Londiste worker: ``python -m engine.londiste.worker CONFIG.ini [switches]``."""
    return Replicator(list(sys.argv[1:] if argv is None else argv)).run()


if __name__ == "__main__":
    from engine.londiste.worker import main as _main

    sys.exit(_main())
