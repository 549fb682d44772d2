"""SWITCHOVER of a Londiste cascade under writes: root, branch and leaf on three clusters.

The leaf reads from the root.  A writer commits changes on the root without pause:
upserts/deletes on ``t``, an append-only log ``ev`` whose ids come from a replicated
sequence (each committed transaction logs its number ``k`` once), updates on ``t2``.
``SWITCHOVER TO branch`` (the console's door: the cascade admin) is refused while the
branch is still copying a table (engine/londiste/switchover.py), and done while the
leaf copies one: the writer moves to the new root, the old root becomes its branch
(writes there are refused) and the leaf, still below it, finishes its copy.  Then
every node holds the same rows (LONDISTE COMPARE on each subscriber and row by row),
and the log holds every committed ``k`` exactly once: nothing lost, nothing doubled.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest

from engine.cascade.admin import CascadeAdmin
from engine.londiste.admin import LondisteError
from engine.pgcluster import Cluster
from tests.db.daemon_util import wait_for
from tests.db.londiste_nodes import QUEUE, LNode, Ticker, prepare

DDL = (
    "create table public.t (id int primary key, v text, n int);"
    " create sequence public.evseq;"
    " create table public.ev (id bigint primary key default nextval('public.evseq'),"
    " k int not null, at text);"
    " create table public.t2 (id int primary key, v text)"
)
TABLES = ("public.t", "public.ev", "public.t2")


class Writer:
    """Commits small random transactions on its target node; counts those committed.

    A transaction refused by a node that no longer takes writes (the old root once
    demoted) is rolled back and tried again with the same k on the current target.
    """

    def __init__(self, node: LNode) -> None:
        self.target = node
        self.committed: list[int] = []
        self.refused = 0
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        rnd = random.Random(11)
        conn, on = None, None
        k = 1
        try:
            while not self.stop_event.is_set():
                node = self.target
                if on is not node:
                    if conn is not None:
                        conn.close()
                    conn, on = psycopg2.connect(node.dsn), node
                try:
                    with conn.cursor() as cur:
                        cur.execute("insert into ev (k, at) values (%s, %s)", (k, node.name))
                        for _ in range(rnd.randint(1, 5)):
                            key = rnd.randint(1, 300)
                            if rnd.random() < 0.7:
                                cur.execute(
                                    "insert into t values (%s, %s, 1) on conflict (id) do update"
                                    " set v = excluded.v, n = t.n + 1",
                                    (key, f"{node.name}{k}"),
                                )
                            else:
                                cur.execute("delete from t where id = %s", (key,))
                        cur.execute(
                            "update t2 set v = %s where id = %s", (f"k{k}", rnd.randint(1, 3000))
                        )
                    conn.commit()
                except psycopg2.Error as err:
                    conn.rollback()
                    if "disable_insert" not in str(err) and "disallowed" not in str(err):
                        raise
                    self.refused += 1
                    time.sleep(0.01)
                    continue
                self.committed.append(k)
                k += 1
                time.sleep(0.003)
        except BaseException as e:
            self.error = e
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join()
        assert self.error is None, self.error


@pytest.fixture
def cascade(cluster_factory: Callable[..., Cluster], tmp_path: Path) -> Iterator[dict]:
    nodes = {
        name: prepare(cluster_factory(install_modules=False), "db", name)
        for name in ("root", "branch", "leaf")
    }
    for n in nodes.values():
        n.sql(DDL)
    root, branch, leaf = nodes["root"], nodes["branch"], nodes["leaf"]
    root.sql(
        "insert into t select g, 'r' || g, 0 from generate_series(1, 300) g;"
        " insert into t2 select g, 'x' || g from generate_series(1, 3000) g"
    )
    root.admin.create_root("root", root.dsn)
    branch.admin.create_branch("branch", root.dsn, branch.dsn)
    leaf.admin.create_leaf("leaf", root.dsn, leaf.dsn)
    ticker = Ticker(list(nodes.values()))
    try:
        for n in nodes.values():
            n.start(tmp_path)
        yield nodes
    finally:
        ticker.stop()
        for n in nodes.values():
            n.close()


def locked(node: LNode, table: str) -> psycopg2.extensions.connection:
    """A transaction holding a lock on the table: its copy waits on it (stays in-copy)."""
    conn = psycopg2.connect(node.dsn)
    with conn.cursor() as cur:
        cur.execute(f"lock table {table} in access share mode")
    return conn


def test_switchover_under_writes_then_equal(cascade: dict, tmp_path: Path) -> None:
    root, branch, leaf = cascade["root"], cascade["branch"], cascade["leaf"]
    root.admin.add_table(list(TABLES))
    root.admin.add_seq(["evseq"])
    for sub in (branch, leaf):
        wait_for(
            lambda sub=sub: (
                sub.scalar("select count(*) from londiste.get_table_list(%s)", [QUEUE]) == 3
                and sub.scalar("select count(*) from londiste.get_seq_list(%s)", [QUEUE]) == 1
            ),
            timeout=60,
            what=f"the set on {sub.name}",
        )
        sub.admin.add_table(["t", "ev"])
        sub.admin.add_seq(["evseq"])
    writer = Writer(root)
    holders = []
    cadm = CascadeAdmin(root.cluster.conn_info("db"), QUEUE, wait_timeout=60)
    cadm.poll_interval = 0.05
    try:
        # the branch does not replicate t2 yet: it cannot take over
        with pytest.raises(LondisteError, match=r'"branch" does not replicate public\.t2'):
            cadm.switchover("branch")
        # t2 copies wait on a lock on both subscribers
        holders = [locked(branch, "t2"), locked(leaf, "t2")]
        for sub in (branch, leaf):
            sub.admin.add_table(["t2"])
        for sub in (branch, leaf):
            wait_for(lambda sub=sub: sub.state("public.t2") == "in-copy", timeout=60)
        # the branch is copying t2: it cannot take over, nothing changes
        with pytest.raises(LondisteError, match=r'node "branch" is still copying public\.t2'):
            cadm.switchover("branch")
        assert root.scalar("select node_type from pgq_node.get_node_info(%s)", [QUEUE]) == "root"
        holders.pop(0).close()
        branch.admin.wait_sync(timeout=60)
        # the leaf still copies t2 (from the root) during the switchover
        assert leaf.state("public.t2") == "in-copy"
        cadm.switchover("branch")
        assert branch.scalar("select node_type from pgq_node.get_node_info(%s)", [QUEUE]) == "root"
        assert root.scalar("select node_type from pgq_node.get_node_info(%s)", [QUEUE]) == "branch"
        writer.target = branch
        n = len(writer.committed)
        wait_for(lambda: len(writer.committed) > n + 50, timeout=30, what="writes on the new root")
        # the old root is a branch now: its tables take no writes
        with pytest.raises(psycopg2.Error, match=r"disable_insert|disallowed"):
            root.sql("insert into t values (100000, 'on the old root', 0)")
        holders.pop(0).close()
        leaf.admin.wait_sync(timeout=60)
        time.sleep(0.3)
    finally:
        cadm.close()
        writer.stop()
        for h in holders:
            h.close()
    # every node catches up with the new root, then all hold the same rows
    last = branch.scalar("select max(tick_id) from pgq.tick")
    branch.sql("select pgq.force_tick(%s)", [QUEUE])
    wait_for(lambda: branch.scalar("select max(tick_id) from pgq.tick") > last, timeout=30)
    top = branch.scalar("select max(tick_id) from pgq.tick")  # after the last commit
    for n in (root, leaf):
        wait_for(
            lambda n=n: (
                (n.scalar("select worker_last_tick from pgq_node.get_node_info(%s)", [QUEUE]) or 0)
                >= top
            ),
            timeout=60,
            what=f"{n.name} caught up",
        )
    for table in TABLES:
        want = branch.rows(table)
        assert root.rows(table) == want, table
        assert leaf.rows(table) == want, table
    for sub in (root, leaf):  # COMPARE against each one's provider
        results = sub.admin.compare(list(TABLES))
        assert all(r.equal for r in results), results
    ks = [r[0] for r in branch.sql("select k from ev order by id")]
    assert sorted(ks) == writer.committed, "a committed transaction lost or doubled"
    assert {r[0] for r in branch.sql("select at from ev")} == {"root", "branch"}
    # the ids after the switchover come after the old root's (the sequence went on)
    last_old = branch.scalar("select max(id) from ev where at = 'root'")
    assert branch.scalar("select min(id) from ev where at = 'branch'") > last_old
    # the new root publishes the sequence: the others are set ahead of every id used
    top_id = branch.scalar("select max(id) from ev")
    for n in (root, leaf):
        wait_for(
            lambda n=n: n.scalar("select last_value from public.evseq") >= top_id,
            timeout=30,
            what=f"the sequence on {n.name} ahead of the new root's ids",
        )
    for n in (root, branch, leaf):
        assert n.proc is not None and n.proc.alive(), n.proc.text()[-3000:] if n.proc else ""
        assert "Traceback" not in n.proc.text(), n.proc.text()[-3000:]
