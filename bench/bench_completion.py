#!/usr/bin/env python3
"""Completion benchmark: time of one completion with 10,000 queues and 10,000 consumers.

complete() is what runs on every Tab (and as you type, in a thread): the grammar's
accepts() for the statement, then matching against the catalog snapshot.  The goal
is <= 20 ms per completion.  The catalog is built in memory (the refresher fetches
it in the background, off the keystroke path).

Usage: python bench/bench_completion.py [--queues 10000] [--consumers 10000] [--repeat 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.admin.queue import SETTINGS
from qadmin.catalog import Catalog
from qadmin.complete.match import complete
from qadmin.parser import get_parser

GOAL_MS = 20.0


def build(queues: int, consumers: int) -> Catalog:
    names = [f"queue_{i:05d}" for i in range(queues)]
    per_queue = {q: [] for q in names}
    per_queue["queue_00000"] = [f"consumer_{i:05d}" for i in range(consumers)]
    return Catalog.build(
        queues=names,
        consumers=per_queue,
        batches={"queue_00000": list(range(1, 101))},
        ticks={q: [3, 2, 1] for q in names},
        settings=SETTINGS,  # fetched with the rest (engine.catalog.local_names)
    )


CASES = [
    ("statement start", "", ""),
    ("keyword", "show q", ""),
    ("all queues", "show queue ", ""),
    ("queue prefix", "show queue queue_01", ""),
    ("consumers of a queue", "show consumer ", " on queue_00000;"),
    ("consumer prefix", "register consumer x on queue_00000 copy consumer_09", ""),
    ("quoted prefix", 'show queue "queue_00', ""),
    ("long statement", "alter queue queue_00001 set max_count=10, max_lag='1 s', ", ""),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queues", type=int, default=10_000)
    ap.add_argument("--consumers", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()

    t0 = time.perf_counter()
    get_parser()
    build_ms = (time.perf_counter() - t0) * 1000
    catalog = build(args.queues, args.consumers)
    print(f"catalog: {args.queues} queues, {args.consumers} consumers on one queue")
    print(f"parser load (cached): {build_ms:.1f} ms\n")
    print(f"{'case':24} {'results':>8} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    worst = 0.0
    for label, before, after in CASES:
        times = []
        n = 0
        for _ in range(args.repeat):
            t = time.perf_counter()
            n = len(complete(before, catalog, after))
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        worst = max(worst, p95)
        print(f"{label:24} {n:8d} {statistics.median(times):10.2f} {p95:8.2f} {times[-1]:8.2f}")
    verdict = "ok" if worst <= GOAL_MS else "OVER GOAL"
    print(f"\nworst p95: {worst:.2f} ms (goal <= {GOAL_MS:.0f} ms): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
