#!/usr/bin/env python3
"""PgQ core benchmark: our PL/pgSQL PgQ beside its baselines, in one run.

Prints, for each figure, our rate beside a plain INSERT of the same rows and, when
the distribution's C PgQ extension (postgresql-NN-pgq3) is installed for the server,
the original measured in another database of the same throwaway cluster:

    insert_event in a server-side loop (one transaction)
    insert_event in a server-side loop that commits after each event
    insert_event with one client round trip per event
    insert_event_bulk (arrays of 1000 events per call) from a client
    reading one batch of N events (next_batch, get_batch_events, finish_batch)

and, in its own cluster, what running the insert path as the owner costs (insert_event
is security definer, so that writers need no rights on event tables): the same loops
with insert_event switched to the caller's rights, interleaved.

Usage: python bench/bench_pgq_core.py [-n 100000] [--repeat 3] [--dsn-ours DSN --dsn-orig DSN]
                                     [--baseline-sql FILE]
Without DSNs it starts its own cluster (engine.pgcluster) and removes it afterwards.
--baseline-sql installs another build of our PgQ (one file, ``python -m engine.install
--sql pgq`` of another tree, e.g. main) in a third database of that cluster and adds its
figures, interleaved with the others: what a change costs, on a loaded machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.install import install
from engine.pgcluster import create_cluster


def connect(dsn: str, autocommit: bool = True):
    conn = psycopg2.connect(dsn)
    conn.autocommit = autocommit
    return conn


def fresh_queue(dsn: str, name: str) -> None:
    with connect(dsn).cursor() as cur:
        cur.execute("select 1 from pgq.queue where queue_name = %s", (name,))
        if cur.fetchone():
            cur.execute("select pgq.drop_queue(%s, true)", (name,))
        cur.execute("select pgq.create_queue(%s)", (name,))


def fresh_plain(dsn: str) -> None:
    with connect(dsn).cursor() as cur:
        cur.execute("drop table if exists bench_plain")
        cur.execute(
            "create table bench_plain (ev_id bigserial, ev_time timestamptz not null default now(),"
            " ev_txid bigint not null default txid_current(), ev_owner int, ev_retry int,"
            " ev_type text, ev_data text, ev_extra1 text, ev_extra2 text, ev_extra3 text,"
            " ev_extra4 text)"
        )
        cur.execute("create index on bench_plain (ev_txid)")


def timed(fn: Callable[[], int]) -> float:
    t0 = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - t0)


# -- the measurements -----------------------------------------------------------------
def server_loop(dsn: str, n: int) -> float:
    fresh_queue(dsn, "bench_q")
    conn = connect(dsn, autocommit=False)
    cur = conn.cursor()

    def run() -> int:
        cur.execute(
            "select count(pgq.insert_event('bench_q', 'type', 'data')) from generate_series(1, %s)",
            (n,),
        )
        conn.commit()
        return n

    rate = timed(run)
    conn.close()
    return rate


def plain_server(dsn: str, n: int) -> float:
    fresh_plain(dsn)
    conn = connect(dsn, autocommit=False)
    cur = conn.cursor()

    def run() -> int:
        cur.execute(
            "insert into bench_plain (ev_type, ev_data) select 'type', 'data'"
            " from generate_series(1, %s)",
            (n,),
        )
        conn.commit()
        return n

    rate = timed(run)
    conn.close()
    return rate


def transaction_loop(dsn: str, n: int, plain: bool = False) -> float:
    """One event per transaction, in a server-side loop that commits after each: what a
    transaction's first insert costs, without the client round trips that would hide it."""
    if plain:
        fresh_plain(dsn)
        stmt = "insert into bench_plain (ev_type, ev_data) values ('type', 'data')"
    else:
        fresh_queue(dsn, "bench_q")
        stmt = "perform pgq.insert_event('bench_q', 'type', 'data')"
    conn = connect(dsn)
    cur = conn.cursor()

    def run() -> int:
        cur.execute(f"do $$ begin for i in 1 .. {int(n)} loop {stmt}; commit; end loop; end $$")
        return n

    rate = timed(run)
    conn.close()
    return rate


