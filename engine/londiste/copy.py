"""The copy of one Londiste table: initial COPY, then catching up until replay takes it over.

Started by the Londiste worker (engine.londiste.worker) for a table in state
``in-copy``, as the original's ``londiste3 CONFIG copy TABLE``: the command line
``python -m engine.londiste.copy CONFIG.ini TABLE`` (the door, runnable by hand),
which the worker runs in a process forked from itself (``spawn``: no interpreter
start-up and imports, which were most of a small table's copy time).  It is a
worker (not the node's main one) named ``<consumer>.copy.<table>`` on the source
node, pidfile and status file ``<name>.copy.<table>``.  It gets SIGTERM when its
worker dies and is stopped by the worker's shutdown: a copy never outlives it.

Source node: the provider, or the table's ``copy_node`` attribute: a node name, or
``?`` for the nearest node up from the provider that has the table with a handler
keeping its rows (the original's find_copy_source).  A copy from a node other than
the provider hands its table over without its snapshot (txids are per cluster).

``in-copy``: first the original's waits: ``copy_role`` wait-copy (another part
queue of the same destination copies first), ``copy_pos`` >= ``max_parallel_copy``
(table attribute, default 8), the table not ok on a copy_node.  Then the copy
consumer is (re-)registered on the source at its current tick T, and one source
transaction (repeatable read) reads its snapshot and streams ``COPY (select common
columns from only table [where copy_condition]) TO STDOUT`` into ``COPY ... FROM
STDIN`` of the target concurrently (a pipe and a thread: the cascade worker's
``_pipe_copy``).  In the one target transaction: the table is locked, its
indexes, primary key and unique constraints are dropped, it is truncated (unless
``skip_truncate``), copied, keys and indexes are built again, the copy consumer's
position (T) is stored here, and the state becomes ``catching-up`` with the
snapshot.  A ``wait-replay`` part (its destination's first part copied already)
only adds its rows: no lock, drop or truncate.  A kill -9 anywhere before that
commit leaves ``in-copy``: the worker starts the copy again, which starts over.

``catching-up``: the copy replays batches from T for its table only, skipping the
events its snapshot saw.  Caught up (a round without a batch), it asks the source
for a tick (``pgq.force_tick``: the next ticker run makes it, instead of the
queue's idle period) and says ``wanna-sync:<tick>`` at the batch that tick ends;
main answers ``do-sync:<tick>``; the copy replays up to that tick, sets ``ok``,
unregisters and exits.  Each side NOTIFYs the other (``pgq_node_state``, payload
the queue) with its state change, and waits for that, not for a poll interval.
Replay positions commit with the data, as in the main worker, so a kill -9
during catching up resumes.  The new rows are analyzed after the hand-over.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib
import logging
import os
import signal
import stat
import sys
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from engine.base import DaemonError, kill_point
from engine.cascade.worker import CascadeBatch, CascadedWorker, _open
from engine.consumer import Event
from engine.db import fetch_value
from engine.londiste.worker import Replicator, TableState

__all__ = ["CopyProcess", "CopyTable", "main", "spawn"]

log = logging.getLogger(__name__)


#: copies of one destination table at once unless max_parallel_copy says (the original's)
MAX_PARALLEL_COPY = 8


class _CopyDone(Exception):
    """The table was handed over to replay (or is gone): the copy process ends."""


def _split(name: str) -> tuple[str, str]:
    schema, dot, rel = name.partition(".")
    return (schema, rel) if dot else ("public", name)


class CopyTable(Replicator):
    """Copy one table for the Londiste worker, then catch up and hand it over."""

    main_worker: ClassVar[bool] = False
    main_module: ClassVar[str | None] = "engine.londiste.copy"
    kind: ClassVar[str] = "copy"

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        super().__init__(argv)
        self.copy_table = ""
        self.main_consumer = ""
        self.was_idle = False
        #: the node copied from, and whether it is the provider (then main may use
        #: the copy's snapshot: same cluster, same txids)
        self.source_node: str | None = None
        self.source_is_provider = True
        #: the position a tick was asked for while caught up (one force_tick each)
        self._tick_asked_at: int | None = None
        self._waiting_said = ""
        #: the node copy_node=? found (looked for once per copy process)
        self._found_source: tuple[str, str] | None = None
        #: copy_role at the start of the copy (londiste._coordinate_copy)
        self._copy_role: str | None = None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("table", nargs="?", help="the table to copy")

    def load_settings(self) -> None:
        super().load_settings()
        if not self.args.table:
            raise DaemonError("the copy needs a table name")
        self.copy_table = self.args.table
        sfx = f".copy.{self.copy_table}"
        self.main_consumer = self.consumer_name
        self.consumer_name += sfx
        if self.pidfile:
            self.pidfile += sfx
        if self.statusfile:
            self.statusfile += sfx
        # the copy must stop at main's exact tick: one tick per batch
        self.collect_events = None
        self.collect_interval = None
        self.keep_lag = None

    # -- the loop ----------------------------------------------------------------------
    def _work(self) -> bool:
        try:
            dst = self.get_dst()
            with dst.cursor() as cur:
                self.load_tables(cur)
            t = self.tables.get(self.copy_table)
            if t is None:
                log.error("table %s is not local here: nothing to copy", self.copy_table)
                raise _CopyDone
            if t.state == "in-copy":
                if not self.may_copy(dst, t):
                    self.end_transaction(dst)
                    return False
                self.do_copy(t)
                return True
            if t.state not in ("catching-up", "wanna-sync", "do-sync"):
                log.info("table %s is %s: the copy has nothing to do", t.name, t.state)
                raise _CopyDone
            more = super()._work()
            if self.batch is None and not more:
                self.was_idle = True
            return more
        except _CopyDone:
            self.looping = False
            return False

    def _idle(self) -> None:
        """Caught up (no batch): ask the provider for the tick that wanna-sync needs.

        wanna-sync is said at the end tick of the batch after an idle round (the
        original's rule), so a caught-up copy needs one new tick; force_tick makes
        the ticker's next run make it instead of waiting for its idle period.
        Once per position: a tick that does not come is not asked again and again.
        """
        self.was_idle = True
        super()._idle()
        t = self.tables.get(self.copy_table)
        state = self.consumer_state
        if t is None or t.state != "catching-up" or state is None:
            return
        pos = state["completed_tick"]
        if pos == self._tick_asked_at or self.src is None or self.src.closed:
            return
        self._tick_asked_at = pos
        self.ask_for_tick(self.src)

    def process_batch_events(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> int:
        count = super().process_batch_events(src, dst, batch)
        self.was_idle = False
        return count

    # -- the handshake, copy side ------------------------------------------------------
    def sync_tables(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        batch: CascadeBatch,
    ) -> bool:
        with dst.cursor() as cur:
            tables = self.load_tables(cur)
            t = tables.get(self.copy_table)
            if t is None:
                raise _CopyDone
            if t.state == "do-sync":
                tick = t.sync_tick or 0
                cur_tick = batch.tick_id or 0
                if cur_tick == tick:
                    self.hand_over(src, dst, cur, t)
                    raise _CopyDone
                if cur_tick < tick:
                    return True
                raise DaemonError(
                    f"table {t.name}: the copy passed the sync tick {tick} (at {batch.tick_id})"
                )
            if t.state == "wanna-sync":
                return False
            if t.state == "catching-up":
                if self.was_idle:
                    log.info(
                        "table %s caught up: wanna-sync at tick %s",
                        t.name,
                        batch.tick_id,
                        extra={"table": t.name, "state": "wanna-sync", "tick_id": batch.tick_id},
                    )
                    self.set_table_state(
                        cur, t.name, f"wanna-sync:{batch.tick_id}", t.custom_snapshot
                    )
                    self.notify_state(cur)
                    self.was_idle = False
                    return False
                return True
            raise _CopyDone

    def hand_over(
        self, src: psycopg2.extensions.connection, dst: Any, cur: Any, t: TableState
    ) -> None:
        """do-sync reached: ok + our position gone here in one commit, then on the provider."""
        log.info(
            "table %s: in sync, handing it over to replay",
            t.name,
            extra={"table": t.name, "state": "ok"},
        )
        # a snapshot of another node's cluster says nothing about the provider's txids
        snapshot = t.custom_snapshot if self.copied_from_provider(cur) else None
        self.set_table_state(cur, t.name, "ok", snapshot)
        cur.execute(
            "select * from pgq_node.unregister_consumer(%s, %s)",
            (self.queue_name, self.consumer_name),
        )
        self.notify_state(cur)
        self.end_transaction(dst)
        kill_point("copy_handed_over")
        with src.cursor() as scur:
            scur.execute(
                "select pgq.unregister_consumer(%s, %s)", (self.queue_name, self.consumer_name)
            )
        self.end_transaction(src)
        # statistics for the new rows, after the hand-over (the original leaves them to
        # autovacuum); not holding anything up, so a failure is only a log line
        try:
            cur.execute(sql.SQL("analyze {}").format(sql.Identifier(*_split(t.dest_table))))
        except psycopg2.Error as e:
            log.warning("table %s: analyze after the copy: %s", t.name, e)

    def replays_table(self, ts: TableState) -> bool:
        return ts.name == self.copy_table and ts.state in ("catching-up", "do-sync", "wanna-sync")

    def interesting(self, ev: Event) -> TableState | None:
        ts = self.tables.get(ev.extra1 or "")
        if ts is None or ts.name != self.copy_table:
            return None
        if ts.state not in ("catching-up", "do-sync", "wanna-sync"):
            return None
        return ts if ts.wants(ev) else None

    def after_batch(self, cur: Any, batch: CascadeBatch) -> None:
        """The snapshot stays: main uses it for its first batches."""

    def process_root_node(self, dst: psycopg2.extensions.connection) -> None:
        log.info("table %s: this node is the root, nothing to copy", self.copy_table)
        raise _CopyDone

    # -- the initial copy --------------------------------------------------------------
    def copied_from_provider(self, cur: Any) -> bool:
        """True if the copy's source node is this node's provider (the main worker's)."""
        row = self._api_row(
            cur,
            "select * from pgq_node.get_consumer_state(%s, %s)",
            (self.queue_name, self.main_consumer),
        )
        src = self._api_row(
            cur,
            "select * from pgq_node.get_consumer_state(%s, %s)",
            (self.queue_name, self.consumer_name),
        )
        return bool(src["provider_node"] == row["provider_node"])

    def copy_source(self, dst: psycopg2.extensions.connection, t: TableState) -> tuple[str, str]:
        """(node name, location) to copy from: the provider, or the copy_node attribute.

        ``copy_node=NAME`` names a member of the queue (a branch near this node, say);
        ``copy_node=?`` takes the nearest node up from the provider that replicates
        the table with a handler that keeps its rows (the original's find_copy_source).
        """
        with dst.cursor() as cur:
            row = self._api_row(
                cur,
                "select * from pgq_node.get_consumer_state(%s, %s)",
                (self.queue_name, self.main_consumer),
            )
            node, location = row["provider_node"], row["provider_location"]
            want = t.table_attrs.get("copy_node")
            if want and want != "?":
                cur.execute(
                    "select node_location from pgq_node.get_queue_locations(%s)"
                    " where node_name = %s",
                    (self.queue_name, want),
                )
                found = cur.fetchone()
                if found is None:
                    raise DaemonError(f"copy_node {want} of table {t.name} is not a known node")
                node, location = want, found[0]
        if not location:
            raise DaemonError(f"no provider location for queue {self.queue_name}")
        if want == "?":
            if self._found_source is None:
                self._found_source = self.find_copy_source(t.name, location)
            node, location = self._found_source
        return node, location

    def find_copy_source(self, table: str, location: str) -> tuple[str, str]:
        """Walk up from the node at location to the first one having the table's rows."""
        seen: set[str] = set()
        while True:
            conn = _open(self.remote_connstr(location), f"{self.job_name} copy")
            try:
                conn.autocommit = True
                with conn.cursor() as cur:
                    info = self._api_row(
                        cur, "select * from pgq_node.get_node_info(%s)", (self.queue_name,)
                    )
                    cur.execute(
                        "select local, table_attrs from londiste.get_table_list(%s)"
                        " where table_name = %s",
                        (self.queue_name, table),
                    )
                    found = cur.fetchone()
            finally:
                conn.close()
            name = info["node_name"]
            if found is not None and found[0] and self._keeps_rows(table, found[1]):
                log.info("table %s: node %s has it, copying from there", table, name)
                return name, location
            log.info("table %s: node %s cannot be copied from", table, name)
            if info["node_type"] == "root" or not info["provider_location"] or name in seen:
                raise DaemonError(f"table {table}: no node up to the root can be copied from")
            seen.add(name)
            location = info["provider_location"]

    @staticmethod
    def _keeps_rows(table: str, attrs: str | None) -> bool:
        """The handler named in table_attrs stores the table's rows (copy-able from)."""
        from engine.londiste.handlers import build_handler, parse_row

        parsed = {k: v or "" for k, v in parse_row(attrs).items()}
        hstr = parsed.get("handler", parsed.get("handlers", ""))
        try:
            return bool(build_handler(table, hstr, table).needs_copy)
        except Exception:
            return False

    def may_copy(self, dst: psycopg2.extensions.connection, t: TableState) -> bool:
        """in-copy: False while the copy must wait (the original's checks, in its order).

        - ``copy_role`` wait-copy: another part queue of the same destination copies first;
        - ``max_parallel_copy`` (table attribute, default 8): at most that many part
          queues' copies of one destination table run at once (``copy_pos``);
        - the table must be ``ok`` on the source node (the main worker checks the
          provider before it starts a copy; a copy_node is checked here).
        """
        with dst.cursor() as cur:
            cur.execute(
                "select copy_role, copy_pos from londiste.get_table_list(%s) where table_name = %s",
                (self.queue_name, t.name),
            )
            row = cur.fetchone()
        role, pos = (row[0], row[1] or 0) if row else (None, 0)
        self._copy_role = role
        limit = int(t.table_attrs.get("max_parallel_copy") or MAX_PARALLEL_COPY)
        why = ""
        if role == "wait-copy":
            why = "waiting for the first part queue's copy"
        elif pos >= limit:
            why = f"max_parallel_copy ({limit}) copies of its destination are running"
        elif t.table_attrs.get("copy_node"):
            node, location = self.copy_source(dst, t)
            conn = _open(self.remote_connstr(location), f"{self.job_name} copy")
            try:
                conn.autocommit = True
                state = self.provider_states(conn).get(t.name, "")
            finally:
                conn.close()
            if state not in ("ok", "?"):
                why = f"not in sync on node {node} yet"
        if why and why != self._waiting_said:
            log.info("table %s: %s", t.name, why)
        self._waiting_said = why
        return not why

    def do_copy(self, t: TableState) -> None:
        dst = self.get_dst()
        node, location = self.copy_source(dst, t)
        log.info(
            "table %s: copying from node %s", t.name, node, extra={"table": t.name, "node": node}
        )
        src = _open(self.remote_connstr(location), f"{self.job_name} copy")
        try:
            src.autocommit = True
            q, c = self.queue_name, self.consumer_name
            with src.cursor() as scur:
                # a fresh position: a copy that started over must not keep an old one
                scur.execute(
                    "select pgq.unregister_consumer(%s, %s) from pgq.get_consumer_info(%s)"
                    " where consumer_name = %s",
                    (q, c, q, c),
                )
                scur.execute("select pgq.register_consumer(%s, %s)", (q, c))
                tick = fetch_value(
                    scur, "select last_tick from pgq.get_consumer_info(%s, %s)", (q, c)
                )
                snapshot = fetch_value(
                    scur,
                    "begin isolation level repeatable read read only;"
                    " select pg_catalog.txid_current_snapshot()::text",
                )
            kill_point("copy_registered")
            started = time.monotonic()
            rows = self.copy_rows(src, dst, t)
            with dst.cursor() as cur:
                cur.execute(
                    "select * from pgq_node.register_consumer(%s, %s, %s, %s)", (q, c, node, tick)
                )
                self.set_table_state(cur, t.name, "catching-up", snapshot)
            kill_point("copy_before_commit")
            self.end_transaction(dst)
            kill_point("copy_committed")
            self.end_transaction(src)
            log.info(
                "table %s: %d rows copied in %.2f s, catching up from tick %s",
                t.name,
                rows,
                time.monotonic() - started,
                tick,
                extra={"table": t.name, "state": "catching-up", "rows": rows, "tick_id": tick},
            )
        finally:
            self.end_transaction(dst, commit=False)
            src.close()

    def columns(self, cur: Any, table: str) -> list[str]:
        schema, rel = _split(table)
        cur.execute(
            "select a.attname from pg_attribute a join pg_class c on c.oid = a.attrelid"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relname = %s and a.attnum > 0"
            " and not a.attisdropped and a.attgenerated = '' order by a.attnum",
            (schema, rel),
        )
        cols = [r[0] for r in cur.fetchall()]
        if not cols:
            raise DaemonError(f"table {table} does not exist")
        return cols

    def copy_rows(
        self,
        src: psycopg2.extensions.connection,
        dst: psycopg2.extensions.connection,
        t: TableState,
    ) -> int:
        """Lock, drop indexes, truncate, COPY the provider's rows, rebuild (dst's transaction)."""
        dest = sql.Identifier(*_split(t.dest_table))
        with dst.cursor() as cur:
            cur.execute(
                "begin; select pg_advisory_xact_lock(hashtextextended(%s, 0));"
                " select pg_catalog.set_config('session_replication_role', 'replica', true)",
                (f"pgq_node worker {self.queue_name} {self.consumer_name}",),
            )
            self.load_tables(cur)
            again = self.tables.get(t.name)
            if again is None or again.state != "in-copy":
                raise DaemonError(f"table {t.name} is no longer in-copy")
            # wait-replay: a part queue whose first one copied already adds its rows to
            # the destination they share (the original's "don't touch" mode)
            append = self._copy_role == "wait-replay"
            if not append:
                cur.execute(sql.SQL("lock table only {} in access exclusive mode").format(dest))
            with src.cursor() as scur:
                src_cols = self.columns(scur, t.name)
            dst_cols = self.columns(cur, t.dest_table)
            cols = [c for c in src_cols if c in dst_cols]
            missing = [c for c in src_cols if c not in dst_cols]
            if missing:
                log.warning("table %s: columns %s are not on this node", t.name, ", ".join(missing))
            # rows go in faster without the indexes: the keys and indexes are built again
            # once after the COPY (in the same transaction: a kill -9 brings them back)
            h = t.handler
            real_copy = getattr(h, "real_copy", None)  # a handler's own copy may need its keys
            indexes = [] if append else self.drop_indexes(cur, t.dest_table)
            keys = [] if append or real_copy else self.drop_keys(cur, t.dest_table)
            if not append and t.table_attrs.get("skip_truncate", "") in ("", "0"):
                cur.execute(sql.SQL("truncate only {}").format(dest))
            prepare = getattr(h, "prepare_copy", None)  # engine.londiste.handlers_copy
            if prepare is not None:
                prepare(cur)
            # the table's copy_condition and the handler's (shard's hash), both
            conds = [t.table_attrs.get("copy_condition"), h.copy_condition() if h else None]
            cond = " and ".join(f"({c})" for c in conds if c) or None
            rows = None if real_copy is None else real_copy(src, cur, t.name, cols, cond)
            if rows is not None:
                kill_point("copy_rows_done")
                for ddl in indexes:
                    cur.execute(ddl)
                return int(rows)  # analyzed after the hand-over, as the plain copy
            collist = sql.SQL(", ").join(map(sql.Identifier, cols))
            select = sql.SQL("select {} from only {}").format(
                collist, sql.Identifier(*_split(t.name))
            )
            if cond:
                select = sql.SQL("{} where {}").format(select, sql.SQL(cond))
            with src.cursor() as scur:
                copy_out = sql.SQL("copy ({}) to stdout").format(select).as_string(scur)
            copy_in = sql.SQL("copy {} ({}) from stdin").format(dest, collist)
            counter = CascadedWorker._pipe_copy(src, copy_out, cur, copy_in)
            kill_point("copy_rows_done")
            for name, definition in keys:
                cur.execute(
                    sql.SQL("alter table only {} add constraint {} {}").format(
                        dest, sql.Identifier(name), sql.SQL(definition)
                    )
                )
            for ddl in indexes:
                cur.execute(ddl)
        return counter.rows

    @staticmethod
    def drop_keys(cur: Any, table: str) -> list[tuple[str, str]]:
        """Drop the table's primary key and unique constraints that nothing else needs.

        Returns (name, definition) of those dropped.  One that another object
        depends on (a foreign key left in place, a view) stays: its drop is undone
        at a savepoint.
        """
        schema, rel = _split(table)
        cur.execute(
            "select k.conname, pg_get_constraintdef(k.oid) from pg_constraint k"
            " join pg_class c on c.oid = k.conrelid"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relname = %s and k.contype in ('p', 'u')"
            " order by k.contype, k.conname",
            (schema, rel),
        )
        dropped = []
        for name, definition in cur.fetchall():
            cur.execute("savepoint londiste_copy_key")
            try:
                cur.execute(
                    sql.SQL("alter table only {} drop constraint {}").format(
                        sql.Identifier(schema, rel), sql.Identifier(name)
                    )
                )
            except psycopg2.Error as e:
                cur.execute("rollback to savepoint londiste_copy_key")
                log.debug("table %s: keeping %s during the copy: %s", table, name, e)
                continue
            cur.execute("release savepoint londiste_copy_key")
            dropped.append((name, definition))
        return dropped

    @staticmethod
    def drop_indexes(cur: Any, table: str) -> list[str]:
        """Drop the table's indexes that back no constraint; returns their definitions."""
        schema, rel = _split(table)
        cur.execute(
            "select ic.relname, pg_get_indexdef(i.indexrelid)"
            " from pg_index i join pg_class c on c.oid = i.indrelid"
            " join pg_class ic on ic.oid = i.indexrelid"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relname = %s"
            " and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)",
            (schema, rel),
        )
        found = cur.fetchall()
        for name, _ in found:
            cur.execute(sql.SQL("drop index {}").format(sql.Identifier(schema, name)))
        return [ddl for _, ddl in found]


# -- the copy process, forked from the worker ----------------------------------------------
#: prctl(2) option: the signal a child gets when its parent dies
_PR_SET_PDEATHSIG = 1


class CopyProcess:
    """A copy forked by the worker: its pid, and poll/signal/wait as subprocess.Popen's."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit status once the copy ended (it is reaped then), else None."""
        if self.returncode is None:
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1  # reaped elsewhere
                return self.returncode
            if done == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def wait(self, timeout: float) -> int | None:
        """Wait up to timeout seconds for the end; its status, or None if still running."""
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.returncode


def spawn(module: str, argv: Sequence[str], close_fds: Sequence[int] = ()) -> CopyProcess:
    """Fork a copy process running ``module.main(argv)`` (the copy door's command line).

    Why a fork and not ``python -m``: the child starts with everything imported,
    in milliseconds instead of the interpreter's and the imports' fraction of a
    second, which is most of a small table's copy time.  It is still a process of
    its own (own session, pid, pidfile, connections), so a kill -9 of the copy is
    what it was.  The child first makes the worker's inherited database sockets
    harmless (/dev/null in their place: closing the worker's connection objects
    there would end the worker's sessions), closes close_fds (the worker's wake-up
    pipe), drops the inherited log handlers (the copy sets up its own, to the same
    places) and asks for SIGTERM when the worker dies, so that a copy never
    outlives its worker.
    """
    entry = importlib.import_module(module).main
    parent = os.getpid()
    for h in logging.getLogger().handlers:
        h.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return CopyProcess(pid)
    code = 1
    try:
        _detach_from_worker(parent, close_fds)
        code = entry(list(argv))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else int(e.code is not None)
    except BaseException as e:  # a bug: say it where the worker's log goes
        with contextlib.suppress(Exception):
            log.error("copy crashed: %s", e, exc_info=e)
    finally:
        with contextlib.suppress(Exception):
            for h in logging.getLogger().handlers:
                h.flush()
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _detach_from_worker(parent: int, close_fds: Sequence[int]) -> None:
    """In the forked child: own session, the worker's sockets and log handlers let go."""
    os.setsid()
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the worker died before prctl took effect
        os._exit(0)
    for fd in close_fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd <= 2 or fd == null:
                continue
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
    except OSError:
        pass
    finally:
        os.close(null)
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
        with contextlib.suppress(Exception):
            h.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Copy one table: ``python -m engine.londiste.copy CONFIG.ini TABLE [switches]``."""
    return CopyTable(list(sys.argv[1:] if argv is None else argv)).run()


if __name__ == "__main__":
    from engine.londiste.copy import main as _main

    sys.exit(_main())
