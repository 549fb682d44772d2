"""Londiste nodes for multi-node tests: databases with our SQL, admins, workers, a ticker.

A node is a database (on a cluster of its own or shared) with pgq, pgq_node and
londiste installed; it is made a cascade member with LondisteAdmin (create_root /
create_branch / create_leaf, as the console does) and replayed by the Londiste
worker (engine.londiste.worker) as a subprocess.  The ticker thread ticks every
node's queues that tick locally (``pgq.ticker()``): only the root's, so it follows
a switchover by itself.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2

from engine.londiste.admin import LondisteAdmin
from engine.pgcluster import Cluster
from tests.db.daemon_util import Proc, run_sql, write_ini
from tests.db.test_londiste_admin import QUEUE
from tests.db.test_londiste_admin import prepare as create_database


@dataclass
class LNode:
    """One Londiste node: a database, its admin (made on first use) and its worker."""

    name: str
    cluster: Cluster
    dbname: str
    lines: list[str] = field(default_factory=list)
    _admin: LondisteAdmin | None = None
    proc: Proc | None = None

    @property
    def dsn(self) -> str:
        return self.cluster.dsn(self.dbname)

    def sql(self, query: str, args: Sequence[Any] | None = None) -> list[tuple]:
        return run_sql(self.dsn, query, args)

    def scalar(self, query: str, args: Sequence[Any] | None = None) -> Any:
        rows = self.sql(query, args)
        return rows[0][0] if rows else None

    @property
    def admin(self) -> LondisteAdmin:
        if self._admin is None:
            self._admin = LondisteAdmin(
                self.cluster.conn_info(self.dbname),
                QUEUE,
                progress=self.lines.append,
                wait_timeout=60,
            )
            self._admin.poll_interval = 0.05
        return self._admin

    def start(self, tmp: Path, env: dict[str, str] | None = None, **keys: Any) -> Proc:
        values: dict[str, Any] = {
            "job_name": self.name,
            "db": self.dsn,
            "queue_name": QUEUE,
            "loop_delay": 0.1,
            "exception_sleep": 0.3,
            "local_wm_publish_period": 0.5,
            "global_wm_publish_period": 0.5,
            "pidfile": str(tmp / f"{self.name}.pid"),
        }
        values.update(keys)
        ini = write_ini(tmp / f"{self.name}.ini", "londiste3", values)
        self.proc = Proc("engine.londiste.worker", [str(ini)], tmp / f"{self.name}.log", env=env)
        return self.proc

    def close(self) -> None:
        if self.proc is not None and self.proc.alive():
            self.proc.stop()
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    def state(self, table: str) -> str | None:
        return self.scalar(
            "select merge_state from londiste.get_table_list(%s) where table_name = %s and local",
            [QUEUE, table],
        )

    def rows(self, table: str) -> list[tuple]:
        return self.sql(f"select * from {table} order by 1")


def prepare(cluster: Cluster, dbname: str, name: str | None = None) -> LNode:
    """A new database on the cluster with our pgq, pgq_node and londiste."""
    create_database(cluster, dbname)
    return LNode(name or dbname, cluster, dbname)


class Ticker:
    """Ticks every node's locally ticked queues (the root's) every interval seconds."""

    def __init__(self, nodes: Sequence[LNode], interval: float = 0.1) -> None:
        self.nodes = list(nodes)
        self.interval = interval
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        conns = {}
        try:
            while not self.stop_event.wait(self.interval):
                for n in self.nodes:
                    try:
                        if n.name not in conns:
                            conns[n.name] = psycopg2.connect(n.dsn)
                            conns[n.name].autocommit = True
                        with conns[n.name].cursor() as cur:
                            cur.execute("select pgq.ticker()")
                    except psycopg2.Error:
                        conn = conns.pop(n.name, None)
                        if conn is not None:
                            conn.close()
        finally:
            for c in conns.values():
                c.close()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join()
