#!/usr/bin/env python3
"""Daemon benchmark: insert-commit -> handler latency per ticker, and consumer throughput.

Latency: a producer commits one event at a time (random gaps, mean 1/--rate s) and
notes the time after COMMIT returns; a consumer (python -m engine.consumer, a
handler that notes the time when its process_batch() starts) runs meanwhile.  The
consumer LISTENs for pgq_tick in every run, so what differs is the ticker:

- classic 1 s ticker: our ticker, ticker_period = 1, queue notify off (what pgqd does);
- pgqd 1 s: the distribution's C pgqd (if /usr/bin/pgqd exists), same settings;
- notifications: our ticker, queue notify on: the commit NOTIFYs the ticker, which
  ticks the queue at once (pgq.ticker_now); goal p50 <= 10 ms, p99 <= 50 ms.

Queues have ticker_max_count = 1 so a ticker round ticks any queue with new events
(with the default 500 a lone event would wait for ticker_max_lag, 3 s).

Throughput: --events events prefilled in transactions of 1000, a tick after each;
then the same queue is drained by a raw SQL loop (next_batch, get_batch_events,
finish_batch, commit) and by the framework (a no-op process_event() per event, with
the default cursor fetch of 300 rows, and with pgq_lazy_fetch = 0).

Usage: python bench/bench_daemons.py [--latency-events 300] [--rate 50] [--events 200000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402

from engine.consumer import Consumer, Event  # noqa: E402

GOAL_P50_MS, GOAL_P99_MS = 10.0, 50.0


class LatencyRecorder(Consumer):
    """Bench handler: appends '<ev_data> <time>' per event to latency_file."""

    def load_settings(self) -> None:
        super().load_settings()
        assert self.cf is not None
        self._out = open(self.cf.get("latency_file"), "a")  # noqa: SIM115

    def process_batch(self, db: Any, batch_id: int, events: Any) -> None:
        now = time.time()
        lines = [f"{ev.data} {now:.6f}\n" for ev in events]
        if lines:
            self._out.writelines(lines)
            self._out.flush()


class NoopConsumer(Consumer):
    """Bench handler: does nothing per event; notes when its first batch came."""

    def load_settings(self) -> None:
        super().load_settings()
        assert self.cf is not None
        self._mark = self.cf.get("first_batch_file")
        self._marked = False

    def process_batch(self, db: Any, batch_id: int, events: Any) -> None:
        if not self._marked:
            Path(self._mark).write_text(f"{time.time():.6f}")
            self._marked = True
        super().process_batch(db, batch_id, events)

    def process_event(self, db: Any, ev: Event) -> None:
        pass


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _ini(path: Path, section: str, values: dict[str, Any]) -> Path:
    body = "\n".join(f"{k} = {v}" for k, v in values.items())
    path.write_text(f"[{section}]\n{body}\n")
    return path


def _spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as f:
        return subprocess.Popen(
            argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_env()
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(2)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait(cond: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise SystemExit(f"timed out waiting for {what}")


def latency_run(
    cluster: Any, work: Path, label: str, ticker: str, notify: bool, n: int, rate: float
) -> list[float]:
    """Latencies in ms of n events, one committed at a time."""
    queue = f"lat_{label}"
    dsn = cluster.dsn("postgres")
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("select pgq.create_queue(%s)", (queue,))
    cur.execute("select pgq.set_queue_config(%s, 'ticker_max_count', '1')", (queue,))
    cur.execute("select pgq.set_queue_config(%s, 'notify', %s)", (queue, str(notify).lower()))
    cur.execute("select pgq.register_consumer(%s, 'lat')", (queue,))
    base = f"host={cluster.host} port={cluster.port} user={cluster.user}"
    if ticker == "pgqd":
        tk_ini = _ini(
            work / f"{label}-pgqd.ini",
            "pgqd",
            {
                "base_connstr": base,
                "database_list": "postgres",
                "logfile": work / f"{label}-pgqd.log",
                "pidfile": work / f"{label}-pgqd.pid",
                "syslog": 0,
                "ticker_period": 1,
            },
        )
        tk = _spawn(["pgqd", str(tk_ini)], work / f"{label}-pgqd.out")
    else:
        tk_ini = _ini(
            work / f"{label}-ticker.ini",
            "pgqd",
            {"base_connstr": base, "database_list": "postgres", "ticker_period": 1},
        )
        tk = _spawn([sys.executable, "-m", "engine.ticker", str(tk_ini)], work / f"{label}.log")
    out = work / f"{label}.lat"
    c_ini = _ini(
        work / f"{label}-consumer.ini",
        "consumer",
        {
            "db": dsn,
            "queue_name": queue,
            "consumer_name": "lat",
            "handler": "python:bench.bench_daemons.LatencyRecorder",
            "latency_file": out,
        },
    )
    consumer = _spawn([sys.executable, "-m", "engine.consumer", str(c_ini)], work / f"{label}.log")
    try:
        time.sleep(1.5)  # both connected and listening
        sent: dict[str, float] = {}
        for i in range(n):
            cur.execute("select pgq.insert_event(%s, 't', %s)", (queue, str(i)))
            sent[str(i)] = time.time()
            time.sleep(random.expovariate(rate))

        def received() -> dict[str, float]:
            got = {}
            with contextlib.suppress(OSError):
                for line in out.read_text().splitlines():
                    k, _, t = line.partition(" ")
                    got.setdefault(k, float(t))
            return got

        _wait(lambda: len(received()) >= n, 30, f"{label}: all events handled")
        got = received()
        return [(got[k] - t) * 1000 for k, t in sent.items()]
    finally:
        _stop(consumer)
        _stop(tk)
        conn.close()


def throughput_runs(cluster: Any, work: Path, events: int) -> list[tuple[str, float, float]]:
    """(label, seconds, events/s) for the raw SQL loop and the framework."""
    dsn = cluster.dsn("postgres")
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("select pgq.create_queue('tp')")
    consumers = ("raw", "fw_lazy", "fw_all")
    for c in consumers:
        cur.execute("select pgq.register_consumer('tp', %s)", (c,))
    t0 = time.perf_counter()
    per_tx = 1000
    for _ in range(0, events, per_tx):
        cur.execute("begin")
        cur.execute(
            "select pgq.insert_event_bulk('tp', array_fill('t'::text, array[%s]),"
            " array(select 'payload ' || i from generate_series(1, %s) i))",
            (per_tx, per_tx),
        )
        cur.execute("commit")
        cur.execute("select pgq.ticker_now(array['tp'])")
    fill = time.perf_counter() - t0
    print(f"prefilled {events} events in {events // per_tx} batches in {fill:.1f} s")
    results = []

    # raw SQL loop in this process
    raw = psycopg2.connect(dsn)
    rc = raw.cursor()
    seen = 0
    t0 = time.perf_counter()
    while True:
        rc.execute("select pgq.next_batch('tp', 'raw')")
        batch = rc.fetchone()[0]
        if batch is None:
            break
        rc.execute("select * from pgq.get_batch_events(%s)", (batch,))
        seen += len(rc.fetchall())
        rc.execute("select pgq.finish_batch(%s)", (batch,))
        raw.commit()
    secs = time.perf_counter() - t0
    raw.close()
    assert seen == events, (seen, events)
    results.append(("raw SQL loop (get_batch_events)", secs, events / secs))

    for name, lazy, label in (
        ("fw_lazy", 300, "framework, process_event, pgq_lazy_fetch=300"),
        ("fw_all", 0, "framework, process_event, pgq_lazy_fetch=0"),
    ):
        mark = work / f"{name}.first"
        ini = _ini(
            work / f"{name}.ini",
            "consumer",
            {
                "db": dsn,
                "queue_name": "tp",
                "consumer_name": name,
                "handler": "python:bench.bench_daemons.NoopConsumer",
                "first_batch_file": mark,
                "pgq_lazy_fetch": lazy,
                "use_notify": 0,
            },
        )
        proc = _spawn([sys.executable, "-m", "engine.consumer", str(ini)], work / f"{name}.log")

        def done(name: str = name) -> bool:
            cur.execute(
                "select pending_events = 0 and current_batch is null"
                " from pgq.get_consumer_info('tp', %s)",
                (name,),
            )
            return bool(cur.fetchone()[0])

        try:
            _wait(done, 300, f"{name} caught up")
            end = time.time()
            secs = end - float(mark.read_text())
        finally:
            _stop(proc)
        results.append((label, secs, events / secs))
    conn.close()
    return results


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> int:
    from engine.install import install
    from engine.pgcluster import create_cluster

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--latency-events", type=int, default=300)
    ap.add_argument("--rate", type=float, default=50.0, help="events per second, latency runs")
    ap.add_argument("--events", type=int, default=200_000, help="events, throughput runs")
    ap.add_argument("--no-pgqd", action="store_true", help="skip the pgqd run")
    args = ap.parse_args()

    pgqd = None if args.no_pgqd else shutil.which("pgqd")
    cluster = create_cluster()
    work = Path(tempfile.mkdtemp(prefix="bench-daemons-"))
    try:
        conn = psycopg2.connect(cluster.dsn("postgres"))
        install(conn)
        conn.close()
        runs = [("classic", "ours", False, "classic 1 s ticker (ours, notify off)")]
        if pgqd:
            runs.append(("pgqd", "pgqd", False, "pgqd 1 s (Debian pgqd, notify off)"))
        runs.append(("notify", "ours", True, "notifications (ours, notify on)"))
        lat = []
        for label, ticker, notify, title in runs:
            ms = latency_run(cluster, work, label, ticker, notify, args.latency_events, args.rate)
            lat.append((title, ms))
            print(f"  ran {title}: {len(ms)} events", flush=True)
        if not pgqd:
            print("  (no pgqd on PATH: pgqd run skipped)")
        print()
        n, rate = args.latency_events, args.rate
        print(f"Latency, insert commit -> handler, {n} events at ~{rate:g}/s")
        print(f"{'ticker':42} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'mean ms':>8}")
        for title, ms in lat:
            print(
                f"{title:42} {pct(ms, 50):8.1f} {pct(ms, 99):8.1f} {max(ms):8.1f}"
                f" {statistics.fmean(ms):8.1f}"
            )
        notify_ms = lat[-1][1]
        ok = pct(notify_ms, 50) <= GOAL_P50_MS and pct(notify_ms, 99) <= GOAL_P99_MS
        print(
            f"goal with notifications: p50 <= {GOAL_P50_MS:g} ms, p99 <= {GOAL_P99_MS:g} ms:"
            f" {'met' if ok else 'NOT met'}"
        )
        print()
        tp = throughput_runs(cluster, work, args.events)
        print(f"Throughput, {args.events} events in batches of 1000")
        print(f"{'consumer':48} {'seconds':>8} {'events/s':>10}")
        for label, secs, eps in tp:
            print(f"{label:48} {secs:8.2f} {eps:10.0f}")
        return 0 if ok else 1
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