def client_round_trips(dsn: str, n: int, plain: bool = False) -> float:
    if plain:
        fresh_plain(dsn)
        stmt = "insert into bench_plain (ev_type, ev_data) values ('type', 'data')"
    else:
        fresh_queue(dsn, "bench_q")
        stmt = "select pgq.insert_event('bench_q', 'type', 'data')"
    conn = connect(dsn, autocommit=False)
    cur = conn.cursor()

    def run() -> int:
        for _ in range(n):
            cur.execute(stmt)
        conn.commit()
        return n

    rate = timed(run)
    conn.close()
    return rate


def client_bulk(dsn: str, n: int, chunk: int = 1000) -> float:
    fresh_queue(dsn, "bench_q")
    conn = connect(dsn, autocommit=False)
    cur = conn.cursor()
    types = ["type"] * chunk
    datas = [f"payload {i}" for i in range(chunk)]

    def run() -> int:
        done = 0
        while done < n:
            cur.execute("select pgq.insert_event_bulk('bench_q', %s, %s)", (types, datas))
            done += chunk
        conn.commit()
        return done

    rate = timed(run)
    conn.close()
    return rate


def batch_read(dsn: str, n: int) -> float:
    fresh_queue(dsn, "bench_q")
    conn = connect(dsn)
    cur = conn.cursor()
    cur.execute("select pgq.register_consumer('bench_q', 'bench_c')")
    cur.execute(
        "select count(pgq.insert_event('bench_q', 'type', 'payload ' || g))"
        " from generate_series(1, %s) g",
        (n,),
    )
    cur.execute("select pgq.force_tick('bench_q')")
    cur.execute("select pgq.ticker('bench_q')")
    cur.execute("vacuum analyze")
    conn.autocommit = False

    def run() -> int:
        got = 0
        while True:
            cur.execute("select pgq.next_batch('bench_q', 'bench_c')")
            bid = cur.fetchone()[0]
            if bid is None:
                conn.commit()
                return got
            cur.execute("select ev_id, ev_type, ev_data from pgq.get_batch_events(%s)", (bid,))
            got += len(cur.fetchall())
            cur.execute("select pgq.finish_batch(%s)", (bid,))
            conn.commit()

    rate = timed(run)
    conn.close()
    return rate


AS_OWNER = "security definer"
AS_CALLER = "security invoker"


def trigger_loop(dsn: str, n: int) -> float:
    """Rows per second into a table with a logutriga (which calls insert_event(7))."""
    fresh_queue(dsn, "bench_q")
    conn = connect(dsn, autocommit=False)
    cur = conn.cursor()
    cur.execute("drop table if exists bench_cap")
    cur.execute("create table bench_cap (id int primary key, v text)")
    cur.execute(
        "create trigger c after insert on bench_cap for each row"
        " execute procedure pgq.logutriga('bench_q')"
    )
    conn.commit()

    def run() -> int:
        cur.execute(
            "insert into bench_cap select g, 'value ' || g from generate_series(1, %s) g", (n,)
        )
        conn.commit()
        return n

    rate = timed(run)
    conn.close()
    return rate


def owner_rights_cost(dsn: str, n: int, rep: int) -> None:
    """insert_event as owner (now) vs as caller (before writers lost their table rights)."""
    fns = ("pgq.insert_event(text, text, text)",
           "pgq.insert_event(text, text, text, text, text, text, text)")  # fmt: skip
    conn = connect(dsn)

    def switch(how: str) -> None:
        for fn in fns:
            conn.cursor().execute(f"alter function {fn} {how}")

    print("# what running insert_event with the owner's rights costs (interleaved, median)")
    for name, fn in (("insert_event, server-side loop", server_loop),
                     ("logutriga, insert of n rows", trigger_loop)):  # fmt: skip
        runs: dict[str, list[float]] = {"owner": [], "caller": []}
        for _ in range(rep):
            for how, key in ((AS_CALLER, "caller"), (AS_OWNER, "owner")):
                switch(how)
                runs[key].append(fn(dsn, n))
        switch(AS_OWNER)
        own, call = statistics.median(runs["owner"]), statistics.median(runs["caller"])
        print(f"{name:38} {own:12,.0f} as owner {call:12,.0f} as caller"
              f"   {own / call - 1:+.1%}", flush=True)  # fmt: skip
    conn.close()


