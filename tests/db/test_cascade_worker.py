"""The cascade worker (engine.cascade.worker) with real nodes, one cluster each.

Nodes are set up here in SQL the way create-root / create-branch / create-leaf do it
(register_location, register_subscriber on the provider, the members copied,
create_node), so the tests need no admin code.  Workers run as real processes.

Run as a module (``python -m tests.db.test_cascade_worker CONFIG.ini``) this file is
a worker that also records the data events it sees on its node (table ``seen``):
the subclass path of the worker, as Londiste uses it.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from engine.cascade.worker import CascadedWorker
from engine.consumer import Event
from engine.install import install
from engine.pgcluster import Cluster
from tests.conftest import Database
from tests.db.daemon_util import Proc, wait_for, write_ini

Q = "cq"
#: development switch: set up the nodes with the original Skytools extensions
ORIGINAL = os.environ.get("QADMIN_TEST_ORIGINAL_PGQ_NODE") == "1"


class RecordingWorker(CascadedWorker):
    """A worker that applies data events: each goes into table seen on this node."""

    def process_remote_event(self, src_curs: Any, dst_curs: Any, ev: Event) -> None:
        if (ev.type or "").startswith("pgq."):
            super().process_remote_event(src_curs, dst_curs, ev)
            return
        dst_curs.execute(
            "insert into seen (ev_id, ev_type, ev_data) values (%s, %s, %s)",
            (ev.id, ev.type, ev.data),
        )


# -- nodes -------------------------------------------------------------------------------
class Node:
    """One node of the cascade: a cluster's postgres database."""

    def __init__(self, cluster: Cluster, name: str, queue: str = Q) -> None:
        self.cluster = cluster
        self.name = name
        self.queue = queue
        self.db = Database(cluster, "postgres")
        self.worker = f"{name}_worker"
        self.provider: Node | None = None
        self.node_type = ""

    @property
    def location(self) -> str:
        return self.db.dsn

    def api(self, query: str, args: Any = None) -> dict:
        rows = self.db.dicts(query, args)
        row = rows[0]
        assert row.get("ret_code", 200) < 300, row
        return row

    def state(self) -> dict:
        return self.api(
            "select * from pgq_node.get_consumer_state(%s, %s)", (self.queue, self.worker)
        )

    def info(self) -> dict:
        return self.api("select * from pgq_node.get_node_info(%s)", (self.queue,))

    def completed(self) -> int:
        return self.state()["completed_tick"]

    def last_tick(self) -> int:
        return self.db.scalar("select last_tick_id from pgq.get_queue_info(%s)", (self.queue,))

    def locations(self) -> dict[str, tuple[str, bool]]:
        rows = self.db.execute("select * from pgq_node.get_queue_locations(%s)", (self.queue,))
        return {r[0]: (r[1], r[2]) for r in rows}


def new_node(cluster_factory: Callable[..., Cluster], name: str, queue: str = Q) -> Node:
    if ORIGINAL:
        node = Node(cluster_factory(install_modules=False), name, queue)
        node.db.execute("create extension pgq")
        node.db.execute("create extension pgq_node")
    else:
        node = Node(cluster_factory(), name, queue)
        conn = psycopg2.connect(node.db.dsn)
        try:
            install(conn, ["pgq_node"])
        finally:
            conn.close()
    return node


def create_root(node: Node) -> None:
    node.node_type = "root"
    node.api(
        "select * from pgq_node.register_location(%s, %s, %s, false)",
        (node.queue, node.name, node.location),
    )
    node.api(
        "select * from pgq_node.create_node(%s, 'root', %s, %s, null, null, null)",
        (node.queue, node.name, node.worker),
    )
    # every pgq.ticker() call ticks: the tests decide when
    for key, value in (("ticker_max_lag", "0"), ("ticker_idle_period", "0")):
        node.db.execute("select pgq.set_queue_config(%s, %s, %s)", (node.queue, key, value))


