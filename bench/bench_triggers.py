"""Capture-trigger throughput: our PL/pgSQL logutriga/sqltriga/jsontriga beside the C original.

One run prints, for INSERT and UPDATE of N rows in one statement into
``(id int primary key, name text, val numeric)``, the rows/s with no trigger, with
each of our capture triggers, and (when the ``pgq`` extension is available in the
same cluster) with the original C triggers, in another database of that cluster.
Runs are interleaved (one of each variant per round) and the median is shown, so
load from other processes hits all variants alike.

    python bench/bench_triggers.py                       # throwaway cluster
    python bench/bench_triggers.py --dsn "host=127.0.0.1 port=5499 user=postgres"
    python bench/bench_triggers.py --rows 20000 --repeat 5 --slow-path --statement

``--dsn`` names a superuser connection to an existing cluster; the benchmark creates
and drops its own databases there.  ``--slow-path`` adds our triggers without the
generated per-table code (what a non-superuser install gets); ``--statement`` adds
statement-level capture with transition tables (``pgq.create_statement_capture``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

# this checkout, not some installed copy
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.install import install
from engine.pgcluster import Cluster, create_cluster

__all__ = ["main"]

TRIGGERS = ("logutriga", "sqltriga", "jsontriga")
QUEUE = "bench_trg"
DB_OURS = "qadmin_bench_trg_ours"
DB_SLOW = "qadmin_bench_trg_slow"
DB_ORIG = "qadmin_bench_trg_orig"


@dataclass(frozen=True)
class Variant:
    """One column of the result: a database and a trigger function (None = no trigger)."""

    label: str
    dbname: str
    trigger: str | None
    statement: bool = False


def _connect(dsn: str, dbname: str, autocommit: bool = False) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(dsn, dbname=dbname)
    conn.autocommit = autocommit
    return conn


def _admin(dsn: str, statement: sql.Composable) -> None:
    conn = _connect(dsn, "postgres", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def _recreate_db(dsn: str, name: str) -> None:
    _admin(dsn, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    _admin(dsn, sql.SQL("create database {}").format(sql.Identifier(name)))


def _drop_db(dsn: str, name: str) -> None:
    _admin(dsn, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _has_original(dsn: str) -> bool:
    conn = _connect(dsn, "postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_available_extensions where name = 'pgq'")
            return cur.fetchone() is not None
    finally:
        conn.close()


def _setup_db(dsn: str, name: str, kind: str) -> None:
    """kind: 'ours', 'slow' (ours without generated code) or 'orig' (the C extension)."""
    _recreate_db(dsn, name)
    conn = _connect(dsn, name)
    try:
        if kind == "orig":
            with conn.cursor() as cur:
                cur.execute("create extension pgq")
            conn.commit()
        else:
            install(conn, ["pgq"])
        with conn.cursor() as cur:
            if kind == "slow":
                cur.execute("drop event trigger pgq_capture_ddl")
                cur.execute("drop event trigger pgq_capture_drop")
                cur.execute("drop event trigger pgq_capture_predrop")
            cur.execute("select pgq.create_queue(%s)", (QUEUE,))
        conn.commit()
    finally:
        conn.close()


def _run(dsn: str, variant: Variant, op: str, rows: int) -> float:
    """Seconds for one INSERT (or UPDATE) of all rows, in a fresh session."""
    conn = _connect(dsn, variant.dbname)
    try:
        cur = conn.cursor()
        cur.execute("drop table if exists bench_trg")
        cur.execute("create table bench_trg (id int primary key, name text, val numeric)")
        if variant.statement:
            cur.execute(
                "select pgq.create_statement_capture('bench_trg', 'capture', %s, %s)",
                (variant.trigger, QUEUE),
            )
        elif variant.trigger:
            cur.execute(
                sql.SQL(
                    "create trigger capture after insert or update or delete on bench_trg"
                    " for each row execute procedure pgq.{}(%s)"
                ).format(sql.Identifier(variant.trigger)),
                (QUEUE,),
            )
        conn.commit()
        load = (
            "insert into bench_trg (id, name, val)"
            " select g, 'name ' || g, g * 1.5 from generate_series(1, %s) g"
        )
        if op == "update":
            if variant.trigger:
                cur.execute("alter table bench_trg disable trigger user")
            cur.execute(load, (rows,))
            if variant.trigger:
                cur.execute("alter table bench_trg enable trigger user")
            conn.commit()
            stmt, args = "update bench_trg set val = val + 1, name = name || 'x'", None
        else:
            stmt, args = load, (rows,)
        started = time.perf_counter()
        cur.execute(stmt, args)
        if cur.rowcount != rows:
            raise RuntimeError(f"{variant.label} {op}: {cur.rowcount} rows, expected {rows}")
        conn.commit()
        elapsed = time.perf_counter() - started
        if variant.trigger:
            cur.execute("select ev_new from pgq.get_queue_info(%s)", (QUEUE,))
            (new_events,) = cur.fetchone()
            if new_events is None or new_events < rows - 1:
                print(f"# warning: {variant.label} {op}: {new_events} new events", file=sys.stderr)
            # keep the queue small and the numbers comparable across rounds
            cur.execute("select pgq.drop_queue(%s, true)", (QUEUE,))
            cur.execute("select pgq.create_queue(%s)", (QUEUE,))
        cur.execute("drop table bench_trg")
        conn.commit()
        return elapsed
    finally:
        conn.close()


def _measure(
    dsn: str, variants: list[Variant], rows: int, repeat: int, log: Callable[[str], None]
) -> dict[tuple[str, str], float]:
    rates: dict[tuple[str, str], float] = {}
    for op in ("insert", "update"):
        times: dict[str, list[float]] = {v.label: [] for v in variants}
        for rnd in range(repeat):
            for v in variants:
                times[v.label].append(_run(dsn, v, op, rows))
            log(f"# {op} round {rnd + 1}/{repeat} done")
        for v in variants:
            rates[(op, v.label)] = rows / statistics.median(times[v.label])
    return rates


def _report(
    rates: dict[tuple[str, str], float], original: bool, slow: bool, statement: bool
) -> str:
    head = ["statement", "trigger", "ours rows/s"]
    if slow:
        head.append("ours slow path")
    if statement:
        head.append("ours per statement")
    if original:
        head += ["original C rows/s", "ours / original"]
    lines = [head]
    for op in ("insert", "update"):
        base = rates[(op, "none")]
        lines.append([op.upper(), "(none)", f"{base:,.0f}"] + [""] * (len(head) - 3))
        for trig in TRIGGERS:
            ours = rates[(op, f"ours {trig}")]
            row = [op.upper(), trig, f"{ours:,.0f}"]
            if slow:
                row.append(f"{rates[(op, f'slow {trig}')]:,.0f}")
            if statement:
                row.append(f"{rates[(op, f'stmt {trig}')]:,.0f}")
            if original:
                orig = rates[(op, f"orig {trig}")]
                row += [f"{orig:,.0f}", f"{ours / orig:.2f}x"]
            lines.append(row)
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    out = []
    for r in lines:
        cells = zip(r, widths, strict=True)
        out.append("  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(cells)))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dsn", help="superuser conninfo of an existing cluster (default: throwaway)")
    ap.add_argument("--rows", type=int, default=100_000, help="rows per statement (100000)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the median is shown (3)")
    ap.add_argument("--slow-path", action="store_true", help="also measure the generic path")
    ap.add_argument(
        "--statement",
        action="store_true",
        help="also measure statement-level capture (pgq.create_statement_capture)",
    )
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    cluster: Cluster | None = None
    dsn = args.dsn
    if dsn is None:
        cluster = create_cluster()
        dsn = cluster.dsn("postgres")
        log(f"# throwaway cluster on port {cluster.port} ({cluster.bindir})")
    made: list[str] = []
    try:
        original = _has_original(dsn)
        _setup_db(dsn, DB_OURS, "ours")
        made.append(DB_OURS)
        variants = [Variant("none", DB_OURS, None)]
        variants += [Variant(f"ours {t}", DB_OURS, t) for t in TRIGGERS]
        if args.statement:
            variants += [Variant(f"stmt {t}", DB_OURS, t, statement=True) for t in TRIGGERS]
        if args.slow_path:
            _setup_db(dsn, DB_SLOW, "slow")
            made.append(DB_SLOW)
            variants += [Variant(f"slow {t}", DB_SLOW, t) for t in TRIGGERS]
        if original:
            _setup_db(dsn, DB_ORIG, "orig")
            made.append(DB_ORIG)
            variants += [Variant(f"orig {t}", DB_ORIG, t) for t in TRIGGERS]
        else:
            log("# the pgq extension (C original) is not available in this cluster")
        conn = _connect(dsn, "postgres")
        with conn.cursor() as cur:
            cur.execute("select version()")
            log(f"# {cur.fetchone()[0]}; {args.rows} rows, median of {args.repeat}")
        conn.close()
        rates = _measure(dsn, variants, args.rows, args.repeat, log)
        print(_report(rates, original, args.slow_path, args.statement))
    finally:
        for name in made:
            _drop_db(dsn, name)
        if cluster is not None:
            cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
