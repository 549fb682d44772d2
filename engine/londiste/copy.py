"""The copy of one Londiste table: initial COPY, then catching up until replay takes it over.

Started by the Londiste worker (engine.londiste.worker) for a table in state
``in-copy``: ``python -m engine.londiste.copy CONFIG.ini TABLE`` (the original's
``londiste3 CONFIG copy TABLE``), with the worker's config.  It is a worker
(not the node's main one) named ``<consumer>.copy.<table>`` on the provider
(the table's ``copy_node`` attribute may name another node), pidfile and status
file ``<name>.copy.<table>``.

``in-copy``: the copy consumer is (re-)registered on the provider at its current
tick T, then one source transaction (repeatable read) reads its snapshot and
streams ``COPY (select common columns from only table [where copy_condition]) TO
STDOUT`` into ``COPY ... FROM STDIN`` of the target concurrently (a pipe and a
thread: the cascade worker's ``_pipe_copy``).  In the one target transaction:
the table is locked, its non-key indexes are dropped, it is truncated (unless
``skip_truncate``), copied, the indexes are built again, the copy consumer's
position (T) is stored here, and the state becomes ``catching-up`` with the
snapshot.  A kill -9 anywhere before that commit leaves ``in-copy``: the worker
starts the copy again, which starts over.

``catching-up``: the copy replays batches from T for its table only, skipping the
events its snapshot saw.  When a round finds no batch, it asks ``wanna-sync:<tick>``
and waits; main answers ``do-sync:<tick>``; the copy replays up to that tick,
sets ``ok``, unregisters and exits.  Replay positions commit with the data, as in
the main worker, so a kill -9 during catching up resumes.
"""

from __future__ import annotations

import argparse
import logging
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

__all__ = ["CopyTable", "main"]

log = logging.getLogger(__name__)


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
        self.was_idle = True
        super()._idle()

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
                    log.info("table %s caught up: wanna-sync at tick %s", t.name, batch.tick_id)
                    self.set_table_state(
                        cur, t.name, f"wanna-sync:{batch.tick_id}", t.custom_snapshot
                    )
                    self.was_idle = False
                    return False
                return True
            raise _CopyDone

    def hand_over(
        self, src: psycopg2.extensions.connection, dst: Any, cur: Any, t: TableState
    ) -> None:
        """do-sync reached: ok + our position gone here in one commit, then on the provider."""
        log.info("table %s: in sync, handing it over to replay", t.name)
        self.set_table_state(cur, t.name, "ok", t.custom_snapshot)
        cur.execute(
            "select * from pgq_node.unregister_consumer(%s, %s)",
            (self.queue_name, self.consumer_name),
        )
        self.end_transaction(dst)
        kill_point("copy_handed_over")
        with src.cursor() as scur:
            scur.execute(
                "select pgq.unregister_consumer(%s, %s)", (self.queue_name, self.consumer_name)
            )
        self.end_transaction(src)

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
    def copy_source(self, dst: psycopg2.extensions.connection, t: TableState) -> tuple[str, str]:
        """(node name, location) to copy from: the provider, or the copy_node attribute."""
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
        return node, location

    def do_copy(self, t: TableState) -> None:
        dst = self.get_dst()
        node, location = self.copy_source(dst, t)
        log.info("table %s: copying from node %s", t.name, node)
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
            )
            with src.cursor() as scur:
                scur.execute("select pgq.force_tick(%s)", (q,))
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
            cur.execute(sql.SQL("lock table only {} in access exclusive mode").format(dest))
            with src.cursor() as scur:
                src_cols = self.columns(scur, t.name)
            dst_cols = self.columns(cur, t.dest_table)
            cols = [c for c in src_cols if c in dst_cols]
            missing = [c for c in src_cols if c not in dst_cols]
            if missing:
                log.warning("table %s: columns %s are not on this node", t.name, ", ".join(missing))
            indexes = self.drop_indexes(cur, t.dest_table)
            if t.table_attrs.get("skip_truncate", "") in ("", "0"):
                cur.execute(sql.SQL("truncate only {}").format(dest))
            h = t.handler
            prepare = getattr(h, "prepare_copy", None)  # engine.londiste.handlers_copy
            if prepare is not None:
                prepare(cur)
            # the table's copy_condition and the handler's (shard's hash), both
            conds = [t.table_attrs.get("copy_condition"), h.copy_condition() if h else None]
            cond = " and ".join(f"({c})" for c in conds if c) or None
            real_copy = getattr(h, "real_copy", None)
            rows = None if real_copy is None else real_copy(src, cur, t.name, cols, cond)
            if rows is not None:
                kill_point("copy_rows_done")
                for ddl in indexes:
                    cur.execute(ddl)
                cur.execute(sql.SQL("analyze {}").format(dest))
                return int(rows)
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
            for ddl in indexes:
                cur.execute(ddl)
            cur.execute(sql.SQL("analyze {}").format(dest))
        return counter.rows

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


def main(argv: Sequence[str] | None = None) -> int:
    """Copy one table: ``python -m engine.londiste.copy CONFIG.ini TABLE [switches]``."""
    return CopyTable(list(sys.argv[1:] if argv is None else argv)).run()


if __name__ == "__main__":
    from engine.londiste.copy import main as _main

    sys.exit(_main())
