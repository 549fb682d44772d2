#!/usr/bin/env python3
"""Cascade benchmark: root -> branch copy rate of the worker, and insert -> branch latency.

Throughput: a root and a branch node (databases in two clusters) with --events
events on the root in --batches batches (one tick each).  The branch's worker is
started paused; once it is running it is resumed and the time until the branch
has applied the root's last tick (events copied, ticks re-created, batches
finished) gives events/s.  Side by side:

- ours: python -m engine.cascade.worker on our SQL (pgq, pgq_node);
- original: Skytools' own pgq.cascade.CascadedWorker (python3-pgq, run by the
  system's /usr/bin/python3) on the original extensions, with the two lines a
  worker needs besides (data events are only copied; the target connection in
  replica mode, as Londiste's does); shown only if python3-pgq is installed.

Goal: >= 100k events/s for ours.  A second run with many small batches
(--small-events in --small-batches) shows the cost per batch.

Latency (ours only): one event committed at a time on the root (random gaps,
mean 1/--rate s), queue notify on, our ticker running (the commit's NOTIFY makes
it tick at once), the branch's worker LISTENing on the root, and a plain
consumer of the branch's queue LISTENing there (the worker's tick NOTIFYs it):
commit -> event in a batch on the branch.  Goal p50 <= 20 ms.

Usage: python bench/bench_cascade.py [--events 100000] [--batches 10]
       [--small-events 20000] [--small-batches 1000] [--latency-events 200] [--rate 20]
       [--no-original]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402

from engine.install import install  # noqa: E402
from engine.pgcluster import create_cluster  # noqa: E402

Q = "bq"
GOAL_RATE = 100_000
GOAL_P50_MS = 20.0
SYSTEM_PYTHON = "/usr/bin/python3"

# The original's worker: Skytools' CascadedWorker plus what it needs to run alone on a
# branch: data events are only copied (its base class refuses them; Londiste applies
# them), and the target connection in replica mode (Londiste's connection_hook).
ORIGINAL_WORKER = """
import sys
from pgq.cascade.worker import CascadedWorker

class Worker(CascadedWorker):
    def connection_hook(self, dbname, db):
        if dbname == "db":
            curs = db.cursor()
            curs.execute("set session_replication_role = 'replica'")
            db.commit()

    def process_remote_event(self, src_curs, dst_curs, ev):
        if ev.ev_type[:4] == "pgq.":
            super().process_remote_event(src_curs, dst_curs, ev)

if __name__ == "__main__":
    Worker("cascade_worker", "db", sys.argv[1:]).start()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _ini(path: Path, section: str, values: dict[str, Any]) -> Path:
    body = "\n".join(f"{k} = {v}" for k, v in values.items())
    path.write_text(f"[{section}]\n{body}\n")
    return path