# -- running ---------------------------------------------------------------------------
def pgq_extension_available(cluster) -> bool:
    sharedir = subprocess.run(
        [str(cluster.bindir / "pg_config"), "--sharedir"], capture_output=True, text=True
    ).stdout.strip()
    if not sharedir:
        sharedir = str(cluster.bindir.parent / "share")
    candidates = [Path(sharedir), Path("/usr/share/postgresql") / cluster.bindir.parent.name]
    return any((p / "extension" / "pgq.control").exists() for p in candidates)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="events per measurement")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dsn-ours", help="database with our PgQ (default: own cluster)")
    ap.add_argument("--dsn-orig", help="database with the C PgQ extension")
    ap.add_argument("--baseline-sql", help="another build of our PgQ to compare with (own cluster)")
    args = ap.parse_args()

    cluster = None
    ours, orig, base = args.dsn_ours, args.dsn_orig, None
    if ours is None:
        cluster = create_cluster()
        admin = connect(cluster.dsn())
        admin.cursor().execute("create database bench_ours")
        install(psycopg2.connect(cluster.dsn("bench_ours")))
        ours = cluster.dsn("bench_ours")
        if pgq_extension_available(cluster):
            admin.cursor().execute("create database bench_orig")
            connect(cluster.dsn("bench_orig")).cursor().execute("create extension pgq")
            orig = cluster.dsn("bench_orig")
        if args.baseline_sql:
            admin.cursor().execute("create database bench_base")
            base = cluster.dsn("bench_base")
            subprocess.run(
                [str(cluster.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1",
                 "-d", base, "-f", args.baseline_sql],
                check=True, capture_output=True,
            )  # fmt: skip
        admin.close()
    try:
        n, rep = args.n, args.repeat
        rt_n = max(1000, n // 10)
        rows = [
            ("insert_event, server-side loop", "events/s",
             lambda d: server_loop(d, n), lambda d: plain_server(d, n)),
            ("insert_event, one per transaction", "events/s",
             lambda d: transaction_loop(d, rt_n), lambda d: transaction_loop(d, rt_n, True)),
            ("insert_event, one round trip each", "events/s",
             lambda d: client_round_trips(d, rt_n), lambda d: client_round_trips(d, rt_n, True)),
            ("insert_event_bulk, 1000 per call", "events/s",
             lambda d: client_bulk(d, n), None),
            (f"read one {n}-event batch", "events/s",
             lambda d: batch_read(d, n), None),
        ]  # fmt: skip
        print(f"# n={n} repeat={rep} (median); orig = C PgQ extension in the same cluster")
        header = f"{'measurement':38} {'ours':>12} {'orig (C)':>12} {'ours/orig':>9} {'plain':>12}"
        print(header)
        print("-" * len(header))
        results = {}
        for name, unit, fn, plain_fn in rows:
            # interleave ours, orig and plain in every repeat, so load on the machine
            # hits all of them alike
            # (and in turn first: a run pays for the checkpoints of the run before)
            runs: dict[str, list[float]] = {"o": [], "c": [], "p": [], "b": []}
            todo: list[tuple[str, Callable[[str], float], str]] = [("o", fn, ours)]
            if orig is not None and "bulk" not in name:
                todo.append(("c", fn, orig))
            if plain_fn:
                todo.append(("p", plain_fn, ours))
            if base is not None:
                todo.append(("b", fn, base))
            for i in range(rep):
                for key, f, dsn in todo[i % len(todo) :] + todo[: i % len(todo)]:
                    runs[key].append(f(dsn))
            o, c, p, b = (statistics.median(runs[k]) if runs[k] else None for k in "ocpb")
            results[name] = (o, c, p)
            ratio = f"{o / c:8.2f}x" if c else f"{'-':>9}"
            cs = f"{c:12,.0f}" if c else f"{'-':>12}"
            ps = f"{p:12,.0f}" if p else f"{'-':>12}"
            bs = f"   baseline {b:,.0f} ({o / b - 1:+.1%})" if b else ""
            print(f"{name:38} {o:12,.0f} {cs} {ratio} {ps}   {unit}{bs}", flush=True)
        rt = results["insert_event, one round trip each"]
        bulk = results["insert_event_bulk, 1000 per call"][0]
        base = rt[1] or rt[0]
        print(f"# bulk insert vs one call per event: {bulk / base:.1f}x")
        if cluster is not None:
            owner_rights_cost(ours, n, rep)
    finally:
        if cluster is not None:
            cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
