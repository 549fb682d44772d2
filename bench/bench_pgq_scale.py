#!/usr/bin/env python3
"""PgQ with many queues: what a queue costs when there are already hundreds.

Prints, for our PL/pgSQL PgQ beside the distribution's C PgQ extension (measured in
another database of the same throwaway cluster, when postgresql-NN-pgq3 is installed)
and, with --baseline-sql, another build of ours in a third database:

    seconds to create 100 queues with 0, 400 and 1000 queues there already
    insert_event in a server-side loop into one queue, with 1000 queues
    insert_event in a server-side loop spread over all 1000 queues
    the first insert_event of a new session, with 1000 queues (median of --sessions)

The queues that only fill the database up to a level are made fast where the insert
code allows it (ours: with the code trigger off, then the code made once), so a
slow build costs only its timed part.

Usage: python bench/bench_pgq_scale.py [-n 100000] [--repeat 3] [--sessions 20]
                                      [--baseline-sql FILE]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.install import install
from engine.pgcluster import create_cluster

LEVELS = (0, 400, 1000)
TIMED = 100


def connect(dsn: str, autocommit: bool = True):
    conn = psycopg2.connect(dsn)
    conn.autocommit = autocommit
    return conn


def is_ours(cur) -> bool:
    cur.execute(
        "select to_regprocedure('pgq._refresh_insert_code(boolean)') is not null"
        " or to_regprocedure('pgq._refresh_insert_code(boolean, integer[])') is not null"
    )
    return bool(cur.fetchone()[0])


def queue_count(cur) -> int:
    cur.execute("select count(*) from pgq.queue")
    return int(cur.fetchone()[0])


def fill_to(dsn: str, level: int) -> None:
    """Untimed: queues f<i> until there are `level` queues (not counting timed ones)."""
    conn = connect(dsn)
    cur = conn.cursor()
    cur.execute("select count(*) from pgq.queue where queue_name like 'f%'")
    have = int(cur.fetchone()[0])
    cur.execute("select count(*) from pgq.queue where queue_name like 't%'")
    timed = int(cur.fetchone()[0])
    want = level - timed
    if want <= have:
        conn.close()
        return
    ours = is_ours(cur)
    conn.autocommit = False
    if ours:
        cur.execute("alter table pgq.queue disable trigger queue_code_refresh")
    for i in range(have, want):
        cur.execute("select pgq.create_queue(%s)", (f"f{i:05}",))
    if ours:
        cur.execute("alter table pgq.queue enable always trigger queue_code_refresh")
        cur.execute("select pgq._refresh_insert_code()")
    conn.commit()
    conn.close()


def create_timed(dsn: str, level: int) -> float:
    """Seconds for TIMED create_queue calls, one transaction each."""
    conn = connect(dsn)
    cur = conn.cursor()
    t0 = time.perf_counter()
    for i in range(TIMED):
        cur.execute("select pgq.create_queue(%s)", (f"t{level:04}_{i:03}",))
    took = time.perf_counter() - t0
    conn.close()
    return took


def insert_one_queue(dsn: str, n: int) -> float:
    conn = connect(dsn, autocommit=False)
    cur = conn.cursor()
    t0 = time.perf_counter()
    cur.execute(
        "select count(pgq.insert_event('f00500', 'type', 'data')) from generate_series(1, %s)",
        (n,),
    )
    conn.commit()
    rate = n / (time.perf_counter() - t0)
    conn.close()
    return rate


def insert_spread(dsn: str, n: int) -> float:
    conn = connect(dsn, autocommit=False)
    cur = conn.cursor()
    cur.execute("select array_agg(queue_name order by queue_name) from pgq.queue")
    names = cur.fetchone()[0]
    t0 = time.perf_counter()
    cur.execute(
        "select count(pgq.insert_event(q[1 + g %% array_length(q, 1)], 'type', 'data'))"
        " from generate_series(1, %s) g, (select %s::text[] q) s",
        (n, names),
    )
    conn.commit()
    rate = n / (time.perf_counter() - t0)
    conn.close()
    return rate


def first_insert(dsn: str, sessions: int) -> tuple[float, float]:
    """Median ms of a new session's first insert_event, and of its second."""
    firsts, seconds = [], []
    for i in range(sessions):
        conn = connect(dsn)
        cur = conn.cursor()
        cur.execute("select 1")
        q = f"f{(i * 37) % 1000:05}"
        t0 = time.perf_counter()
        cur.execute("select pgq.insert_event(%s, 'type', 'data')", (q,))
        t1 = time.perf_counter()
        cur.execute("select pgq.insert_event(%s, 'type', 'data')", (q,))
        t2 = time.perf_counter()
        firsts.append((t1 - t0) * 1000)
        seconds.append((t2 - t1) * 1000)
        conn.close()
    return statistics.median(firsts), statistics.median(seconds)


