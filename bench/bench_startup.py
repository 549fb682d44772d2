#!/usr/bin/env python3
"""Start-up benchmark: wall time of `qadmin -c "SHOW QUEUE *"` beside the same
question asked with psql, `psql -c "select * from pgq.get_queue_info()"`.

Both run as fresh processes against the same database, interleaved so machine load
hits them alike.  The goal for qadmin is <= 300 ms.

Usage: python bench/bench_startup.py [--repeat 10] [--queues 10] [--dsn DSN]
Without --dsn it starts its own cluster (engine.pgcluster) and removes it afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.install import install  # noqa: E402
from engine.pgcluster import create_cluster  # noqa: E402

GOAL_MS = 300.0


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t) * 1000


def measure(dsn: str, repeat: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PAGER="")
    qadmin = [sys.executable, "-m", "qadmin", "-X", "-d", dsn, "-c", "SHOW QUEUE *"]
    psql_bin = shutil.which("psql")
    psql = (
        [psql_bin, "-X", "-d", dsn, "-c", "select * from pgq.get_queue_info()"]
        if psql_bin
        else None
    )
    ours, theirs = [], []
    wall(qadmin, env)  # warm the lark grammar cache and the OS file cache
    for _ in range(repeat):
        ours.append(wall(qadmin, env))
        if psql:
            theirs.append(wall(psql, env))
    print(f"{'command':45} {'median ms':>10} {'min ms':>8}")
    label = 'qadmin -c "SHOW QUEUE *"'
    print(f"{label:45} {statistics.median(ours):10.1f} {min(ours):8.1f}")
    if theirs:
        label = 'psql -c "select * from pgq.get_queue_info()"'
        print(f"{label:45} {statistics.median(theirs):10.1f} {min(theirs):8.1f}")
    verdict = "ok" if statistics.median(ours) <= GOAL_MS else "OVER GOAL"
    print(f"\nqadmin median {statistics.median(ours):.0f} ms (goal <= {GOAL_MS:.0f} ms): {verdict}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--queues", type=int, default=10)
    ap.add_argument("--dsn")
    args = ap.parse_args()
    if args.dsn:
        measure(args.dsn, args.repeat)
        return 0
    cluster = create_cluster()
    try:
        conn = psycopg2.connect(cluster.dsn("postgres"))
        install(conn)
        conn.autocommit = True
        with conn.cursor() as cur:
            for i in range(args.queues):
                cur.execute("select pgq.create_queue(%s)", (f"queue_{i}",))
        conn.close()
        measure(cluster.dsn("postgres"), args.repeat)
    finally:
        cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
