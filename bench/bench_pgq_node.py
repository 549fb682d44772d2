#!/usr/bin/env python3
"""pgq_node benchmark: a cascade worker's per-batch bookkeeping, ours beside the original.

Each figure is calls per second of a server-side loop (no client round trips, so
it is the functions' own cost; set_consumer_completed: one transaction each), on a
root node with 10 subscribers and 10 local consumers, measured in a database with
our pgq_node and, when the distribution's package (postgresql-NN-pgq-node) is
installed, in one with the original extension in the same throwaway cluster:

    get_consumer_state      read at the start of every worker loop
    get_node_info           read by the worker and every status command
    get_worker_state        the worker's state with watermarks
    set_subscriber_watermark  a subscriber's periodic report, on its provider
    set_consumer_completed  written in every batch's transaction (one per round trip)

Usage: python bench/bench_pgq_node.py [-n 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.install import install
from engine.pgcluster import create_cluster

Q = "bench_cq"
SETUP = [
    "select pgq_node.register_location(%(q)s, 'root', 'dbname=root', false)",
    "select pgq_node.create_node(%(q)s, 'root', 'root', 'root_worker', null, null, null)",
    "select pgq_node.register_location(%(q)s, 'sub' || i, 'dbname=sub' || i, false)"
    " from generate_series(1, 10) i",
    "select pgq_node.register_subscriber(%(q)s, 'sub' || i, 'sub_worker' || i, null)"
    " from generate_series(1, 10) i",
    "select pgq_node.register_consumer(%(q)s, 'c' || i, 'root', 1) from generate_series(1, 10) i",
    "select pgq.register_consumer(%(q)s, 'c' || i) from generate_series(1, 10) i",
    "update pgq.queue set queue_ticker_max_lag = '0', queue_ticker_idle_period = '0'",
    "select pgq.ticker(%(q)s)",
    "select pgq.ticker(%(q)s)",
]

CALLS = [
    ("get_consumer_state", "select count((pgq_node.get_consumer_state(%(q)s, 'c1')).ret_code)"),
    ("get_node_info", "select count((pgq_node.get_node_info(%(q)s)).ret_code)"),
    ("get_worker_state", "select count((pgq_node.get_worker_state(%(q)s)).ret_code)"),
    (
        "set_subscriber_watermark",
        "select count((pgq_node.set_subscriber_watermark(%(q)s, 'sub1', 3)).ret_code)",
    ),
]


def connect(dsn: str):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def setup(dsn: str) -> None:
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            for stmt in SETUP:
                cur.execute(stmt, {"q": Q})
    finally:
        conn.close()


def rate(dsn: str, stmt: str, n: int) -> float:
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            sql = stmt + " from generate_series(1, %(n)s)"
            t0 = time.perf_counter()
            cur.execute("begin")
            cur.execute(sql, {"q": Q, "n": n})
            cur.execute("commit")
            return n / (time.perf_counter() - t0)
    finally:
        conn.close()


def completed_rate(dsn: str, n: int) -> float:
    """set_consumer_completed as the worker calls it: one transaction (round trip) each.

    A server-side loop would update one row n times in one transaction, which measures
    the growing chain of row versions, not the function.
    """
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            t0 = time.perf_counter()
            for i in range(n):
                cur.execute(
                    "select * from pgq_node.set_consumer_completed(%s, %s, %s)",
                    (Q, f"c{i % 10 + 1}", i),
                )
            return n / (time.perf_counter() - t0)
    finally:
        conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20_000, help="calls per measurement")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    cluster = create_cluster()
    try:
        admin = connect(cluster.dsn())
        with admin.cursor() as cur:
            cur.execute("create database bench_ours")
            install(psycopg2.connect(cluster.dsn("bench_ours")))
            ours, orig = cluster.dsn("bench_ours"), None
            cur.execute("select 1 from pg_available_extensions where name = 'pgq_node'")
            if cur.fetchone():
                cur.execute("create database bench_orig")
                oconn = connect(cluster.dsn("bench_orig"))
                with oconn.cursor() as ocur:
                    ocur.execute("create extension pgq; create extension pgq_node")
                oconn.close()
                orig = cluster.dsn("bench_orig")
        admin.close()
        for dsn in (ours, orig):
            if dsn:
                setup(dsn)
        print(f"# n={args.n} repeat={args.repeat} (median); orig = pgq_node 3.5 extension")
        header = f"{'function':28} {'ours':>12} {'orig':>12} {'ours/orig':>9}"
        print(header)
        print("-" * len(header))
        measures = [(name, lambda d, s=stmt: rate(d, s, args.n)) for name, stmt in CALLS]
        measures.append(
            ("set_consumer_completed (1/tx)", lambda d: completed_rate(d, max(100, args.n // 10)))
        )
        for name, measure in measures:
            runs: dict[str, list[float]] = {"o": [], "c": []}
            for _ in range(args.repeat):  # interleaved, so machine load hits both alike
                runs["o"].append(measure(ours))
                if orig:
                    runs["c"].append(measure(orig))
            o = statistics.median(runs["o"])
            c = statistics.median(runs["c"]) if runs["c"] else None
            cs = f"{c:12,.0f}" if c else f"{'-':>12}"
            ratio = f"{o / c:8.2f}x" if c else f"{'-':>9}"
            print(f"{name:28} {o:12,.0f} {cs} {ratio}   calls/s", flush=True)
    finally:
        cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