def pgq_extension_available(cluster) -> bool:
    sharedir = subprocess.run(
        [str(cluster.bindir / "pg_config"), "--sharedir"], capture_output=True, text=True
    ).stdout.strip()
    candidates = [Path(sharedir)] if sharedir else []
    candidates.append(Path("/usr/share/postgresql") / cluster.bindir.parent.name)
    return any((p / "extension" / "pgq.control").exists() for p in candidates)


def fmt(v: float | None, spec: str) -> str:
    return f"{v:{spec}}" if v is not None else f"{'-':>{spec.split('.')[0].strip(',')}}"


def row(name: str, unit: str, vals: dict[str, float], lower_is_better: bool) -> None:
    o, c, b = vals.get("ours"), vals.get("orig"), vals.get("base")
    ratio = ""
    if o is not None and c:
        r = (c / o) if lower_is_better else (o / c)
        ratio = f"{r:8.2f}x"
    base = ""
    if b is not None and o is not None:
        base = f"   baseline {b:,.2f} ({(b / o if lower_is_better else o / b):.2f}x its speed)"
    print(f"{name:44} {fmt(o, '12,.2f')} {fmt(c, '12,.2f')} {ratio:>9}   {unit}{base}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="events per insert measurement")
    ap.add_argument("--repeat", type=int, default=3, help="insert runs (median)")
    ap.add_argument("--sessions", type=int, default=20, help="new sessions for the first insert")
    ap.add_argument("--baseline-sql", help="another build of our PgQ (python -m engine.install"
                    " --sql pgq of another tree)")  # fmt: skip
    args = ap.parse_args()

    cluster = create_cluster()
    try:
        admin = connect(cluster.dsn())
        dbs: dict[str, str] = {}
        admin.cursor().execute("create database scale_ours")
        install(psycopg2.connect(cluster.dsn("scale_ours")))
        dbs["ours"] = cluster.dsn("scale_ours")
        if pgq_extension_available(cluster):
            admin.cursor().execute("create database scale_orig")
            connect(cluster.dsn("scale_orig")).cursor().execute("create extension pgq")
            dbs["orig"] = cluster.dsn("scale_orig")
        if args.baseline_sql:
            admin.cursor().execute("create database scale_base")
            dbs["base"] = cluster.dsn("scale_base")
            subprocess.run(
                [str(cluster.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1",
                 "-d", dbs["base"], "-f", args.baseline_sql],
                check=True, capture_output=True,
            )  # fmt: skip
        admin.close()

        print("# ours/orig: how many times the original's speed (>1 is faster); "
              "baseline: ours as a multiple of its speed")  # fmt: skip
        print(f"{'measurement':44} {'ours':>12} {'orig (C)':>12} {'ours/orig':>9}")
        for level in LEVELS:
            took = {}
            for key, dsn in dbs.items():
                fill_to(dsn, level)
                took[key] = create_timed(dsn, level)
            row(f"create {TIMED} queues with {level} there", "s", took, True)
        for dsn in dbs.values():
            fill_to(dsn, 1000 + TIMED * len(LEVELS))
        with connect(dbs["ours"]) as c:
            total = queue_count(c.cursor())
        for name, fn in ((f"insert_event, 1 queue of {total}", insert_one_queue),
                         (f"insert_event, spread over {total} queues", insert_spread)):  # fmt: skip
            runs: dict[str, list[float]] = {k: [] for k in dbs}
            keys = list(dbs)
            for i in range(args.repeat):
                for key in keys[i % len(keys) :] + keys[: i % len(keys)]:
                    runs[key].append(fn(dbs[key], args.n))
            row(name, "events/s", {k: statistics.median(v) for k, v in runs.items()}, False)
        firsts, seconds = {}, {}
        for key, dsn in dbs.items():
            firsts[key], seconds[key] = first_insert(dsn, args.sessions)
        row(f"first insert_event of a session, {total} q", "ms", firsts, True)
        row("  its second insert_event", "ms", seconds, True)
    finally:
        cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