def create_subscriber(
    node: Node, provider: Node, root: Node, node_type: str = "branch", combined: str | None = None
) -> None:
    """What create-branch / create-leaf do: members everywhere, subscriber, create_node."""
    node.provider = provider
    node.node_type = node_type
    reg = "select * from pgq_node.register_location(%s, %s, %s, %s)"
    root.api(reg, (node.queue, node.name, node.location, False))
    if provider is not root:
        provider.api(reg, (node.queue, node.name, node.location, False))
    gwm = provider.api(
        "select * from pgq_node.register_subscriber(%s, %s, %s, null)",
        (node.queue, node.name, node.worker),
    )["global_watermark"]
    node.api(reg, (node.queue, node.name, node.location, False))
    for name, (loc, dead) in root.locations().items():
        node.api(reg, (node.queue, name, loc, dead))
    node.api(
        "select * from pgq_node.create_node(%s, %s, %s, %s, %s, %s, %s)",
        (node.queue, node_type, node.name, node.worker, provider.name, gwm, combined),
    )


def tick(node: Node) -> int:
    return node.db.scalar("select pgq.ticker(%s)", (node.queue,))


def insert_events(node: Node, datas: list[str], ev_type: str = "t") -> None:
    node.db.execute(
        "select pgq.insert_event(%s, %s, d, 'x1', null, 'x3', null) from unnest(%s::text[]) d",
        (node.queue, ev_type, datas),
    )


def start_worker(
    node: Node,
    tmp_path: Path,
    *,
    module: str = "engine.cascade.worker",
    env: dict[str, str] | None = None,
    tag: str = "",
    **keys: Any,
) -> Proc:
    values: dict[str, Any] = {
        "job_name": node.worker,
        "db": node.db.dsn,
        "queue_name": node.queue,
        "loop_delay": 0.1,
        "exception_sleep": 0.3,
        "local_wm_publish_period": 0.5,
        "global_wm_publish_period": 0.5,
        "pgq_lazy_fetch": 7,
        "pidfile": str(tmp_path / f"{node.worker}.pid"),
    }
    values.update(keys)
    ini = write_ini(tmp_path / f"{node.worker}.ini", "cascade_worker", values)
    return Proc(module, [str(ini)], tmp_path / f"{node.worker}{tag}.log", env=env)


def queue_events(node: Node) -> list[tuple]:
    pfx = node.db.scalar(
        "select queue_data_pfx from pgq.queue where queue_name = %s", (node.queue,)
    )
    return node.db.execute(
        sql.SQL(
            "select ev_id, ev_time, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4"
            " from {} order by ev_id"
        ).format(sql.Identifier(*pfx.split(".")))
    )


def queue_ticks(node: Node, after: int) -> list[tuple]:
    return node.db.execute(
        "select t.tick_id, t.tick_time, t.tick_event_seq from pgq.tick t"
        " join pgq.queue q on q.queue_id = t.tick_queue"
        " where q.queue_name = %s and t.tick_id > %s order by 1",
        (node.queue, after),
    )


def read_all(node: Node, consumer: str) -> list[tuple]:
    """Everything a plain consumer of the node's queue gets, batch by batch."""
    out: list[tuple] = []
    conn = node.db.connect(autocommit=False)
    with conn.cursor() as cur:
        while True:
            cur.execute("select pgq.next_batch(%s, %s)", (node.queue, consumer))
            batch = cur.fetchone()[0]
            if batch is None:
                conn.commit()
                return out
            cur.execute("select ev_id, ev_data from pgq.get_batch_events(%s)", (batch,))
            out += cur.fetchall()
            cur.execute("select pgq.finish_batch(%s)", (batch,))
            conn.commit()


def caught_up(node: Node, top: int) -> bool:
    """The node applied everything up to tick top: data, its tick, the provider's batch."""
    if node.completed() < top:
        return False
    if node.node_type == "branch" and node.last_tick() < top:
        return False
    assert node.provider is not None
    last, open_batch = node.provider.db.execute(
        "select last_tick, current_batch from pgq.get_consumer_info(%s, %s)",
        (node.queue, node.worker),
    )[0]
    return last >= top and open_batch is None


