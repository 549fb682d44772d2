"""The cascade worker wakes at once on a change of its state (pgq_node_state NOTIFY).

Pause, resume and switchover wait for the workers to confirm (local_state.uptodate);
a worker LISTENs on its node's database and on its provider's, so it confirms at
once whatever its loop_delay: these tests run the workers with the default
loop_delay and with one so long that only a notification can explain a quick answer.
Workers are real processes; each node is a cluster of its own.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from engine.cascade.admin import CascadeAdmin
from engine.cascade.worker import STATE_CHANNEL
from tests.db.daemon_util import Proc, wait_for, write_ini
from tests.db.test_cascade_admin import (  # noqa: F401  (make_cascade is a fixture)
    QUEUE,
    Cascade,
    Ticker,
    build_tree,
    make_cascade,
)

THREE = {"r": ("root", None), "b1": ("branch", "r"), "b2": ("branch", "r")}
#: a loop_delay no confirmation may wait for (the root would sleep 9 x this)
LONG_DELAY = 120.0
#: a confirmation comes within this; generous for a loaded machine, far below the delays
QUICK_S = 4.0


def start_workers(c: Cascade, tmp_path: Path, loop_delay: float | None) -> None:
    for name in c.clusters:
        values: dict[str, object] = {
            "job_name": name,
            "db": c.location(name),
            "queue_name": QUEUE,
            "pidfile": str(tmp_path / f"{name}.pid"),
        }
        if loop_delay is not None:  # None: the worker's default
            values["loop_delay"] = loop_delay
        ini = write_ini(tmp_path / f"{name}.ini", "cascade_worker", values)
        c.workers[name] = Proc("engine.cascade.worker", [str(ini)], tmp_path / f"{name}.log")


@pytest.fixture
def cascade(make_cascade, tmp_path):  # noqa: F811
    """Three idle nodes with workers (start them with start_workers) and a ticker."""
    c = make_cascade(*THREE)
    build_tree(c, THREE)
    ticker = Ticker(c)
    ticker.start()
    yield c
    ticker.stop()
    for proc in c.workers.values():
        proc.stop()


def settle(c: Cascade) -> CascadeAdmin:
    """Wait until every worker runs its loop (has confirmed its state once)."""
    admin = c.admin("r")

    def all_up() -> bool:
        for proc in c.workers.values():
            assert proc.alive(), proc.text()[-3000:]
        rows = [
            c.query(n, "select bool_and(uptodate) from pgq_node.local_state")[0][0]
            for n in c.clusters
        ]
        return all(rows)

    wait_for(all_up, timeout=90, what="workers up")
    admin.wait_sync(timeout=90)
    # past the start: the first rounds are done and every worker sleeps
    time.sleep(1.5)
    return admin


def timed(step) -> float:
    start = time.monotonic()
    step()
    return time.monotonic() - start


def pause_resume_times(admin: CascadeAdmin, node: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        times.append(timed(lambda: admin.pause(node)))
        time.sleep(0.3)  # the worker is asleep again
        times.append(timed(lambda: admin.resume(node)))
        time.sleep(0.3)
    return times


@pytest.mark.parametrize("loop_delay", [None, LONG_DELAY], ids=["default", "long"])
@pytest.mark.parametrize("node", ["r", "b1"], ids=["root", "branch"])
def test_pause_and_resume_are_confirmed_at_once(cascade, tmp_path, loop_delay, node):
    start_workers(cascade, tmp_path, loop_delay)
    admin = settle(cascade)
    times = pause_resume_times(admin, node, 3)
    assert max(times) < QUICK_S, times
    # the default: the root would sleep 9 x 1 s between looks, the branch 1 s
    if loop_delay is None:
        assert sorted(times)[len(times) // 2] < 0.9, times


def test_switchover_and_back_with_long_loop_delay(cascade, tmp_path):
    """Every wait of a switchover (confirmations, the last tick reaching the new root) wakes."""
    start_workers(cascade, tmp_path, LONG_DELAY)
    settle(cascade)
    cascade.insert("r", ["1", "2"])
    took = timed(lambda: cascade.admin("b1").switchover("b1"))
    assert took < 3 * QUICK_S, (took, cascade.lines)
    assert cascade.query("b1", "select node_type from pgq_node.node_info") == [("root",)]
    assert cascade.query(
        "r",
        "select node_type, provider_node from pgq_node.node_info n"
        " join pgq_node.local_state s using (queue_name)",
    ) == [("branch", "b1")]
    took = timed(lambda: cascade.admin("r").switchover("r"))
    assert took < 3 * QUICK_S, (took, cascade.lines)
    assert cascade.query("r", "select node_type from pgq_node.node_info") == [("root",)]
    # the moved worker copies from its new provider without waiting for its loop_delay
    cascade.insert("r", ["3"])
    cascade.wait_caught_up(["b1", "b2"], "r", timeout=3 * QUICK_S)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_paused_worker_sleeps_through_provider_ticks(cascade, tmp_path):
    """Ticks of the provider are no news to a paused worker: it does not spin on them."""
    start_workers(cascade, tmp_path, LONG_DELAY)
    admin = settle(cascade)
    admin.pause("b1")
    proc = cascade.workers["b1"]
    before = _cpu_seconds(proc.pid)
    for i in range(20):  # the ticker ticks every 0.1 s: events make the ticks real
        cascade.insert("r", [str(i)])
        time.sleep(0.1)
    used = _cpu_seconds(proc.pid) - before
    assert used < 0.5, used
    admin.resume("b1")
    cascade.wait_caught_up(["b1"], "r", timeout=3 * QUICK_S)


def test_a_notify_on_the_channel_wakes_a_root_worker(cascade, tmp_path):
    """Any session's NOTIFY on the channel (the original's admin sends none) wakes the root."""
    start_workers(cascade, tmp_path, LONG_DELAY)
    settle(cascade)
    cascade.query("r", "update pgq_node.local_state set uptodate = false")
    start = time.monotonic()
    cascade.query("r", "select pg_notify(%s, %s)", (STATE_CHANNEL, QUEUE))
    wait_for(
        lambda: cascade.query("r", "select uptodate from pgq_node.local_state") == [(True,)],
        timeout=3 * QUICK_S,
        what="the root worker confirming",
    )
    assert time.monotonic() - start < QUICK_S


def test_pgq_node_functions_that_change_a_worker_notify(make_cascade):  # noqa: F811
    """set_consumer_paused and change_consumer_provider NOTIFY the channel, at commit, on change."""
    c = make_cascade("r")
    build_tree(c, {"r": ("root", None)})
    listener = c.conn("r")
    try:
        with listener.cursor() as cur:
            cur.execute(f"listen {STATE_CHANNEL}")

        def heard() -> list[str]:
            listener.poll()
            got = [n.payload for n in listener.notifies if n.channel == STATE_CHANNEL]
            del listener.notifies[:]
            return got

        calls = [
            ("select * from pgq_node.set_consumer_paused(%s, 'r', true)", [QUEUE]),
            ("select * from pgq_node.set_consumer_paused(%s, 'r', true)", []),  # no change
            ("select * from pgq_node.set_consumer_paused(%s, 'r', false)", [QUEUE]),
            ("select * from pgq_node.change_consumer_provider(%s, 'r', 'r')", [QUEUE]),
            ("select * from pgq_node.change_consumer_provider(%s, 'r', 'nobody')", []),  # 404
        ]
        for query, expected in calls:
            c.query("r", query, (QUEUE,))
            time.sleep(0.1)
            assert heard() == expected, query
        # inside a transaction: at its commit, not before
        conn = c.conn("r")
        try:
            conn.autocommit = False
            with conn.cursor() as cur:
                cur.execute("select * from pgq_node.set_consumer_paused(%s, 'r', true)", (QUEUE,))
                time.sleep(0.1)
                assert heard() == []
            conn.commit()
        finally:
            conn.close()
        time.sleep(0.1)
        assert heard() == [QUEUE]
    finally:
        listener.close()
