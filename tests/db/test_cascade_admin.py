"""Cascade administration across real clusters: create, status, members, tags, moves, takeovers.

Each node is the ``postgres`` database of its own throwaway cluster; killing a cluster
(``pg_ctl -m immediate``) is how a node dies.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from engine import install as installer
from engine.cascade.admin import CascadeAdmin, CascadeError
from engine.pgcluster import Cluster
from tests.db.daemon_util import Proc, wait_for, write_ini

QUEUE = "cq"
OURS = "pgq_node" in installer.MODULES


def prepare(cluster: Cluster) -> None:
    """pgq and pgq_node in the cluster's postgres database (ours when we have it)."""
    conn = psycopg2.connect(cluster.dsn("postgres"))
    conn.autocommit = True
    try:
        if OURS:
            installer.install(conn, ["pgq", "pgq_node"])
        else:
            with conn.cursor() as cur:
                cur.execute("create extension if not exists pgq")
                cur.execute("create extension if not exists pgq_node")
    finally:
        conn.close()


@dataclass
class Cascade:
    """Named nodes, each a cluster, with an admin bound to each."""

    clusters: dict[str, Cluster] = field(default_factory=dict)
    admins: dict[str, CascadeAdmin] = field(default_factory=dict)
    workers: dict[str, Proc] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def location(self, name: str) -> str:
        return self.clusters[name].dsn("postgres")

    def admin(self, name: str) -> CascadeAdmin:
        if name not in self.admins:
            self.admins[name] = CascadeAdmin(
                self.clusters[name].conn_info("postgres"),
                QUEUE,
                progress=self.lines.append,
                wait_timeout=60,
            )
        return self.admins[name]

    def conn(self, name: str) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(self.location(name))
        conn.autocommit = True
        return conn

    def query(self, name: str, q: str, args: tuple = ()) -> list[tuple]:
        conn = self.conn(name)
        try:
            with conn.cursor() as cur:
                cur.execute(q, args)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def close(self) -> None:
        for admin in self.admins.values():
            admin.close()

    # -- with workers ----------------------------------------------------------------------
    def start_worker(self, name: str, tmp_path: Path) -> Proc:
        values = {
            "job_name": name,
            "db": self.location(name),
            "queue_name": QUEUE,
            "loop_delay": 0.1,
            "exception_sleep": 0.3,
            "local_wm_publish_period": 0.5,
            "global_wm_publish_period": 0.5,
            "pidfile": str(tmp_path / f"{name}.pid"),
        }
        ini = write_ini(tmp_path / f"{name}.ini", "cascade_worker", values)
        proc = Proc("engine.cascade.worker", [str(ini)], tmp_path / f"{name}.log")
        self.workers[name] = proc
        return proc

    def completed(self, name: str) -> int:
        return self.query(
            name, "select worker_last_tick from pgq_node.get_node_info(%s)", (QUEUE,)
        )[0][0]

    def top_tick(self, name: str) -> int:
        return self.query(
            name,
            "select max(t.tick_id) from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue"
            " where q.queue_name = %s",
            (QUEUE,),
        )[0][0]

    def wait_caught_up(self, names: list[str], root: str, timeout: float = 90) -> None:
        # a tick now holds everything committed so far (the ticker may not have ticked yet)
        self.query(
            root,
            "select pgq.ticker(queue_name) from pgq.queue"
            " where queue_name = %s and not queue_external_ticker",
            (QUEUE,),
        )
        top = self.top_tick(root)

        def done() -> bool:
            for proc in self.workers.values():
                assert proc.alive(), proc.text()[-3000:]
            return all(self.completed(n) >= top for n in names)

        wait_for(done, timeout=timeout, what=f"{names} reaching tick {top} of {root}")

    def register_consumer(self, name: str, consumer: str = "c") -> None:
        self.query(name, "select pgq.register_consumer(%s, %s)", (QUEUE, consumer))

    def consume(self, name: str, consumer: str = "c") -> list[str]:
        """Every 'e' event the plain consumer gets, batch by batch, in order."""
        out: list[str] = []
        conn = psycopg2.connect(self.location(name))
        try:
            with conn.cursor() as cur:
                while True:
                    cur.execute("select pgq.next_batch(%s, %s)", (QUEUE, consumer))
                    batch = cur.fetchone()[0]
                    if batch is None:
                        conn.commit()
                        return out
                    cur.execute(
                        "select ev_data from pgq.get_batch_events(%s) where ev_type = 'e'"
                        " order by ev_id",
                        (batch,),
                    )
                    out += [r[0] for r in cur.fetchall()]
                    cur.execute("select pgq.finish_batch(%s)", (batch,))
                    conn.commit()
        finally:
            conn.close()

    def insert(self, name: str, datas: list[str]) -> None:
        self.query(
            name,
            "select pgq.insert_event(%s, 'e', d) from unnest(%s::text[]) d",
            (QUEUE, datas),
        )