def wait_caught_up(
    nodes: list[Node], root: Node, timeout: float = 60, procs: Sequence[Proc] = ()
) -> int:
    top = root.last_tick()

    def done() -> bool:
        for p in procs:
            assert p.alive(), p.text()[-3000:]
        return all(caught_up(n, top) for n in nodes)

    wait_for(done, timeout=timeout, what=f"nodes reaching tick {top}")
    return top


@pytest.fixture
def chain(cluster_factory):
    """root -> branch -> leaf, each in its own cluster."""
    root = new_node(cluster_factory, "root")
    branch = new_node(cluster_factory, "branch")
    leaf = new_node(cluster_factory, "leaf")
    create_root(root)
    create_subscriber(branch, root, root)
    create_subscriber(leaf, branch, root, "leaf")
    leaf.db.execute("create table seen (ev_id bigint, ev_type text, ev_data text)")
    return root, branch, leaf


# -- tests -------------------------------------------------------------------------------
def test_events_and_ticks_cascade_root_branch_leaf(chain, tmp_path):
    root, branch, leaf = chain
    branch.db.execute("select pgq.register_consumer(%s, 'c1')", (Q,))
    start_gwm = branch.info()["global_watermark"]
    procs = [
        start_worker(root, tmp_path),
        start_worker(branch, tmp_path),
        start_worker(leaf, tmp_path, module="tests.db.test_cascade_worker"),
    ]
    sent: list[str] = []
    for round_ in range(5):
        datas = [f"e{round_}.{i}" for i in range(round_ * 11 + 1)]
        datas.append("tab\there\nnewline \\ back'slash")  # COPY's escapes survive
        insert_events(root, datas)
        sent += datas
        tick(root)
        tick(root)  # an empty batch too
    wait_for(lambda: "starting" in procs[0].text(), what="the root's worker running")
    procs[0].stop()  # the root's worker adds global-watermark events: no more of them
    tick(root)
    top = wait_caught_up([branch, leaf], root, procs=procs[1:])

    # the branch's queue is the root's: same events (ids, times, payloads), same ticks
    assert queue_events(branch) == queue_events(root)
    first = branch.db.scalar(
        "select min(tick_id) from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue"
        " where q.queue_name = %s",
        (Q,),
    )
    # the ticks the worker made (after the one create_node made at the watermark)
    wm_tick = max(first, start_gwm)
    assert queue_ticks(branch, wm_tick) == queue_ticks(root, wm_tick)
    assert branch.last_tick() == top
    # a consumer of the branch gets every event once; the leaf's worker too
    got = [d for _, d in read_all(branch, "c1") if d in set(sent)]
    assert Counter(got) == Counter(sent)
    seen = [r[0] for r in leaf.db.execute("select ev_data from seen where ev_type = 't'")]
    assert Counter(seen) == Counter(sent)
    for p in procs[1:]:
        assert p.alive(), p.text()
    for p in procs:
        assert "Traceback" not in p.text(), p.text()


