#!/usr/bin/env python3
"""Start-up benchmark: wall time of `qadmin -c "SHOW QUEUE *"` beside the same
question asked with psql, `psql -c "select * from pgq.get_queue_info()"`.

Both run as fresh processes against the same database, interleaved so machine load
hits them alike, with a bare `python -c pass` beside them (the interpreter's own
start, which qadmin cannot go below).  Goals for qadmin: <= 200 ms and <= 10x psql.

Python's bytecode is kept as an installed package keeps it: the runs write their
.pyc files to a temporary PYTHONPYCACHEPREFIX, and PYTHONDONTWRITEBYTECODE is
dropped from their environment (a machine that sets it, as some containers do,
would otherwise compile every module from source at every start: ~0.5 s).

Then the same for a script: `qadmin -f` and `psql -f` of one file of --statements
`select pgq.insert_event(...)` lines (goal: <= 1.5x psql).

Usage: python bench/bench_startup.py [--repeat 10] [--queues 10] [--statements 5000] [--dsn DSN]
Without --dsn it starts its own cluster (engine.pgcluster) and removes it afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.install import install  # noqa: E402
from engine.pgcluster import create_cluster  # noqa: E402

GOAL_MS = 200.0
GOAL_RATIO = 10.0
SCRIPT_GOAL_RATIO = 1.5


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    # cwd=ROOT: `python -m qadmin` looks in the current directory first, so run from
    # another checkout it would time that checkout's code, not this one's
    subprocess.run(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return (time.perf_counter() - t) * 1000


def measure(dsn: str, repeat: int, statements: int) -> None:
    with tempfile.TemporaryDirectory(prefix="qadmin-pycache-") as pycache:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PAGER="", PYTHONPYCACHEPREFIX=pycache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        _measure(dsn, repeat, env)
        if statements:
            script = Path(pycache) / "inserts.sql"
            script.write_text(
                "".join(
                    f"select pgq.insert_event('queue_0', 'type', 'data {i}');\n"
                    for i in range(statements)
                )
            )
            _measure_script(dsn, max(3, repeat // 3), env, script, statements)


def _measure_script(
    dsn: str, repeat: int, env: dict[str, str], script: Path, statements: int
) -> None:
    qadmin = [sys.executable, "-m", "qadmin", "-X", "-d", dsn, "-f", str(script)]
    psql_bin = shutil.which("psql")
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        ours.append(wall(qadmin, env))
        if psql_bin:
            theirs.append(wall([psql_bin, "-X", "-q", "-d", dsn, "-f", str(script)], env))
    print(f"\n{'script of ' + str(statements) + ' insert_event lines':45} {'median ms':>10}")
    print(f"{'qadmin -f':45} {statistics.median(ours):10.1f}")
    if theirs:
        print(f"{'psql -f':45} {statistics.median(theirs):10.1f}")
        ratio = statistics.median(ours) / statistics.median(theirs)
        verdict = "ok" if ratio <= SCRIPT_GOAL_RATIO else "OVER GOAL"
        print(f"qadmin -f / psql -f {ratio:.2f}x (goal <= {SCRIPT_GOAL_RATIO}x): {verdict}")


def _measure(dsn: str, repeat: int, env: dict[str, str]) -> None:
    qadmin = [sys.executable, "-m", "qadmin", "-X", "-d", dsn, "-c", "SHOW QUEUE *"]
    python = [sys.executable, "-c", "pass"]
    psql_bin = shutil.which("psql")
    psql = (
        [psql_bin, "-X", "-d", dsn, "-c", "select * from pgq.get_queue_info()"]
        if psql_bin
        else None
    )
    ours: list[float] = []
    theirs: list[float] = []
    bare: list[float] = []
    wall(qadmin, env)  # write the bytecode, warm the lark grammar cache and the OS file cache
    for _ in range(repeat):
        ours.append(wall(qadmin, env))
        if psql:
            theirs.append(wall(psql, env))
        bare.append(wall(python, env))
    print(f"{'command':45} {'median ms':>10} {'min ms':>8}")
    rows = [('qadmin -c "SHOW QUEUE *"', ours), ("python -c pass", bare)]
    if theirs:
        rows.append(('psql -c "select * from pgq.get_queue_info()"', theirs))
    for label, times in rows:
        print(f"{label:45} {statistics.median(times):10.1f} {min(times):8.1f}")
    med = statistics.median(ours)
    verdict = "ok" if med <= GOAL_MS else "OVER GOAL"
    print(f"\nqadmin median {med:.0f} ms (goal <= {GOAL_MS:.0f} ms): {verdict}")
    if theirs:
        ratio = med / statistics.median(theirs)
        verdict = "ok" if ratio <= GOAL_RATIO else "OVER GOAL"
        print(f"qadmin / psql {ratio:.1f}x (goal <= {GOAL_RATIO:.0f}x): {verdict}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--queues", type=int, default=10)
    ap.add_argument("--statements", type=int, default=5000, help="lines of the -f script")
    ap.add_argument("--dsn")
    args = ap.parse_args()
    if args.dsn:
        measure(args.dsn, args.repeat, args.statements)
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
        measure(cluster.dsn("postgres"), args.repeat, args.statements)
    finally:
        cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
