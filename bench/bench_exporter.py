#!/usr/bin/env python3
"""Exporter benchmark: one scrape with 1,000 queues and 1,000 consumers (goal < 100 ms).

A throwaway cluster gets --queues queues, one consumer each (registered, one batch
behind: a tick after some events), and with --cascade each queue is also a cascade
root.  Then, side by side:

    read      Scraper.scrape() in this process: every query of the database and the
              supervisor's state directory, no text encoding
    /metrics  an HTTP GET of a running exporter daemon (python -m engine.exporter):
              the read, the Prometheus text encoding and the transfer
    /         the status page (the read, and an SVG plot per consumer)

each as median and p95 of --repeat scrapes, with the statements per scrape beside
the same figure for a database with a single queue (they must be equal).

Usage: python bench/bench_exporter.py [--queues 1000] [--repeat 50] [--cascade]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.exporter.scraper import Scraper  # noqa: E402
from engine.exporter.source import DatabaseSource  # noqa: E402
from engine.install import install  # noqa: E402
from engine.pgcluster import create_cluster, free_port  # noqa: E402

GOAL_MS = 100.0


def fill(dsn: str, queues: int, cascade: bool) -> None:
    """queues queues with one consumer each, 3 events behind; optionally cascade roots."""
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        # the insert code is made once at the end, not once per queue (untimed setup)
        cur.execute("alter table pgq.queue disable trigger queue_code_refresh")
        cur.execute(
            "select pgq.create_queue('bq_' || i), pgq.register_consumer('bq_' || i, 'bc_' || i)"
            " from generate_series(1, %s) i",
            (queues,),
        )
        cur.execute("alter table pgq.queue enable always trigger queue_code_refresh")
        cur.execute("select pgq._refresh_insert_code()")
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "select pgq.insert_event('bq_' || i, 't', 'x')"
            " from generate_series(1, %s) i, generate_series(1, 3)",
            (queues,),
        )
        cur.execute("select pgq.tick_queue('bq_' || i) from generate_series(1, %s) i", (queues,))
        if cascade:
            cur.execute(
                "select pgq_node.register_location('bq_' || i, 'root', %s, false),"
                " pgq_node.create_node('bq_' || i, 'root', 'root', 'w', null, null, null)"
                " from generate_series(1, %s) i",
                (dsn, queues),
            )
    conn.close()


def stats(times: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in times)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.95))]


def time_read(dsn: str, repeat: int) -> tuple[list[float], int]:
    src = DatabaseSource("bench", dsn)
    scraper = Scraper([src], state_dir=tempfile.mkdtemp())
    scraper.scrape()  # connect, warm up
    before = src.queries
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        scraper.scrape()
        times.append(time.perf_counter() - t0)
    scraper.close()
    return times, (src.queries - before) // repeat


def time_get(url: str, repeat: int) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as r:
            size = len(r.read())
        times.append(time.perf_counter() - t0)
    return times, size


def start_daemon(base: str, dbname: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    ini = workdir / "exporter.ini"
    ini.write_text(
        "[exporter]\n"
        f"base_connstr = {base.replace('%', '%%')}\n"
        f"database_list = {dbname}\n"
        f"port = {port}\n"
        "sample_period = 3600\n"
        f"state_dir = {workdir / 'state'}\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.exporter", "-q", str(ini)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the exporter did not start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queues", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--cascade", action="store_true", help="make every queue a cascade root")
    a = ap.parse_args()
    cluster = create_cluster(settings={"max_locks_per_transaction": "1024"})
    proc = None
    try:
        admin = psycopg2.connect(cluster.dsn("postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("create database one")
            cur.execute("create database many")
        admin.close()
        for name in ("one", "many"):
            conn = psycopg2.connect(cluster.dsn(name))
            install(conn)
            conn.close()
        t0 = time.perf_counter()
        fill(cluster.dsn("one"), 1, a.cascade)
        fill(cluster.dsn("many"), a.queues, a.cascade)
        setup = time.perf_counter() - t0
        _, one_queries = time_read(cluster.dsn("one"), 3)
        read_times, many_queries = time_read(cluster.dsn("many"), a.repeat)
        port = free_port()
        with tempfile.TemporaryDirectory() as tmp:
            base = " ".join(p for p in cluster.dsn("many").split() if not p.startswith("dbname="))
            proc = start_daemon(base, "many", port, Path(tmp))
            metrics_times, metrics_size = time_get(f"http://127.0.0.1:{port}/metrics", a.repeat)
            page_times, page_size = time_get(f"http://127.0.0.1:{port}/", max(5, a.repeat // 5))
            proc.terminate()
            proc.wait(10)
            proc = None
        what = f"{a.queues} queues, {a.queues} consumers" + (", cascade roots" if a.cascade else "")
        print(f"# exporter scrape, {what}; setup {setup:.1f} s; {a.repeat} scrapes")
        print(
            "# machine shared with other sessions: figures vary with their load"
            f" (goal {GOAL_MS:g} ms); load average {os.getloadavg()[0]:.1f}"
        )
        print(f"{'measurement':34} {'median ms':>10} {'p95 ms':>10} {'size':>10}")
        for label, times, size in (
            ("read (Scraper.scrape)", read_times, None),
            ("GET /metrics (daemon)", metrics_times, metrics_size),
            ("GET / status page (daemon)", page_times, page_size),
        ):
            med, p95 = stats(times)
            mark = "" if med < GOAL_MS else "  (over goal)"
            sz = f"{size / 1024:.0f} KiB" if size is not None else ""
            print(f"{label:34} {med:10.1f} {p95:10.1f} {sz:>10}{mark}")
        print(f"{'queries per scrape':34} {many_queries:>10} (with 1 queue: {one_queries})")
        return 0 if many_queries == one_queries else 1
    finally:
        if proc is not None:
            proc.kill()
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main())