def test_cascade_events_reach_every_node(chain, tmp_path):
    root, branch, leaf = chain
    branch.db.execute("select pgq.register_consumer(%s, 'c1')", (Q,))
    gwm0 = branch.info()["global_watermark"]
    procs = [
        start_worker(root, tmp_path),
        start_worker(branch, tmp_path),
        start_worker(leaf, tmp_path, module="tests.db.test_cascade_worker"),
    ]
    # a member registered on the root is announced to every node
    root.api("select * from pgq_node.register_location(%s, 'n9', 'dbname=nowhere', false)", (Q,))
    tick(root)
    wait_for(
        lambda: "n9" in branch.locations() and "n9" in leaf.locations(),
        timeout=30,
        what="location-info applied downstream",
    )
    assert leaf.locations()["n9"] == ("dbname=nowhere", False)
    root.api("select * from pgq_node.register_location(%s, 'n9', null, true)", (Q,))
    tick(root)
    wait_for(lambda: leaf.locations()["n9"][1] is True, timeout=30, what="n9 tagged dead")
    root.api("select * from pgq_node.unregister_location(%s, 'n9')", (Q,))
    tick(root)
    wait_for(
        lambda: "n9" not in branch.locations() and "n9" not in leaf.locations(),
        timeout=30,
        what="unregister-location applied downstream",
    )

    # the global watermark moves on the branch once every node reported its position
    def moved() -> bool:
        insert_events(root, ["x"])
        tick(root)
        read_all(branch, "c1")
        return branch.info()["global_watermark"] > gwm0

    wait_for(moved, timeout=60, interval=0.3, what="global watermark moving on the branch")
    assert root.info()["global_watermark"] >= branch.info()["global_watermark"]
    copied = {r[2] for r in queue_events(branch)}
    assert {"pgq.location-info", "pgq.unregister-location", "pgq.global-watermark"} <= copied
    for p in procs:
        assert p.alive(), p.text()


def test_sync_watermark_branch_sets_its_own_global_watermark(chain, tmp_path):
    root, branch, leaf = chain
    branch.api("select * from pgq_node.set_node_attrs(%s, %s)", (Q, "sync_watermark=branch,leaf"))
    gwm0 = branch.info()["global_watermark"]
    procs = [
        start_worker(root, tmp_path),
        start_worker(branch, tmp_path),
        start_worker(leaf, tmp_path, module="tests.db.test_cascade_worker"),
    ]

    def moved() -> bool:
        insert_events(root, ["x"])
        tick(root)
        return branch.info()["global_watermark"] > gwm0

    wait_for(moved, timeout=60, interval=0.3, what="the synced global watermark moving")
    # a listed node that stays behind holds the subtree's global watermark back,
    # while upstream moves on (the branch reports its batches, not its subtree)
    leaf.api("select * from pgq_node.set_consumer_paused(%s, %s, true)", (Q, leaf.worker))
    wait_for(lambda: leaf.state()["uptodate"], timeout=30, what="the leaf paused")
    held = leaf.info()["local_watermark"]

    def upstream_passed() -> bool:
        insert_events(root, ["y"])
        tick(root)
        return root.info()["global_watermark"] > held

    wait_for(upstream_passed, timeout=60, interval=0.3, what="the root's watermark passing")
    time.sleep(1.5)  # a few more publish periods
    assert branch.info()["global_watermark"] <= held
    # the global-watermark events copied downstream carry the subtree's value
    upstream = {r[0]: int(r[3]) for r in queue_events(root) if r[2] == "pgq.global-watermark"}
    copied = {r[0]: int(r[3]) for r in queue_events(branch) if r[2] == "pgq.global-watermark"}
    assert copied
    assert set(copied) <= set(upstream)
    assert all(copied[i] <= upstream[i] for i in copied)
    assert any(copied[i] < upstream[i] for i in copied)
    for p in procs:
        assert p.alive(), p.text()
        assert "Traceback" not in p.text(), p.text()


def test_unknown_cascade_event_is_an_error(chain, tmp_path):
    root, branch, _leaf = chain
    worker = start_worker(branch, tmp_path)
    insert_events(root, ["ok"])
    tick(root)
    wait_for(lambda: branch.completed() == root.last_tick(), timeout=30, what="first batch")
    before = branch.completed()
    root.db.execute(
        "select pgq.insert_event(%s, 'pgq.no-such-thing', 'x', %s, null, null, null)", (Q, Q)
    )
    tick(root)
    wait_for(lambda: branch.state()["cur_error"], timeout=30, what="error recorded")
    assert "unknown cascade event type pgq.no-such-thing" in branch.state()["cur_error"]
    assert branch.completed() == before  # the batch was not applied
    time.sleep(0.5)
    assert worker.alive()
    assert "Traceback" not in worker.text()


