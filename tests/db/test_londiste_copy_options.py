"""The copy options of add-table on a real cascade: copy_node, max_parallel_copy, skip_serial.

One throwaway cluster, three databases: root, branch (provider root) and leaf
(provider branch), made with the cascade admin; Londiste workers run as
processes (engine.londiste.worker), the root's queue is ticked by a thread.
The branch does not replicate the table ``t``: a copy from the leaf's provider
could never start, so a leaf in sync proves that the copy came from elsewhere.
Also here: a copy process does not outlive its worker (stopped, or killed -9).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from engine.base import pid_alive, read_pidfile
from engine.cascade.admin import CascadeAdmin
from engine.londiste.admin import LondisteAdmin
from engine.pgcluster import Cluster
from tests.db.daemon_util import Proc, run_sql, wait_for, write_ini
from tests.db.test_console_nodes import Console
from tests.db.test_londiste_admin import OURS, QUEUE, prepare
from tests.db.test_londiste_cli import run as door

pytestmark = pytest.mark.skipif(not OURS, reason="needs our londiste SQL")

NODES = ("root", "branch", "leaf")


@dataclass
class Cascade:
    cluster: Cluster
    tmp: Path
    procs: dict[str, Proc] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def dsn(self, node: str) -> str:
        return self.cluster.dsn(node)

    def sql(self, node: str, query: str, args: object = None) -> list[tuple]:
        return run_sql(self.dsn(node), query, args)

    def admin(self, node: str) -> LondisteAdmin:
        return LondisteAdmin(self.cluster.conn_info(node), QUEUE, progress=lambda _: None)

    def ini(self, node: str) -> Path:
        return write_ini(
            self.tmp / f"{node}.ini",
            "londiste3",
            {
                "job_name": node,
                "db": self.dsn(node),
                "queue_name": QUEUE,
                "loop_delay": 0.1,
                "exception_sleep": 0.3,
                "pidfile": str(self.tmp / f"{node}.pid"),
            },
        )

    def start(self, node: str) -> Proc:
        proc = Proc("engine.londiste.worker", [str(self.ini(node))], self.tmp / f"{node}.log")
        self.procs[node] = proc
        return proc

    def log(self, node: str) -> str:
        return (self.tmp / f"{node}.log").read_text()

    def state(self, node: str, table: str = "public.t") -> str | None:
        rows = self.sql(
            node,
            "select merge_state from londiste.get_table_list(%s) where table_name = %s",
            (QUEUE, table),
        )
        return rows[0][0] if rows else None

    def copy_pid(self, node: str, table: str = "public.t") -> int | None:
        return read_pidfile(self.tmp / f"{node}.pid.copy.{table}")

    def ticker(self) -> None:
        conn = psycopg2.connect(self.dsn("root"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                while not self.stop.wait(0.1):
                    cur.execute("select pgq.ticker(%s)", (QUEUE,))
        finally:
            conn.close()


@pytest.fixture
def cascade(cluster_factory: Callable[..., Cluster], tmp_path: Path) -> Iterator[Cascade]:
    cluster = cluster_factory(install_modules=False)
    c = Cascade(cluster, tmp_path)
    for node in NODES:
        prepare(cluster, node)
    for node in ("root", "leaf"):
        c.sql(node, "create table public.t (id int primary key, v text)")
    for node in NODES:
        c.sql(node, "create table public.s_t (id serial primary key, v text)")
        c.sql(node, "create table public.s_u (id serial primary key, v text)")
    CascadeAdmin(cluster.conn_info("root"), QUEUE).create_root("root", c.dsn("root"))
    for key, value in (("ticker_max_lag", "0.2 s"), ("ticker_idle_period", "0.5 s")):
        c.sql("root", "select pgq.set_queue_config(%s, %s, %s)", (QUEUE, key, value))
    with CascadeAdmin(cluster.conn_info("branch"), QUEUE) as adm:
        adm.create_branch("branch", c.dsn("root"), c.dsn("branch"))
    with CascadeAdmin(cluster.conn_info("leaf"), QUEUE) as adm:
        adm.create_leaf("leaf", c.dsn("branch"), c.dsn("leaf"))
    thread = threading.Thread(target=c.ticker, daemon=True)
    thread.start()
    try:
        yield c
    finally:
        c.stop.set()
        for proc in c.procs.values():
            proc.stop(signal.SIGTERM)
        thread.join()


def _root_table(c: Cascade, leaf: bool = True) -> None:
    """t on the root with rows, its add-table event through the branch to the leaf."""
    c.sql("root", "insert into t select g, 'r' || g from generate_series(1, 500) g")
    door(c.ini("root"), "add-table", "t")
    for node in NODES if leaf else NODES[:2]:
        c.start(node)
    if not leaf:
        return
    in_set = "select 1 from londiste.get_table_list(%s) where table_name = 'public.t'"
    wait_for(lambda: c.sql("leaf", in_set, (QUEUE,)), timeout=30, what="t in the leaf's set")


def _refused_when_the_table_is_not_there(c: Cascade) -> None:
    out = door(c.ini("leaf"), "add-table", "t", "--copy-node=branch", code=1)
    assert 'not replicated on provider "branch"' in out.stderr
    out = door(c.ini("leaf"), "add-table", "t", "--copy-node=leaf", code=1)
    assert "is this node" in out.stderr


def _serial_sequences_follow_their_table_unless_skip_serial(c: Cascade) -> None:
    """The automatic serial handling, and skip_serial (no worker needed)."""

    def seqs(node: str) -> set[str]:
        rows = c.sql(node, "select seq_name from londiste.get_seq_list(%s) where local", (QUEUE,))
        return {r[0] for r in rows}

    with c.admin("root") as adm:
        adm.add_table(["s_t"])
    door(c.ini("root"), "add-table", "s_u", "--skip-serial")
    assert seqs("root") == {"public.s_t_id_seq"}
    # a subscriber adds those its provider replicates
    for t in ("public.s_t", "public.s_u"):
        c.sql("branch", "select londiste.global_add_table(%s, %s)", (QUEUE, t))
    con = Console(c.dsn("branch"), QUEUE)
    try:
        con.run("londiste add table s_t, s_u;")
    finally:
        con.close()
    assert seqs("branch") == {"public.s_t_id_seq"}
    # remove-table takes them away again (the SQL's part of the serial handling)
    for node in ("branch", "root"):
        with c.admin(node) as adm:
            adm.remove_table(["s_t"])
        assert seqs(node) == set()


def _equal_after_writes(c: Cascade) -> None:
    c.sql("root", "update t set v = v || '+' where id % 3 = 0")
    c.sql(
        "root",
        "insert into t select m + g, 'n' || g from generate_series(1, 100) g,"
        " (select max(id) m from t) x",
    )
    query = "select count(*), sum(id), string_agg(v, ',' order by id) from t"
    want = c.sql("root", query)
    wait_for(lambda: c.sql("leaf", query) == want, timeout=30, what="leaf equal to root")


@pytest.mark.parametrize("how", ["door copy-node=root", "console copy_node='?'"])
def test_copy_node(cascade: Cascade, how: str) -> None:
    c = cascade
    _root_table(c)
    if how.startswith("door"):
        _refused_when_the_table_is_not_there(c)
        _serial_sequences_follow_their_table_unless_skip_serial(c)
        out = door(c.ini("leaf"), "add-table", "t", "--copy-node=root")
        assert "Table added: public.t" in out.stderr + out.stdout
    else:
        con = Console(c.dsn("leaf"), QUEUE)
        try:
            con.run("londiste add table t with copy_node='?';")
        finally:
            con.close()
    attrs = c.sql("leaf", "select table_attrs from londiste.get_table_list(%s)", (QUEUE,))
    assert ("copy_node=root",) in attrs or ("copy_node=%3F",) in attrs
    wait_for(lambda: c.state("leaf") == "ok", timeout=40, what="the copy from the root")
    log = c.log("leaf")
    assert "copying from node root" in log
    if "?" in how:
        assert "node branch cannot be copied from" in log
    _equal_after_writes(c)
    if "?" in how:
        # resync takes a copy node too (stored for the next copies)
        door(c.ini("leaf"), "resync", "t", "--copy-node=root")
        attrs = c.sql("leaf", "select table_attrs from londiste.get_table_list(%s)", (QUEUE,))
        assert ("copy_node=root",) in attrs
        wait_for(lambda: c.state("leaf") == "ok", timeout=40, what="the copy after resync")
        _equal_after_writes(c)


def test_max_parallel_copy_waits_and_copies_stop_with_the_worker(cascade: Cascade) -> None:
    """A second queue on the leaf fills the same table t and is still copying (its first
    part, dropped_ddl stored): the copy for our queue is a 'wait-replay' part with
    copy_pos 1, which max_parallel_copy=1 holds back; once the other part leaves in-copy
    it copies, adding its rows to the other part's (no truncate)."""
    c = cascade
    _root_table(c, leaf=False)
    con = Console(c.dsn("leaf"), QUEUE)
    try:
        con.run("londiste add table t with copy_node=root, max_parallel_copy=1;")
    finally:
        con.close()
    c.sql(
        "leaf",
        "select pgq_node.register_location('a_q', 'leaf', %s, false);"
        " select pgq_node.create_node('a_q', 'root', 'leaf', 'a_w', null, null, null);"
        # the other part's row as its copy left it (local_add_table would refuse a
        # table local in two queues that are not parts of one combined queue)
        " insert into londiste.table_info (queue_name, table_name, local, merge_state,"
        "  dropped_ddl) values ('a_q', 'public.t', true, 'in-copy', 'select 1');"
        # the other part's rows (as its worker writes them: no deny trigger)
        " set session_replication_role = replica;"
        " insert into t select g, 'a' || g from generate_series(10001, 10010) g",
        (c.dsn("leaf"),),
    )
    c.start("leaf")
    wait_for(lambda: "max_parallel_copy (1)" in c.log("leaf"), timeout=30, what="copy waiting")
    assert c.state("leaf") == "in-copy"
    pid = c.copy_pid("leaf")
    assert pid is not None and pid_alive(pid)
    # a stopped worker stops its copies
    c.procs["leaf"].stop(signal.SIGTERM)
    wait_for(lambda: not pid_alive(pid), timeout=15, what="the copy stopped with the worker")
    # and one killed -9 too (the copy asked for SIGTERM at its parent's death)
    c.start("leaf")
    wait_for(lambda: c.copy_pid("leaf") not in (None, pid), timeout=30, what="a new copy")
    pid2 = c.copy_pid("leaf")
    assert pid2 is not None
    c.procs["leaf"].stop(signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid2), timeout=15, what="the copy gone with its worker")
    c.start("leaf")
    time.sleep(0.5)
    assert c.state("leaf") == "in-copy"
    c.sql(
        "leaf",
        "update londiste.table_info set merge_state = 'catching-up' where queue_name = 'a_q'",
    )
    wait_for(lambda: c.state("leaf") == "ok", timeout=40, what="the copy after the wait")
    assert c.sql("leaf", "select count(*) from t where id > 10000") == [(10,)]
    c.sql("leaf", "set session_replication_role = replica; delete from t where id > 10000")
    _equal_after_writes(c)