class Ticker(threading.Thread):
    """Ticks every node's queue where it has its own ticker, every 0.1 s (dead nodes skipped)."""

    def __init__(self, cascade: Cascade) -> None:
        super().__init__(daemon=True)
        self.cascade = cascade
        self.stopped = threading.Event()

    def run(self) -> None:
        conns: dict[str, psycopg2.extensions.connection] = {}
        while not self.stopped.wait(0.1):
            for name in list(self.cascade.clusters):
                try:
                    conn = conns.get(name)
                    if conn is None or conn.closed:
                        conn = psycopg2.connect(self.cascade.location(name), connect_timeout=2)
                        conn.autocommit = True
                        conns[name] = conn
                    with conn.cursor() as cur:
                        cur.execute(
                            "select pgq.ticker(queue_name) from pgq.queue"
                            " where queue_name = %s and not queue_external_ticker",
                            (QUEUE,),
                        )
                except psycopg2.Error:
                    conn = conns.pop(name, None)
                    if conn is not None:
                        conn.close()
        for conn in conns.values():
            conn.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(10)


class Producer(threading.Thread):
    """Inserts numbered events one transaction each into whichever node is the root."""

    def __init__(self, cascade: Cascade, start: int = 1) -> None:
        super().__init__(daemon=True)
        self.cascade = cascade
        self.next = start
        self.committed: list[str] = []
        self.unsure: list[str] = []  # the connection broke: committed or not
        self.refused = 0
        self.stopped = threading.Event()

    def _root(self) -> str | None:
        for name in self.cascade.clusters:
            try:
                rows = self.cascade.query(
                    name,
                    "select 1 from pgq.queue q join pgq_node.node_info n using (queue_name)"
                    " where q.queue_name = %s and n.node_type = 'root'"
                    " and not q.queue_disable_insert",
                    (QUEUE,),
                )
            except psycopg2.Error:
                continue
            if rows:
                return name
        return None

    def run(self) -> None:
        conn = None
        while not self.stopped.is_set():
            data = str(self.next)
            try:
                if conn is None:
                    root = self._root()
                    if root is None:
                        time.sleep(0.02)
                        continue
                    conn = self.cascade.conn(root)
                with conn.cursor() as cur:
                    cur.execute("select pgq.insert_event(%s, 'e', %s)", (QUEUE, data))
                self.committed.append(data)
                self.next += 1
                time.sleep(0.002)
            except psycopg2.OperationalError:
                self.unsure.append(data)
                self.next += 1
                conn = None
            except psycopg2.Error:
                self.refused += 1  # inserts disabled: the root moved
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(10)


@pytest.fixture
def make_cascade(cluster_factory: Callable[..., Cluster]) -> Iterator[Callable[..., Cascade]]:
    made: list[Cascade] = []

    def make(*names: str) -> Cascade:
        cascade = Cascade()
        for name in names:
            cluster = cluster_factory(install_modules=False)
            prepare(cluster)
            cascade.clusters[name] = cluster
        made.append(cascade)
        return cascade

    yield make
    for cascade in made:
        cascade.close()


def build_tree(cascade: Cascade, layout: dict[str, tuple[str, str | None]]) -> None:
    """Create nodes in order: name -> (type, provider name)."""
    for name, (kind, provider) in layout.items():
        admin = cascade.admin(name)
        if kind == "root":
            admin.create_root(name, cascade.location(name))
        elif kind == "branch":
            admin.create_branch(name, cascade.location(provider), cascade.location(name))
        else:
            admin.create_leaf(name, cascade.location(provider), cascade.location(name))
        if kind != "leaf":  # every pgq.ticker() call ticks: the tests decide when
            for key, value in (("ticker_max_lag", "0"), ("ticker_idle_period", "0")):
                cascade.query(name, "select pgq.set_queue_config(%s, %s, %s)", (QUEUE, key, value))


@pytest.fixture
def running(make_cascade, tmp_path):
    """A started cascade: build(layout) creates it, starts a worker per node and a ticker."""
    tickers: list[Ticker] = []

    def build(layout: dict[str, tuple[str, str | None]]) -> Cascade:
        c = make_cascade(*layout)
        build_tree(c, layout)
        for name in layout:
            c.start_worker(name, tmp_path)
        ticker = Ticker(c)
        ticker.start()
        tickers.append(ticker)
        return c

    yield build
    for ticker in tickers:
        ticker.stop()