def test_retry_events_are_refused(chain, tmp_path):
    root, branch, _leaf = chain
    insert_events(root, ["r1", "r2"])
    tick(root)
    # somebody took the worker's batch on the root and sent an event to retry
    conn = root.db.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("select pgq.next_batch(%s, %s)", (Q, branch.worker))
        batch = cur.fetchone()[0]
        cur.execute("select ev_id from pgq.get_batch_events(%s) where ev_data = 'r1'", (batch,))
        cur.execute("select pgq.event_retry(%s, %s, 0)", (batch, cur.fetchone()[0]))
        cur.execute("select pgq.finish_batch(%s)", (batch,))
    conn.commit()
    branch.api(
        "select * from pgq_node.set_consumer_completed(%s, %s, %s)",
        (Q, branch.worker, root.last_tick()),
    )
    root.db.execute("select pgq.maint_retry_events()")
    tick(root)
    worker = start_worker(branch, tmp_path)
    err = wait_for(lambda: branch.state()["cur_error"], timeout=30, what="error recorded")
    assert "must not get retry events" in err, err
    assert worker.alive()
    assert "Traceback" not in worker.text()


def test_pause_and_resume(chain, tmp_path):
    root, branch, _leaf = chain
    start_worker(branch, tmp_path)
    insert_events(root, ["a"])
    tick(root)
    wait_for(lambda: branch.completed() == root.last_tick(), timeout=30, what="first batch")
    # the pause clears uptodate in its own transaction: read it there, before the
    # worker (woken by the commit's notification) can acknowledge it
    conn = branch.db.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("select * from pgq_node.set_consumer_paused(%s, %s, true)", (Q, branch.worker))
        assert cur.fetchone()[0] < 300
        cur.execute("select uptodate from pgq_node.get_consumer_state(%s, %s)", (Q, branch.worker))
        assert cur.fetchone()[0] is False
    conn.commit()
    wait_for(lambda: branch.state()["uptodate"], timeout=30, what="the worker saw the pause")
    at = branch.completed()
    insert_events(root, ["b"])
    tick(root)
    time.sleep(1.5)
    assert branch.completed() == at
    branch.api("select * from pgq_node.set_consumer_paused(%s, %s, false)", (Q, branch.worker))
    wait_for(lambda: branch.completed() == root.last_tick(), timeout=30, what="resumed")
    assert branch.state()["uptodate"] is True


def test_unreachable_provider_is_recorded(chain, tmp_path):
    root, branch, _leaf = chain
    worker = start_worker(branch, tmp_path)
    insert_events(root, ["a"])
    tick(root)
    wait_for(lambda: branch.completed() == root.last_tick(), timeout=30, what="first batch")
    root.cluster.stop()  # fast: the test clusters commit asynchronously
    err = wait_for(lambda: branch.state()["cur_error"], timeout=60, what="error recorded")
    assert "connect" in err.lower() or "terminat" in err.lower() or "server" in err.lower(), err
    root.cluster.start()
    root.db.close()
    insert_events(root, ["b"])
    tick(root)
    wait_for(
        lambda: branch.completed() == root.last_tick() and not branch.state()["cur_error"],
        timeout=60,
        what="recovered, error cleared",
    )
    assert worker.alive()
    assert "Traceback" not in worker.text()


@pytest.mark.parametrize("module", ["pgq_node", "none"])
def test_a_database_that_is_no_node_is_one_line_of_error(db, empty_db, tmp_path, module):
    target = db if module == "pgq_node" else empty_db
    ini = write_ini(
        tmp_path / "w.ini",
        "cascade_worker",
        {"db": target.dsn, "queue_name": Q, "loop_delay": 0.1, "exception_sleep": 0.2},
    )
    worker = Proc("engine.cascade.worker", [str(ini)], tmp_path / "w.log")
    # a daemon that was never up ends at its first failure (START reports that line)
    wait_for(lambda: not worker.alive(), timeout=30, what="the worker to exit")
    text = worker.text()
    assert text.count("failed at start:") == 1, text
    assert "Traceback" not in text, text
    if module == "pgq_node":
        assert "404 " in text, text  # get_consumer_state: unknown queue
    else:
        assert "has no pgq_node module" in text, text