def _spawn(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with open(log, "ab") as f:
        return subprocess.Popen(
            argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env or _env()
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(2)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait(cond: Any, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{what}: the worker exited with {proc.returncode}")
        time.sleep(0.005)
    raise SystemExit(f"timed out waiting for {what}")


class Node:
    def __init__(self, cluster: Any, dbname: str, name: str, original: bool) -> None:
        self.cluster, self.name, self.dsn = cluster, name, cluster.dsn(dbname)
        self.worker = f"{name}_worker"
        admin = psycopg2.connect(cluster.dsn("postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'create database "{dbname}"')
        admin.close()
        self.conn = psycopg2.connect(self.dsn)
        self.conn.autocommit = True
        if original:
            self.run("create extension pgq")
            self.run("create extension pgq_node")
        else:
            install(self.conn, ["pgq_node"])
            self.conn.autocommit = True

    def run(self, query: str, args: Any = None) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else []

    def api(self, query: str, args: Any = None) -> tuple:
        row = self.run(query, args)[0]
        if row[0] >= 300:
            raise SystemExit(f"{self.name}: {row}")
        return row

    def completed(self) -> int:
        return self.run(
            "select completed_tick from pgq_node.get_consumer_state(%s, %s)", (Q, self.worker)
        )[0][0]


def make_pair(c1: Any, c2: Any, label: str, original: bool) -> tuple[Node, Node]:
    """A root and a branch, set up as create-root / create-branch do."""
    root = Node(c1, f"root_{label}", "root", original)
    branch = Node(c2, f"branch_{label}", "branch", original)
    reg = "select * from pgq_node.register_location(%s, %s, %s, false)"
    root.api(reg, (Q, root.name, root.dsn))
    root.api(
        "select * from pgq_node.create_node(%s, 'root', %s, %s, null, null, null)",
        (Q, root.name, root.worker),
    )
    root.api(reg, (Q, branch.name, branch.dsn))
    gwm = root.run(
        "select global_watermark from pgq_node.register_subscriber(%s, %s, %s, null)",
        (Q, branch.name, branch.worker),
    )[0][0]
    branch.api(reg, (Q, root.name, root.dsn))
    branch.api(reg, (Q, branch.name, branch.dsn))
    branch.api(
        "select * from pgq_node.create_node(%s, 'branch', %s, %s, %s, %s, null)",
        (Q, branch.name, branch.worker, root.name, gwm),
    )
    return root, branch


def prefill(root: Node, events: int, batches: int) -> int:
    per = max(1, events // batches)
    done = 0
    while done < events:
        n = min(per, events - done)
        root.run(
            "select pgq.insert_event(%s, 'I:id', 'id=' || g || '&name=row%%20' || g,"
            " 'public.t', null, null, null) from generate_series(%s, %s) g",
            (Q, done, done + n - 1),
        )
        root.run("select pgq.force_tick(%s)", (Q,))
        root.run("select pgq.ticker(%s)", (Q,))
        done += n
    return root.run("select last_tick_id from pgq.get_queue_info(%s)", (Q,))[0][0]


def throughput(
    work: Path, c1: Any, c2: Any, label: str, original: bool, events: int, batches: int
) -> float:
    root, branch = make_pair(c1, c2, label, original)
    top = prefill(root, events, batches)
    branch.api("select * from pgq_node.set_consumer_paused(%s, %s, true)", (Q, branch.worker))
    ini = _ini(
        work / f"{label}.ini",
        "cascade_worker",
        {
            "job_name": branch.worker,
            "db": branch.dsn,
            "queue_name": Q,
            "loop_delay": 0.02,
            "logfile": work / f"{label}.log",
            "pidfile": work / f"{label}.pid",
        },
    )
    if original:
        script = work / "original_worker.py"
        script.write_text(ORIGINAL_WORKER)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        proc = _spawn([SYSTEM_PYTHON, str(script), str(ini)], work / f"{label}.out", env)
    else:
        proc = _spawn(
            [sys.executable, "-m", "engine.cascade.worker", str(ini)], work / f"{label}.out"
        )
    try:
        _wait(
            lambda: branch.run(
                "select uptodate from pgq_node.get_consumer_state(%s, %s)", (Q, branch.worker)
            )[0][0],
            60,
            f"{label}: worker running",
            proc,
        )
        t0 = time.monotonic()
        branch.api("select * from pgq_node.set_consumer_paused(%s, %s, false)", (Q, branch.worker))
        _wait(lambda: branch.completed() >= top, 600, f"{label}: caught up", proc)
        elapsed = time.monotonic() - t0
        copied = branch.run("select count(*) from pgq.event_template where ev_type = 'I:id'")[0][0]
        if copied != events:
            raise SystemExit(f"{label}: {copied} events on the branch, expected {events}")
        return events / elapsed
    finally:
        _stop(proc)


def latency(work: Path, c1: Any, c2: Any, n: int, rate: float) -> list[float]:
    root, branch = make_pair(c1, c2, "lat", False)
    root.run("select pgq.set_queue_config(%s, 'notify', 'true')", (Q,))
    root.run("select pgq.set_queue_config(%s, 'ticker_max_count', '1')", (Q,))
    branch.run("select pgq.register_consumer(%s, 'c1')", (Q,))
    base = f"host={c1.host} port={c1.port} user={c1.user}"
    tk_ini = _ini(
        work / "lat-ticker.ini",
        "pgqd",
        {"base_connstr": base, "database_list": "root_lat", "ticker_period": 1},
    )
    tk = _spawn([sys.executable, "-m", "engine.ticker", str(tk_ini)], work / "lat-ticker.log")
    w_ini = _ini(
        work / "lat-worker.ini",
        "cascade_worker",
        {"job_name": branch.worker, "db": branch.dsn, "queue_name": Q, "pidfile": work / "lat.pid"},
    )
    worker = _spawn(
        [sys.executable, "-m", "engine.cascade.worker", str(w_ini)], work / "lat-worker.log"
    )
    got: dict[str, float] = {}
    stop = threading.Event()

    def consume() -> None:
        conn = psycopg2.connect(branch.dsn)
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("listen pgq_tick")
        while not stop.is_set():
            cur.execute("begin")
            cur.execute("select pgq.next_batch(%s, 'c1')", (Q,))
            batch = cur.fetchone()[0]
            if batch is None:
                cur.execute("commit")
                select.select([conn], [], [], 0.5)
                conn.poll()
                del conn.notifies[:]
                continue
            cur.execute("select ev_data from pgq.get_batch_events(%s)", (batch,))
            now = time.time()
            for (data,) in cur.fetchall():
                got.setdefault(data, now)
            cur.execute("select pgq.finish_batch(%s)", (batch,))
            cur.execute("commit")
        conn.close()

    reader = threading.Thread(target=consume, daemon=True)
    try:
        reader.start()
        time.sleep(2.0)  # ticker, worker and reader connected and listening
        sent: dict[str, float] = {}
        for i in range(n):
            root.run("select pgq.insert_event(%s, 't', %s)", (Q, f"L{i}"))
            sent[f"L{i}"] = time.time()
            time.sleep(random.expovariate(rate))
        _wait(lambda: all(k in got for k in sent), 60, "latency events on the branch", worker)
        return [(got[k] - t) * 1000 for k, t in sent.items()]
    finally:
        stop.set()
        reader.join(5)
        _stop(worker)
        _stop(tk)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--latency-events", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--small-events", type=int, default=20_000)
    ap.add_argument("--small-batches", type=int, default=1000)
    ap.add_argument("--no-original", action="store_true")
    args = ap.parse_args()
    have_original = (
        not args.no_original
        and os.path.exists(SYSTEM_PYTHON)
        and subprocess.run(
            [SYSTEM_PYTHON, "-c", "import pgq.cascade.worker"], capture_output=True
        ).returncode
        == 0
    )
    c1, c2 = create_cluster(), create_cluster()
    work = Path(tempfile.mkdtemp(prefix="bench-cascade-"))
    try:
        runs = [(args.events, args.batches, f" (goal >= {GOAL_RATE})")]
        if args.small_batches:
            runs.append((args.small_events, args.small_batches, " (per-batch cost)"))
        for i, (events, batches, note) in enumerate(runs):
            print(f"root -> branch copy, {events} events in {batches} batches:")
            ours = throughput(work, c1, c2, f"ours{i}", False, events, batches)
            print(f"  ours      {ours:10.0f} events/s  {note}")
            if have_original:
                orig = throughput(work, c1, c2, f"original{i}", True, events, batches)
                print(f"  original  {orig:10.0f} events/s   (Skytools pgq.cascade.CascadedWorker)")
                print(f"  ratio     {ours / orig:10.1f} x")
            elif args.no_original:
                print("  original  not run (--no-original)")
            else:
                print("  original  not run (no python3-pgq: apt-get install python3-pgq)")
        if args.latency_events:
            lat = latency(work, c1, c2, args.latency_events, args.rate)
            print(
                f"root commit -> branch consumer, {len(lat)} events, notifications on:"
                f" p50 {statistics.median(lat):.1f} ms, p99 {pct(lat, 99):.1f} ms,"
                f" max {max(lat):.1f} ms   (goal p50 <= {GOAL_P50_MS:.0f} ms)"
            )
    finally:
        for c in (c1, c2):
            with contextlib.suppress(Exception):
                c.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
