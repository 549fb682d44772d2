"""One watched database: its connection, kept between scrapes, and one read of everything.

A scrape must answer even when a database is down, so connecting has a short
timeout and every statement a time limit; a connection that broke since the last
scrape (the server restarted) is replaced and the read tried once more at once,
so a restart costs at most the scrapes during which the server is really gone.
The source counts the statements it runs: the tests and the benchmark check
that a read costs the same number whatever the database holds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from typing import Any

import psycopg2
import psycopg2.extensions

from engine.base import one_line
from engine.db import describe_error
from engine.exporter import queries
from engine.exporter.snapshot import ConsumerRow, DatabaseSnapshot, NodeRow, QueueRow, TableRow

__all__ = ["DatabaseSource"]

log = logging.getLogger(__name__)


class DatabaseSource:
    """Reads one database (a libpq connect string) into DatabaseSnapshots."""

    def __init__(
        self,
        name: str,
        dsn: str,
        *,
        connect_timeout: float = 2.0,
        statement_timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.dsn = dsn
        self.connect_timeout = connect_timeout
        self.statement_timeout = statement_timeout
        self.conn: psycopg2.extensions.connection | None = None
        #: statements run since this source was made (all reads)
        self.queries = 0
        self._was_up: bool | None = None

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
        self.conn = None

    def _connect(self) -> psycopg2.extensions.connection:
        parsed = psycopg2.extensions.parse_dsn(self.dsn) if self.dsn else {}
        params: dict[str, Any] = {"application_name": f"qadmin exporter pid {os.getpid()}"}
        if "connect_timeout" not in parsed:
            # libpq takes whole seconds; 0 would mean "wait for ever"
            params["connect_timeout"] = max(1, round(self.connect_timeout))
        ms = int(self.statement_timeout * 1000)
        # a server that vanishes mid-read (no RST) must not hang the scrape: the
        # statement timeout is the server's, so the client needs its own limits
        for key, default in (
            ("keepalives_idle", 5),
            ("keepalives_interval", 2),
            ("keepalives_count", 2),
            ("tcp_user_timeout", ms + 2000),
        ):
            if key not in parsed:
                params[key] = default
        params["options"] = (parsed.get("options", "") + f" -c statement_timeout={ms}").strip()
        conn = psycopg2.connect(self.dsn, **params)
        conn.autocommit = True
        return conn

    def _run(self, cur: Any, query: str) -> list[tuple[Any, ...]]:
        self.queries += 1
        cur.execute(query)
        return list(cur.fetchall())

    def read(self) -> DatabaseSnapshot:
        """Everything the exporter shows of this database, or up=False and the error."""
        started = time.monotonic()
        taken = time.time()
        before = self.queries
        fresh = self.conn is None
        try:
            try:
                snap = self._read(taken)
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                if fresh or (self.conn is not None and not self.conn.closed):
                    raise  # a new connection failed, or a statement did (a timeout)
                # an old connection broke (a restart): one more try on a new one
                self.close()
                snap = self._read(taken)
        except psycopg2.Error as e:
            self.close()
            msg = one_line(describe_error(e, context=False))
            if self._was_up is not False:
                log.warning("database %s: %s", self.name, msg)
            self._was_up = False
            return DatabaseSnapshot(
                self.name,
                up=False,
                taken=taken,
                duration=time.monotonic() - started,
                queries=self.queries - before,
                error=msg,
            )
        if self._was_up is False:
            log.info("database %s: reachable again", self.name)
        self._was_up = True
        return DatabaseSnapshot(
            self.name,
            up=True,
            taken=taken,
            duration=time.monotonic() - started,
            queries=self.queries - before,
            modules=snap["modules"],
            queues=snap["queues"],
            consumers=snap["consumers"],
            nodes=snap["nodes"],
            tables=snap["tables"],
            local_nodes=snap["local_nodes"],
        )

    def _read(self, taken: float) -> dict[str, Any]:
        if self.conn is None or self.conn.closed:
            self.conn = self._connect()
        out: dict[str, Any] = {
            "modules": (),
            "queues": (),
            "consumers": (),
            "nodes": (),
            "tables": (),
            "local_nodes": {},
        }
        with self.conn.cursor() as cur:
            [(_now, has_pgq, has_node, has_londiste)] = self._run(cur, queries.MODULES_SQL)
            modules = [m for m, ok in (("pgq", has_pgq), ("pgq_node", has_node)) if ok]
            if has_pgq and has_node and has_londiste:
                modules.append("londiste")
            out["modules"] = tuple(modules)
            if not has_pgq:
                return out
            queues = tuple(
                QueueRow(q, lag, ev or 0.0, int(retry), bool(paused), eps)
                for q, lag, ev, retry, paused, eps in self._run(cur, queries.QUEUES_SQL)
            )
            consumers = tuple(
                ConsumerRow(q, c, lag, seen, None if pend is None else int(pend))
                for q, c, lag, seen, pend in self._run(cur, queries.CONSUMERS_SQL)
            )
            out["queues"], out["consumers"] = queues, consumers
            if has_node:
                out["nodes"], out["local_nodes"] = self._nodes(cur, queues, consumers)
            if "londiste" in modules:
                out["tables"] = tuple(
                    TableRow(q, t, _table_state(state))
                    for q, t, state in self._run(cur, queries.TABLES_SQL)
                )
        return out

    def _nodes(
        self, cur: Any, queues: tuple[QueueRow, ...], consumers: tuple[ConsumerRow, ...]
    ) -> tuple[tuple[NodeRow, ...], dict[tuple[str, str], str]]:
        """The root's lag is its ticker's; a subscriber's is its worker's lag here."""
        ticker_lag = {q.queue: q.ticker_lag for q in queues}
        worker_lag = {(c.queue, c.consumer): c.lag for c in consumers}
        rows: list[NodeRow] = []
        local: dict[tuple[str, str], str] = {}
        seen: set[tuple[str, str]] = set()
        for queue, node, node_type, _worker, sub, sub_worker in self._run(cur, queries.NODES_SQL):
            if (queue, node) not in seen:
                seen.add((queue, node))
                local[(queue, node)] = node_type
                if node_type == "root":
                    rows.append(NodeRow(queue, node, "root", ticker_lag.get(queue), True))
            if sub is not None and sub != node:
                rows.append(NodeRow(queue, sub, None, worker_lag.get((queue, sub_worker)), False))
        return tuple(rows), local


def _table_state(merge_state: str | None) -> str:
    """Londiste's merge_state without its tick id ('wanna-sync:123' -> 'wanna-sync')."""
    if merge_state is None:
        return "new"
    return merge_state.split(":", 1)[0]