def test_lost_position_is_refused(chain, tmp_path):
    root, branch, _leaf = chain
    insert_events(root, ["a"])
    tick(root)
    tick(root)
    # the node claims a position that is not the start of any batch it can get
    branch.api("select * from pgq_node.set_consumer_completed(%s, %s, 999)", (Q, branch.worker))
    worker = start_worker(branch, tmp_path)
    err = wait_for(lambda: branch.state()["cur_error"], timeout=30, what="error recorded")
    assert err.startswith("Lost position: batch "), err
    assert "dst has 999" in err
    assert worker.alive()
    assert "Traceback" not in worker.text()


class Producer(threading.Thread):
    """Inserts small transactions of events and ticks the root, until stopped."""

    def __init__(self, node: Node) -> None:
        super().__init__(daemon=True)
        self.node = node
        self.stopping = threading.Event()
        self.error: BaseException | None = None
        self.sent = 0

    def run(self) -> None:
        try:
            conn = psycopg2.connect(self.node.db.dsn)
            conn.autocommit = True
            with conn.cursor() as cur:
                while not self.stopping.is_set():
                    n = random.randint(1, 40)
                    cur.execute(
                        "select pgq.insert_event(%s, 't', 'p' || g) from generate_series(%s, %s) g",
                        (Q, self.sent, self.sent + n - 1),
                    )
                    self.sent += n
                    if random.random() < 0.5:
                        cur.execute("select pgq.ticker(%s)", (Q,))
                    time.sleep(random.uniform(0.001, 0.02))
            conn.close()
        except BaseException as e:
            self.error = e


KILLS = 30


def test_kill9_at_random_points_loses_and_doubles_nothing(chain, tmp_path):
    root, branch, _leaf = chain
    branch.db.execute("select pgq.register_consumer(%s, 'c1')", (Q,))
    producer = Producer(root)
    producer.start()
    kills = 0
    runs = 0
    points: Counter[str] = Counter()
    deadline = time.monotonic() + 240
    try:
        while kills < KILLS and time.monotonic() < deadline:
            runs += 1
            if runs % 3 == 0:
                # from outside, at any instant
                p = start_worker(branch, tmp_path, tag=f".{runs}")
                time.sleep(random.uniform(0.05, 0.6))
                p.kill()
                kills += 1
                continue
            env = {"QADMIN_TEST_KILL_AT": "*", "QADMIN_TEST_KILL_PROB": "0.08"}
            p = start_worker(branch, tmp_path, env=env, tag=f".{runs}")
            try:
                rc = p.wait(timeout=20)
            except Exception:
                p.kill()
                rc = -9
            assert rc == -signal.SIGKILL, p.text()[-3000:]
            assert "SIGKILL at" in p.text(), p.text()[-3000:]
            points.update(re.findall(r"SIGKILL at (\w+)", p.text()))
            kills += 1
    finally:
        producer.stopping.set()
        producer.join(10)
    assert producer.error is None, producer.error
    assert kills >= KILLS
    # the dangerous places were hit: after the target's commit, before the tick / finish
    assert len(points) >= 4, points
    tick(root)
    final = start_worker(branch, tmp_path, tag=".final")
    wait_caught_up([branch], root, timeout=120, procs=[final])
    root_events = queue_events(root)
    assert queue_events(branch) == root_events
    ids = [r[0] for r in queue_events(branch)]
    assert len(ids) == len(set(ids))
    start = branch.db.scalar(
        "select min(tick_id) from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue"
        " where q.queue_name = %s",
        (Q,),
    )
    wm = start + 1
    assert queue_ticks(branch, wm) == queue_ticks(root, wm)
    got = [d for _, d in read_all(branch, "c1") if d and d.startswith("p")]
    assert Counter(got) == Counter(f"p{i}" for i in range(producer.sent))


