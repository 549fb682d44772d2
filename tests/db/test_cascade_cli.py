"""setadm's door, ``python -m engine.cascade CONFIG.ini COMMAND``, run as a subprocess.

One ini file per node, as setadm users write them ([cascade_admin], db, queue_name,
node_name, public_node_location, initial_provider_location); the same file runs the
node's worker (``... CONFIG.ini worker``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest

from engine.pgcluster import Cluster
from tests.db.daemon_util import PROJECT_ROOT, Proc, daemon_env, wait_for, write_ini
from tests.db.test_cascade_admin import QUEUE, prepare


def run(ini: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cascade", str(ini), *args],
        capture_output=True,
        text=True,
        cwd=str(PROJECT_ROOT),
        env=daemon_env(),
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def query(cluster: Cluster, q: str, args: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(cluster.dsn("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(q, args)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


@pytest.fixture
def nodes(cluster_factory: Callable[..., Cluster], tmp_path: Path) -> dict[str, tuple]:
    """Three clusters r, b, l, each with its ini file (provider: the one before)."""
    out: dict[str, tuple] = {}
    previous = None
    for name in ("r", "b", "l"):
        cluster = cluster_factory(install_modules=False)
        prepare(cluster)
        values = {
            "job_name": name,
            "db": cluster.dsn("postgres"),
            "queue_name": QUEUE,
            "node_name": name,
            "public_node_location": cluster.dsn("postgres"),
            "initial_provider_location": previous,
            "loop_delay": 0.1,
            "pidfile": str(tmp_path / f"{name}.pid"),
        }
        out[name] = (cluster, write_ini(tmp_path / f"{name}.ini", "cascade_admin", values))
        previous = cluster.dsn("postgres")
    return out


def test_create_and_look(nodes):
    (_r, r_ini), (b, b_ini), (leaf, l_ini) = nodes["r"], nodes["b"], nodes["l"]
    run(r_ini, "create-root")
    run(b_ini, "create-branch")
    made = run(l_ini, "create-leaf")
    assert 'node "l" created as leaf of queue "cq", provider "b"' in made.stderr
    assert query(leaf, "select node_type, node_name from pgq_node.node_info") == [("leaf", "l")]
    # again: says so, stops, succeeds
    again = run(b_ini, "create-branch")
    assert 'node "b" is already initialised as branch' in again.stderr

    members = run(r_ini, "members").stdout.splitlines()
    assert members[0] == "Member info on r@cq:"
    assert members[1].split() == ["node_name", "dead", "node_location"]
    assert [ln.split()[:2] for ln in members[3:]] == [
        ["b", "False"],
        ["l", "False"],
        ["r", "False"],
    ]

    status = run(l_ini, "status").stdout.splitlines()
    assert status[0] == "Queue: cq   Local node: l"
    titles = [ln for ln in status if ln.strip().endswith(")")]
    assert titles == ["r (root)", "    b (branch)", "        l (leaf)"]
    assert any(ln.strip().startswith("Lag: ") and "Tick: " in ln for ln in status)
    compact = run(r_ini, "status", "--compact").stdout.splitlines()
    assert len([ln for ln in compact if "Lag:" in ln]) == 3

    node_status = run(b_ini, "node-status").stdout.splitlines()
    assert node_status[:3] == ["b (branch)", "    Provider: r", "    Subscribers: l"]
    info = run(b_ini, "node-info").stdout.splitlines()
    assert info[0] == "Node: b  Type: branch  Queue: cq"
    assert info[2] == "Provider: r"
    assert any(ln.startswith("  Public  : ") and f"port={b.port}" in ln for ln in info)


def test_tags_drop_and_errors(nodes):
    (r, r_ini), (b, b_ini), (_leaf, l_ini) = nodes["r"], nodes["b"], nodes["l"]
    run(r_ini, "create-root")
    run(b_ini, "create-branch")
    run(l_ini, "create-leaf", "--provider", r.dsn("postgres"))
    run(r_ini, "tag-dead", "l")
    assert query(r, "select dead from pgq_node.node_location where node_name = 'l'") == [(True,)]
    status = run(r_ini, "status").stdout
    assert "    l (dead)" in status.splitlines()
    run(r_ini, "tag-alive", "l")
    assert query(r, "select dead from pgq_node.node_location where node_name = 'l'") == [(False,)]
    run(r_ini, "drop-node", "l")
    assert query(r, "select count(*) from pgq_node.node_location where node_name = 'l'") == [(0,)]

    # errors: one line, a non-zero status, no traceback
    refused = run(r_ini, "drop-node", "r", check=False)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        'python -m engine.cascade: error: node "r" still has subscribers: b',
        "HINT:  move them to another provider first (change provider)",
    ]
    b.stop(mode="immediate")
    down = run(r_ini, "pause", "--node", "b", check=False)
    assert down.returncode == 1
    assert len(down.stderr.splitlines()) == 1, down.stderr
    line = down.stderr.strip()
    assert line.startswith('python -m engine.cascade: error: node "b" is down: ')
    usage = run(r_ini, "rename-node", "b", check=False)
    assert usage.returncode == 2 and "usage: rename-node OLD NEW" in usage.stderr
    unknown = run(r_ini, "frobnicate", check=False)
    assert unknown.returncode == 2 and "unknown command 'frobnicate'" in unknown.stderr
    bad = r_ini.with_name("bad.ini")
    bad.write_text("[other]\nqueue_name = x\n")
    missing = run(bad, "status", check=False)
    assert missing.returncode == 2
    assert "no [cascade_admin] or [setadm] section" in missing.stderr


def test_worker_pause_resume_and_takeover(nodes, tmp_path):
    (r, r_ini), (b, b_ini) = nodes["r"], nodes["b"]
    run(r_ini, "create-root")
    run(b_ini, "create-branch")
    for cluster in (r, b):  # every pgq.ticker() call ticks
        for key in ("ticker_max_lag", "ticker_idle_period"):
            query(cluster, "select pgq.set_queue_config(%s, %s, '0')", (QUEUE, key))
    workers = [
        Proc("engine.cascade", [str(ini), "worker"], tmp_path / f"{name}.log")
        for name, ini in (("r", r_ini), ("b", b_ini))
    ]
    try:
        run(b_ini, "pause")
        assert query(b, "select paused, uptodate from pgq_node.local_state") == [(True, True)]
        run(r_ini, "resume", "--node", "b")
        assert query(b, "select paused, uptodate from pgq_node.local_state") == [(False, True)]
        query(r, "select pgq.insert_event(%s, 'e', 'x')", (QUEUE,))
        query(r, "select pgq.ticker(%s)", (QUEUE,))
        run(b_ini, "wait-root", "--timeout", "60")
        top = query(r, "select max(tick_id) from pgq.tick")[0][0]
        assert query(b, "select last_tick_id from pgq_node.local_state")[0][0] >= top

        def ticker() -> None:
            for cluster in (r, b):
                query(
                    cluster,
                    "select pgq.ticker(queue_name) from pgq.queue where not queue_external_ticker",
                )

        ticker()
        done = run(b_ini, "takeover", "r")
        assert 'node "b" is the root' in done.stderr
        assert query(b, "select node_type from pgq_node.node_info") == [("root",)]
        assert query(r, "select node_type from pgq_node.node_info") == [("branch",)]
        ticker()
        wait_for(
            lambda: (
                query(r, "select last_tick_id from pgq_node.local_state")[0][0]
                >= query(b, "select max(tick_id) from pgq.tick")[0][0]
            ),
            timeout=60,
            what="the old root reading from the new one",
        )
        for proc in workers:
            assert proc.alive(), proc.text()[-2000:]
    finally:
        for proc in workers:
            proc.stop()


def test_takeover_dead_root_and_resurrect(nodes, tmp_path):
    (r, r_ini), (b, b_ini) = nodes["r"], nodes["b"]
    run(r_ini, "create-root")
    run(b_ini, "create-branch")
    for cluster in (r, b):
        for key in ("ticker_max_lag", "ticker_idle_period"):
            query(cluster, "select pgq.set_queue_config(%s, %s, '0')", (QUEUE, key))
    workers = [
        Proc("engine.cascade", [str(ini), "worker"], tmp_path / f"{name}.log")
        for name, ini in (("r", r_ini), ("b", b_ini))
    ]
    try:
        query(r, "select pgq.insert_event(%s, 'e', 'kept')", (QUEUE,))
        query(r, "select pgq.ticker(%s)", (QUEUE,))
        run(b_ini, "wait-root", "--timeout", "60")
        run(b_ini, "pause")
        query(r, "select pgq.insert_event(%s, 'e', 'lost')", (QUEUE,))
        query(r, "select pgq.ticker(%s)", (QUEUE,))
        query(r, "checkpoint")
        r.kill()
        done = run(b_ini, "takeover", "r", "--dead-root")
        assert 'node "b" is the root' in done.stderr
        assert query(b, "select node_type from pgq_node.node_info") == [("root",)]
        assert query(b, "select dead from pgq_node.node_location where node_name = 'r'") == [
            (True,)
        ]
        r.start()
        dump = tmp_path / "lost.json"
        back = run(r_ini, "resurrect", "--dump-file", str(dump))
        assert back.stdout.strip() == f"lost events: {dump}"
        lost = json.loads(dump.read_text())
        assert [e["ev_data"] for e in lost if e["ev_type"] == "e"] == ["lost"]
        assert query(r, "select node_type from pgq_node.node_info") == [("branch",)]
        again = run(r_ini, "resurrect", "--dump-file", str(dump), check=False)
        assert again.returncode == 1 and "exists: move it away first" in again.stderr
        run(r_ini, "resume")
        query(b, "select pgq.insert_event(%s, 'e', 'after')", (QUEUE,))
        query(b, "select pgq.ticker(%s)", (QUEUE,))
        run(r_ini, "wait-provider", "--timeout", "60")
        for proc in workers:
            assert proc.alive(), proc.text()[-2000:]
    finally:
        for proc in workers:
            proc.stop()