# -- creating nodes ---------------------------------------------------------------------------
def test_create_root_branch_leaf(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r"), "l": ("leaf", "b")})
    assert c.query("r", "select node_type, node_name, worker_name from pgq_node.node_info") == [
        ("root", "r", "r")
    ]
    info = "select node_type, provider_node from pgq_node.get_node_info(%s)"
    assert c.query("b", info, (QUEUE,)) == [("branch", "r")]
    assert c.query("l", info, (QUEUE,)) == [("leaf", "b")]
    # every node knows every member created before it, the root knows all
    members = c.admin("r").members()
    assert members.columns == ("node_name", "dead", "node_location")
    assert [(r[0], r[1]) for r in members.rows] == [("b", False), ("l", False), ("r", False)]
    assert [r[0] for r in c.admin("l").members().rows] == ["b", "l", "r"]
    # the branch's queue is a copy: external ticks, no inserts of its own
    assert c.query(
        "b",
        "select queue_external_ticker, queue_disable_insert from pgq.queue where queue_name = %s",
        (QUEUE,),
    ) == [(True, True)]
    assert c.query("b", "select subscriber_node from pgq_node.subscriber_info") == [("l",)]
    assert c.admin("l").worker_name() == "l"
    assert any('created as leaf of queue "cq", provider "b"' in ln for ln in c.lines)


def test_create_again_says_so_and_stops(make_cascade):
    c = make_cascade("r", "b")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r")})
    c.lines.clear()
    c.admin("b").create_branch("b", c.location("r"), c.location("b"))
    assert c.lines[-1] == 'node "b" is already initialised as branch'
    with pytest.raises(CascadeError, match='already node "b" \\(branch\\)'):
        c.admin("b").create_branch("other", c.location("r"), c.location("b"))


def test_create_refuses_a_taken_name_and_a_foreign_location(make_cascade):
    c = make_cascade("r", "b", "x")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r")})
    with pytest.raises(CascadeError, match='node "b" is already a member'):
        c.admin("x").create_branch("b", c.location("r"), c.location("x"))
    # a public connect string that reaches another database than this connection
    with pytest.raises(CascadeError, match="reaches another database"):
        c.admin("x").create_branch("x", c.location("r"), c.location("b"))
    assert c.query("x", "select count(*) from pgq_node.node_info") == [(0,)]


def test_create_root_defaults_location_to_this_connection(make_cascade):
    c = make_cascade("r")
    c.admin("r").create_root("r")
    [(loc,)] = c.query("r", "select node_location from pgq_node.node_location")
    assert f"port={c.clusters['r'].port}" in loc and "host=127.0.0.1" in loc
    assert "password" not in loc


def test_create_root_installs_what_is_missing(cluster_factory):
    cluster = cluster_factory(install_modules=False)
    lines: list[str] = []
    with CascadeAdmin(cluster.conn_info("postgres"), QUEUE, progress=lines.append) as admin:
        admin.create_root("r")
        assert admin.install_code() == []  # nothing left to install
    assert any(ln.startswith("pgq: installed") for ln in lines)
    assert any(ln.startswith("pgq_node: installed") for ln in lines)
    conn = psycopg2.connect(cluster.dsn("postgres"))
    try:
        with conn.cursor() as cur:
            cur.execute("select node_type from pgq_node.node_info")
            assert cur.fetchall() == [("root",)]
    finally:
        conn.close()


def test_create_branch_needs_a_provider_that_is_a_node(make_cascade):
    c = make_cascade("r", "b")
    with pytest.raises(CascadeError, match="the provider has no node"):
        c.admin("b").create_branch("b", c.location("r"), c.location("b"))
    c.clusters["r"].stop(mode="immediate")
    with pytest.raises(CascadeError, match='node "provider" is down'):
        c.admin("b").create_branch("b", c.location("r"), c.location("b"))


# -- status ------------------------------------------------------------------------------------
def test_status_tree_order_and_depth(make_cascade):
    c = make_cascade("r", "b1", "b2", "l")
    build_tree(
        c,
        {"r": ("root", None), "b1": ("branch", "r"), "b2": ("branch", "r"), "l": ("leaf", "b1")},
    )
    nodes = c.admin("r").status()
    assert [(n.name, n.node_type, n.depth, n.provider) for n in nodes] == [
        ("r", "root", 0, None),
        ("b1", "branch", 1, "r"),
        ("l", "leaf", 2, "b1"),
        ("b2", "branch", 1, "r"),
    ]
    root = nodes[0]
    assert root.reachable and root.lag is not None and root.last_tick is not None
    assert set(root.subscribers) == {"b1", "b2"}
    assert all(n.queue == QUEUE and n.worker_name == n.name for n in nodes)
    assert c.admin("l").node_status("b1").subscribers == ("l",)


def test_status_with_a_node_down_answers_quickly(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r"), "l": ("leaf", "b")})
    c.clusters["b"].stop(mode="immediate")
    start = time.monotonic()
    nodes = c.admin("r").status()
    assert time.monotonic() - start < 5
    by_name = {n.name: n for n in nodes}
    assert not by_name["b"].reachable and by_name["b"].error
    assert "refused" in by_name["b"].error or "failed" in by_name["b"].error
    # the down branch stays in its place: under the root, above its leaf
    assert [(n.name, n.depth) for n in nodes] == [("r", 0), ("b", 1), ("l", 2)]
    # a node that accepts connections but never answers: the status still answers in time
    stuck = c.conn("l")
    with stuck.cursor() as cur:
        cur.execute("begin; lock table pgq_node.node_info in access exclusive mode")
    start = time.monotonic()
    nodes = c.admin("r").status()
    assert time.monotonic() - start < 6
    assert {n.name: n.reachable for n in nodes}["l"] is False
    stuck.close()


def test_tag_dead_and_alive(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "l": ("leaf", "r"), "b": ("branch", "r")})
    c.admin("r").tag_dead("l")
    for node in ("r", "b"):
        assert c.query(node, "select dead from pgq_node.node_location where node_name = 'l'") == [
            (True,)
        ]
    status = {n.name: n for n in c.admin("r").status()}
    assert status["l"].dead and not status["l"].reachable
    c.admin("r").tag_alive("l")
    for node in ("r", "b", "l"):
        assert c.query(node, "select dead from pgq_node.node_location where node_name = 'l'") == [
            (False,)
        ]


def test_change_location(make_cascade):
    c = make_cascade("r", "b")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r")})
    new = c.location("b") + " application_name=moved"
    c.admin("r").change_location("b", new)
    for node in ("r", "b"):
        assert c.query(
            node, "select node_location from pgq_node.node_location where node_name = 'b'"
        ) == [(new,)]
    with pytest.raises(CascadeError, match="reaches node r"):
        c.admin("r").change_location("b", c.location("r"))


def test_drop_node(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r"), "l": ("leaf", "b")})
    with pytest.raises(CascadeError, match='node "b" still has subscribers: l'):
        c.admin("r").drop_node("b")
    c.admin("r").drop_node("l")
    assert c.query("l", "select count(*) from pgq_node.node_info") == [(0,)]
    assert c.query("b", "select count(*) from pgq_node.subscriber_info") == [(0,)]
    for node in ("r", "b"):
        assert c.query(
            node, "select count(*) from pgq_node.node_location where node_name = 'l'"
        ) == [(0,)]
    # again: nothing left to do, no error
    c.admin("r").drop_node("l")


def test_drop_dead_node(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r"), "l": ("leaf", "r")})
    c.clusters["l"].stop(mode="immediate")
    with pytest.raises(CascadeError, match='node "l" is down'):
        c.admin("r").drop_node("l")
    c.admin("r").tag_dead("l")
    c.admin("r").drop_node("l")
    for node in ("r", "b"):
        assert c.query(
            node, "select count(*) from pgq_node.node_location where node_name = 'l'"
        ) == [(0,)]
    assert c.query("r", "select count(*) from pgq_node.subscriber_info") == [(1,)]


def test_refusals_name_the_node(make_cascade):
    c = make_cascade("r", "b")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r")})
    with pytest.raises(CascadeError, match='node "nosuch" is not a member of queue "cq"'):
        c.admin("r").pause("nosuch")
    c.clusters["b"].stop(mode="immediate")
    with pytest.raises(CascadeError, match='node "b" is down'):
        c.admin("r").change_provider("b", "r")
    with pytest.raises(CascadeError, match='node "b" is down'):
        c.admin("r").switchover("b")


# -- with workers --------------------------------------------------------------------------------
THREE = {"r": ("root", None), "b1": ("branch", "r"), "b2": ("branch", "r")}


def test_pause_and_resume_wait_for_the_worker(running):
    c = running(THREE)
    c.insert("r", ["1", "2"])
    c.wait_caught_up(["b1", "b2"], "r")
    admin = c.admin("r")
    admin.pause("b1")
    assert c.query("b1", "select paused, uptodate from pgq_node.local_state") == [(True, True)]
    assert any('b1: consumer "b1" paused, waiting for it to confirm' in ln for ln in c.lines)
    before = c.completed("b1")
    c.insert("r", ["3"])
    c.wait_caught_up(["b2"], "r")
    time.sleep(0.5)
    assert c.completed("b1") == before
    status = {n.name: n for n in admin.status()}
    assert status["b1"].paused and not status["b2"].paused
    admin.resume("b1")
    assert c.query("b1", "select paused, uptodate from pgq_node.local_state") == [(False, True)]
    c.wait_caught_up(["b1"], "r")
    # again: already resumed, nothing to wait for
    c.lines.clear()
    admin.resume("b1")
    assert c.lines == ['b1: consumer "b1" is resumed']


def test_wait_root_provider_and_sync(running):
    c = running(THREE)
    c.insert("r", [str(i) for i in range(50)])
    c.query("r", "select pgq.ticker(%s)", (QUEUE,))
    top = c.top_tick("r")
    c.admin("b1").wait_root(timeout=60)
    assert c.completed("b1") >= top  # it has the tick the root had when asked
    c.admin("r").pause("b2")
    c.insert("r", ["x"])
    c.query("r", "select pgq.ticker(%s)", (QUEUE,))
    top = c.top_tick("r")
    with pytest.raises(CascadeError, match=r'node "b2": tick \d+: not done within 1 s'):
        c.admin("b2").wait_provider(timeout=1)
    c.admin("r").resume("b2")
    c.admin("b2").wait_provider(timeout=60)
    assert c.completed("b2") >= top
    c.insert("r", ["y"])
    c.query("r", "select pgq.ticker(%s)", (QUEUE,))
    top = c.top_tick("r")
    c.admin("r").wait_sync(timeout=60)
    assert c.completed("b1") >= top and c.completed("b2") >= top


def _assert_each_once(c: Cascade, nodes: list[str], expected: list[str]) -> None:
    for name in nodes:
        got = c.consume(name)
        assert len(got) == len(set(got)), f"{name}: duplicates"
        assert sorted(got, key=int) == sorted(expected, key=int), f"{name}: events differ"


def test_switchover_and_back_under_load(running):
    c = running(THREE)
    for name in THREE:
        c.register_consumer(name)
    producer = Producer(c)
    producer.start()
    time.sleep(0.5)
    admin = c.admin("b1")
    admin.switchover("b1")
    info = "select node_type, provider_node from pgq_node.get_node_info(%s)"
    assert c.query("b1", info, (QUEUE,))[0][0] == "root"
    assert c.query("r", info, (QUEUE,)) == [("branch", "b1")]
    time.sleep(0.5)
    c.admin("r").switchover("r")
    assert c.query("r", info, (QUEUE,))[0][0] == "root"
    assert c.query("b1", info, (QUEUE,)) == [("branch", "r")]
    time.sleep(0.5)
    producer.stop()
    assert not producer.unsure
    assert producer.refused > 0 and len(producer.committed) > 100
    c.query("r", "select pgq.ticker(%s)", (QUEUE,))
    c.wait_caught_up(["b1", "b2"], "r")
    _assert_each_once(c, list(THREE), producer.committed)
    tree = [(n.name, n.node_type, n.depth) for n in c.admin("r").status()]
    assert tree == [("r", "root", 0), ("b1", "branch", 1), ("b2", "branch", 1)]
    # run again: nothing left to do
    c.admin("r").switchover("r")


def test_change_provider_under_load(running):
    c = running(THREE)
    c.register_consumer("b2")
    producer = Producer(c)
    producer.start()
    time.sleep(0.5)
    c.admin("r").change_provider("b2", "b1")
    assert c.query("b2", "select provider_node from pgq_node.local_state") == [("b1",)]
    assert c.query("r", "select subscriber_node from pgq_node.subscriber_info") == [("b1",)]
    assert c.query("b1", "select subscriber_node from pgq_node.subscriber_info") == [("b2",)]
    time.sleep(0.5)
    producer.stop()
    c.wait_caught_up(["b1", "b2"], "r")
    _assert_each_once(c, ["b2"], producer.committed)
    assert [(n.name, n.depth) for n in c.admin("b2").status()] == [
        ("r", 0),
        ("b1", 1),
        ("b2", 2),
    ]
    with pytest.raises(
        CascadeError, match='node "b2" reads from node "b1": that would make a loop'
    ):
        c.admin("r").change_provider("b1", "b2")


def test_failover_and_resurrect(running, tmp_path):
    c = running(THREE)
    for name in ("b1", "b2"):
        c.register_consumer(name)
    c.insert("r", [str(i) for i in range(1, 101)])
    c.wait_caught_up(["b1", "b2"], "r")
    admin = c.admin("b1")
    admin.pause("b1")
    c.insert("r", [str(i) for i in range(101, 201)])
    c.wait_caught_up(["b2"], "r")  # b2 is ahead of b1
    admin.pause("b2")
    c.insert("r", [str(i) for i in range(201, 251)])  # nobody gets these
    c.query("r", "select pgq.ticker(%s)", (QUEUE,))
    c.query("r", "checkpoint")  # the throwaway clusters commit asynchronously
    c.clusters["r"].kill()
    c.lines.clear()
    admin.failover("b1")
    info = "select node_type, provider_node from pgq_node.get_node_info(%s)"
    assert c.query("b1", info, (QUEUE,))[0][0] == "root"
    assert c.query("b2", info, (QUEUE,)) == [("branch", "b1")]
    assert any("reading from it first" in ln for ln in c.lines)
    assert {n.name: n.dead for n in c.admin("b2").status()}["r"] is True
    c.insert("b1", [str(i) for i in range(251, 301)])
    c.query("b1", "select pgq.ticker(%s)", (QUEUE,))
    c.wait_caught_up(["b2"], "b1")
    survived = [str(i) for i in range(1, 201)] + [str(i) for i in range(251, 301)]
    _assert_each_once(c, ["b1", "b2"], survived)
    # the old root comes back: the events nobody got are dumped, it becomes a branch
    c.clusters["r"].start()
    dump = admin.resurrect("r", str(tmp_path / "lost.json"))
    lost = [e["ev_data"] for e in json.loads(Path(dump).read_text()) if e["ev_type"] == "e"]
    assert sorted(lost, key=int) == [str(i) for i in range(201, 251)]
    assert c.query("r", info, (QUEUE,)) == [("branch", "b1")]
    assert c.query("r", "select paused from pgq_node.local_state") == [(True,)]
    admin.resume("r")
    c.wait_caught_up(["r", "b2"], "b1")
    assert not {n.name: n.dead for n in admin.status()}["r"]


def test_drop_and_rename_with_workers(running):
    c = running({"r": ("root", None), "b": ("branch", "r"), "l": ("leaf", "b")})
    c.insert("r", ["1"])
    c.wait_caught_up(["b", "l"], "r")
    c.admin("r").rename_node("b", "mid")
    for name in ("r", "b", "l"):
        names = [r[0] for r in c.query(name, "select node_name from pgq_node.node_location")]
        assert sorted(names) == ["l", "mid", "r"], name
    assert c.query("b", "select node_name from pgq_node.node_info") == [("mid",)]
    assert c.query("l", "select provider_node from pgq_node.local_state") == [("mid",)]
    c.insert("r", ["2"])
    c.query("r", "select pgq.ticker(%s)", (QUEUE,))
    c.wait_caught_up(["b", "l"], "r")
    assert [(n.name, n.depth) for n in c.admin("r").status()] == [("r", 0), ("mid", 1), ("l", 2)]
    # finishing an already finished rename changes nothing
    c.admin("r").rename_node("b", "mid")
    c.admin("r").drop_node("l")
    assert [n.name for n in c.admin("r").status()] == ["r", "mid"]


# -- interrupted actions are finished by running them again ----------------------------------
def _api(c: Cascade, node: str, function: str, *args: object) -> None:
    marks = ", ".join(["%s"] * (len(args) + 1))
    [(code, note)] = c.query(
        node, f"select ret_code, ret_note from {function}({marks})", (QUEUE, *args)
    )
    assert code < 300, note


def test_switchover_interrupted_is_finished_by_running_it_again(running):
    c = running(THREE)
    info = "select node_type, provider_node from pgq_node.get_node_info(%s)"
    c.insert("r", ["1"])
    c.wait_caught_up(["b1", "b2"], "r")
    # a run stopped after the old root's last tick
    _api(c, "r", "pgq_node.set_consumer_paused", "r", True)
    _api(c, "r", "pgq_node.demote_root", 1, "b1")
    _api(c, "r", "pgq_node.demote_root", 2, "b1")
    c.admin("b1").switchover("b1")
    assert c.query("b1", info, (QUEUE,))[0][0] == "root"
    assert c.query("r", info, (QUEUE,)) == [("branch", "b1")]
    assert c.query("r", "select paused from pgq_node.local_state") == [(False,)]
    c.wait_caught_up(["r", "b2"], "b1")
    # a run back to r stopped after promoting r: two roots
    _api(c, "b1", "pgq_node.set_consumer_paused", "b1", True)
    _api(c, "b1", "pgq_node.demote_root", 1, "r")
    _api(c, "b1", "pgq_node.demote_root", 2, "r")
    c.wait_caught_up(["r"], "b1")
    _api(c, "r", "pgq_node.set_consumer_paused", "r", True)
    _api(c, "r", "pgq_node.promote_branch")
    c.admin("r").switchover("r")
    assert c.query("r", info, (QUEUE,))[0][0] == "root"
    assert c.query("b1", info, (QUEUE,)) == [("branch", "r")]
    # r no longer reads from b1; b2 stayed with r all along
    assert c.query("b1", "select count(*) from pgq_node.subscriber_info") == [(0,)]
    subs = "select subscriber_node from pgq_node.subscriber_info order by 1"
    assert c.query("r", subs) == [("b1",), ("b2",)]
    assert c.query("r", "select paused from pgq_node.local_state") == [(False,)]
    c.insert("r", ["2"])
    c.query("r", "select pgq.ticker(%s)", (QUEUE,))
    c.wait_caught_up(["b1", "b2"], "r")


def test_change_provider_interrupted_is_finished_by_running_it_again(running):
    c = running(THREE)
    c.insert("r", ["1"])
    c.wait_caught_up(["b1", "b2"], "r")
    c.admin("r").pause("b2")
    tick = c.completed("b2")
    wait_for(lambda: c.top_tick("b1") >= tick, timeout=60, what=f"b1 having tick {tick}")
    # a run stopped after switching the provider, before resuming and unsubscribing
    c.query(
        "b1",
        "select * from pgq_node.register_location(%s, 'b2', %s, false)",
        (QUEUE, c.location("b2")),
    )
    _api(c, "b1", "pgq_node.register_subscriber", "b2", "b2", tick)
    _api(c, "b2", "pgq_node.change_consumer_provider", "b2", "b1")
    c.admin("r").change_provider("b2", "b1")
    assert c.query("b2", "select provider_node, paused from pgq_node.local_state") == [
        ("b1", False)
    ]
    assert c.query("r", "select subscriber_node from pgq_node.subscriber_info") == [("b1",)]
    c.insert("r", ["2"])
    c.query("r", "select pgq.ticker(%s)", (QUEUE,))
    c.wait_caught_up(["b1", "b2"], "r")


# -- how other members are reached (no database needed) --------------------------------------
def test_member_conninfo_carries_credentials_only_to_the_same_server_and_user():
    from engine.db import ConnInfo

    here = ConnInfo.parse("host=h1 port=5432 user=u dbname=a password=secret sslmode=require")
    admin = CascadeAdmin(here, QUEUE, remote_extra=ConnInfo.parse("application_name=x"))
    same = admin._member_conninfo("host=h1 port=5432 user=u dbname=b")
    assert same.get("password") == "secret" and same.get("dbname") == "b"
    assert same.get("sslmode") == "require" and same.get("application_name") == "x"
    assert same.get("connect_timeout") == "3"
    other = admin._member_conninfo("host=h2 port=5432 user=u dbname=b")
    assert "password" not in other
    assert "secret" not in repr(same)
    with pytest.raises(CascadeError, match="bad node location"):
        admin._member_conninfo("host='unterminated")


def test_switchover_of_a_branch(running):
    c = running({"r": ("root", None), "b1": ("branch", "r"), "b2": ("branch", "b1")})
    c.register_consumer("b2")
    c.insert("r", ["1"])
    c.wait_caught_up(["b1", "b2"], "r")
    c.admin("b2").switchover("b2")  # b2 takes the place of its provider b1
    provider = "select provider_node from pgq_node.local_state"
    assert c.query("b2", provider) == [("r",)]
    assert c.query("b1", provider) == [("b2",)]
    assert [(n.name, n.depth) for n in c.admin("r").status()] == [("r", 0), ("b2", 1), ("b1", 2)]
    c.insert("r", ["2"])
    c.wait_caught_up(["b1", "b2"], "r")
    assert c.consume("b2") == ["1", "2"]


def test_takeover_of_a_dead_branch(running):
    c = running(
        {"r": ("root", None), "b2": ("branch", "r"), "b1": ("branch", "r"), "l": ("leaf", "b1")}
    )
    c.insert("r", ["1"])
    c.wait_caught_up(["b1", "b2", "l"], "r")
    c.clusters["b1"].kill()
    c.admin("r").takeover_dead_branch("b1", "b2")
    assert c.query("l", "select provider_node from pgq_node.local_state") == [("b2",)]
    assert c.query("r", "select dead from pgq_node.node_location where node_name = 'b1'") == [
        (True,)
    ]
    c.insert("r", ["2"])
    c.wait_caught_up(["b2", "l"], "r")


class Interrupt(Exception):
    """Stands for Ctrl-C or a lost session in the middle of an action."""


def interrupting(c: Cascade, node: str, at: str) -> CascadeAdmin:
    """An admin on node whose action stops right after the progress line containing at."""

    def progress(line: str) -> None:
        c.lines.append(line)
        if at in line:
            raise Interrupt(line)

    return CascadeAdmin(c.clusters[node].conn_info("postgres"), QUEUE, progress=progress)


@pytest.mark.parametrize(
    "at", ["inserts stopped", "last tick", "subscribed at tick", "promoted to root", "now a branch"]
)
def test_switchover_interrupted_at_any_step_is_finished_by_running_it_again(running, at):
    c = running(THREE)
    c.register_consumer("b2")
    c.insert("r", ["1"])
    c.wait_caught_up(["b1", "b2"], "r")
    admin = interrupting(c, "b1", at)
    with pytest.raises(Interrupt):
        admin.switchover("b1")
    admin.close()
    c.admin("b1").switchover("b1")
    info = "select node_type, provider_node from pgq_node.get_node_info(%s)"
    assert c.query("b1", info, (QUEUE,))[0][0] == "root"
    assert c.query("r", info, (QUEUE,)) == [("branch", "b1")]
    assert c.query("r", "select paused from pgq_node.local_state") == [(False,)]
    assert c.query("b1", "select paused from pgq_node.local_state") == [(False,)]
    assert c.query(
        "r", "select count(*) from pgq_node.subscriber_info where subscriber_node = 'b1'"
    ) == [(0,)]
    c.insert("b1", ["2"])
    c.wait_caught_up(["r", "b2"], "b1")
    assert c.consume("b2") == ["1", "2"]


def test_failover_interrupted_is_finished_by_running_it_again(running):
    c = running(THREE)
    c.insert("r", ["1"])
    c.wait_caught_up(["b1", "b2"], "r")
    c.clusters["r"].kill()
    admin = interrupting(c, "b1", "promoted to root")
    with pytest.raises(Interrupt):
        admin.failover("b1")
    admin.close()
    c.admin("b1").failover("b1")
    assert c.query("b2", "select provider_node from pgq_node.local_state") == [("b1",)]
    assert c.query(
        "b1", "select worker_name from pgq_node.subscriber_info where subscriber_node = 'r'"
    ) == [("r.gravestone",)]
    c.insert("b1", ["2"])
    c.wait_caught_up(["b2"], "b1")


@pytest.mark.parametrize("at", ["paused, waiting", "subscribed at tick", "resumed, waiting"])
def test_change_provider_interrupted_at_any_step_is_finished_by_running_it_again(running, at):
    c = running(THREE)
    c.register_consumer("b2")
    c.insert("r", ["1"])
    c.wait_caught_up(["b1", "b2"], "r")
    admin = interrupting(c, "r", at)
    with pytest.raises(Interrupt):
        admin.change_provider("b2", "b1")
    admin.close()
    c.admin("r").change_provider("b2", "b1")
    assert c.query("b2", "select provider_node, paused from pgq_node.local_state") == [
        ("b1", False)
    ]
    assert c.query("r", "select subscriber_node from pgq_node.subscriber_info") == [("b1",)]
    c.insert("r", ["2"])
    c.wait_caught_up(["b1", "b2"], "r")
    assert c.consume("b2") == ["1", "2"]


def test_create_merge_leaf(make_cascade):
    c = make_cascade("r", "m")
    build_tree(c, {"r": ("root", None)})
    with CascadeAdmin(c.clusters["m"].conn_info("postgres"), "combined") as combined:
        combined.create_root("m_combined", c.location("m"))
    c.admin("m").create_leaf("m", c.location("r"), c.location("m"), merge="combined")
    q = "select node_type, combined_queue from pgq_node.node_info where queue_name = %s"
    assert c.query("m", q, (QUEUE,)) == [("leaf", "combined")]
    assert {n.name: n.combined_queue for n in c.admin("r").status()}["m"] == "combined"
    with pytest.raises(CascadeError, match="only a leaf can merge"):
        c.admin("r").create_branch("x", c.location("r"), merge="combined")