@pytest.mark.parametrize(
    "point", ["after_copy", "after_process", "after_dst_commit", "after_tick", "after_finish"]
)
def test_kill9_at_each_point_of_a_batch(cluster_factory, tmp_path, point):
    root = new_node(cluster_factory, "root")
    branch = new_node(cluster_factory, "branch")
    create_root(root)
    create_subscriber(branch, root, root)
    insert_events(root, [f"k{i}" for i in range(50)])
    tick(root)
    env = {"QADMIN_TEST_KILL_AT": point}
    dying = start_worker(branch, tmp_path, env=env, tag=".dying")
    assert dying.wait(timeout=60) == -signal.SIGKILL, dying.text()
    assert f"SIGKILL at {point}" in dying.text()
    worker = start_worker(branch, tmp_path)
    wait_caught_up([branch], root, procs=[worker])
    assert queue_events(branch) == queue_events(root)
    assert queue_ticks(branch, 1)[-1] == queue_ticks(root, 1)[-1]
    if point == "after_dst_commit":
        assert "creating the missing local tick" in worker.text()
    if point in ("after_dst_commit", "after_tick"):
        assert "was applied already" in worker.text()


def test_provider_change_moves_the_worker(chain, tmp_path):
    """change-provider in SQL: the leaf's worker reconnects to its new provider, the root."""
    root, branch, leaf = chain
    procs = [
        start_worker(branch, tmp_path),
        start_worker(leaf, tmp_path, module="tests.db.test_cascade_worker"),
    ]
    insert_events(root, ["a1"])
    tick(root)
    wait_caught_up([branch, leaf], root, procs=procs)
    leaf.api("select * from pgq_node.set_consumer_paused(%s, %s, true)", (Q, leaf.worker))
    wait_for(lambda: leaf.state()["uptodate"], timeout=30, what="the leaf's worker paused")
    pos = leaf.completed()
    root.api(
        "select * from pgq_node.register_subscriber(%s, %s, %s, %s)",
        (Q, leaf.name, leaf.worker, pos),
    )
    leaf.api(
        "select * from pgq_node.change_consumer_provider(%s, %s, %s)", (Q, leaf.worker, root.name)
    )
    leaf.api("select * from pgq_node.set_consumer_paused(%s, %s, false)", (Q, leaf.worker))
    branch.api("select * from pgq_node.unregister_subscriber(%s, %s)", (Q, leaf.name))
    leaf.provider = root
    insert_events(root, ["b1", "b2"])
    tick(root)
    wait_caught_up([leaf], root, procs=procs)
    assert leaf.state()["provider_node"] == "root"
    seen = [r[0] for r in leaf.db.execute("select ev_data from seen where ev_type = 't'")]
    assert Counter(seen) == Counter(["a1", "b1", "b2"])
    assert "provider of cq is now root" in procs[1].text()


def test_merge_leaf_copies_into_its_combined_root(cluster_factory, tmp_path):
    """A part queue's leaf whose combined queue is root on its node: filtered copy + tick-id."""
    part_root = new_node(cluster_factory, "p_root", queue="part")
    merge = new_node(cluster_factory, "m_part", queue="part")
    comb = Node(merge.cluster, "m_comb", queue="comb")
    create_root(part_root)
    create_root(comb)
    create_subscriber(merge, part_root, part_root, "leaf", combined="comb")
    assert merge.info()["combined_type"] == "root"
    worker = start_worker(merge, tmp_path)
    datas = [f"m{i}" for i in range(300)]
    insert_events(part_root, datas[:100])
    tick(part_root)
    insert_events(part_root, datas[100:])
    tick(part_root)
    top = wait_caught_up([merge], part_root, procs=[worker])
    rows = queue_events(comb)
    copied = [r for r in rows if r[2] == "t"]
    assert Counter(r[3] for r in copied) == Counter(datas)
    # with the combined queue's own ids, extras kept; no cascade event of the part queue
    part_ids = {r[0]: r[3] for r in queue_events(part_root) if r[2] == "t"}
    assert {r[3] for r in copied} == set(part_ids.values())
    assert all(r[4] == "x1" and r[6] == "x3" for r in copied)
    assert not [r for r in rows if r[2] == "pgq.location-info" and r[4] == "part"]
    ticks = [(int(r[3]), r[4]) for r in rows if r[2] == "pgq.tick-id"]
    assert ticks and all(q == "part" for _, q in ticks)
    assert max(t for t, _ in ticks) == top
    # the part queue's cascade events are still applied on the merge node
    assert "m_part" in merge.locations() and "p_root" in merge.locations()


def test_merge_leaf_waits_behind_its_combined_branch(cluster_factory, tmp_path):
    """part root P; on R a merge leaf into the combined root; on M a merge leaf whose
    combined queue is a branch of R's: M's part worker only follows (wait_behind)."""
    p_root = new_node(cluster_factory, "p_root", queue="part")
    r_part = new_node(cluster_factory, "r_part", queue="part")
    r_comb = Node(r_part.cluster, "r_comb", queue="comb")
    m_part = new_node(cluster_factory, "m_part", queue="part")
    m_comb = Node(m_part.cluster, "m_comb", queue="comb")
    create_root(p_root)
    create_root(r_comb)
    create_subscriber(r_part, p_root, p_root, "leaf", combined="comb")
    create_subscriber(m_comb, r_comb, r_comb)
    create_subscriber(m_part, p_root, p_root, "leaf", combined="comb")
    assert m_part.info()["combined_type"] == "branch"
    procs = [start_worker(n, tmp_path) for n in (r_part, m_comb, m_part)]
    datas = [f"w{i}" for i in range(200)]
    insert_events(p_root, datas[:50])
    tick(p_root)
    insert_events(p_root, datas[50:])
    tick(p_root)
    top = p_root.last_tick()
    wait_caught_up([r_part], p_root, procs=procs)

    def comb_copied() -> bool:
        tick(r_comb)  # the combined root's ticks carry the part's events and tick-ids
        return m_comb.completed() >= r_comb.last_tick() - 1 and caught_up(m_part, top)

    wait_for(comb_copied, timeout=60, interval=0.3, what="M following through its branch")
    # the data came to M once, through the combined queue
    got = [r[3] for r in queue_events(m_comb) if r[2] == "t"]
    assert Counter(got) == Counter(datas)
    # M's part worker never copied anything itself, yet its position is the part's top
    assert m_part.completed() == top
    for p in procs:
        assert p.alive(), p.text()
        assert "Traceback" not in p.text(), p.text()


def test_slow_path_subclass_on_a_branch(cluster_factory, tmp_path):
    """A worker that sees every event (Londiste's way) copies through copy_event too."""
    root = new_node(cluster_factory, "root")
    branch = new_node(cluster_factory, "branch")
    create_root(root)
    create_subscriber(branch, root, root)
    branch.db.execute("create table seen (ev_id bigint, ev_type text, ev_data text)")
    worker = start_worker(branch, tmp_path, module="tests.db.test_cascade_worker")
    datas = [f"s{i}" for i in range(1234)] + ["a\tb\\c\nd"]
    insert_events(root, datas)
    tick(root)
    insert_events(root, ["last"])
    tick(root)
    wait_caught_up([branch], root, procs=[worker])
    assert queue_events(branch) == queue_events(root)
    seen = [r[0] for r in branch.db.execute("select ev_data from seen where ev_type = 't'")]
    assert Counter(seen) == Counter([*datas, "last"])


if __name__ == "__main__":
    sys.exit(RecordingWorker(sys.argv[1:]).run())
