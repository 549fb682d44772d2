#!/usr/bin/env python3
"""Londiste benchmark: initial copy of a table until in sync, then applying row changes.

The reference workload (the one /work/shared/bench/bench_londiste_original.sh
runs on the original): a root database bench_src and a leaf bench_dst in one
cluster, one queue, table bench_tbl (id int primary key, name text, val numeric,
ts timestamptz) with --rows rows.

- copy: the table is added on the root and on the leaf with both workers running;
  time until the leaf's table is ``ok`` (copy, catching up, hand-over);
- apply: --changes row changes in transactions of --per-txn (1/2 inserts, 1/4
  updates, 1/4 deletes, the original script's DO block), time from the first
  change until the leaf's count/sum/length summary equals the root's (the
  original script's figure: it includes the root's trigger time);
- replay alone (ours): the same number of changes made while the leaf's worker
  is stopped, then the time from starting it until the leaf is equal.

Ours: python -m engine.londiste.worker for both nodes, the queue ticked every
0.1 s by a thread (``pgq.ticker``; ticker_max_lag / ticker_idle_period 0.5 s, so
the copy handshake is not held up by the 60 s idle default).  The SQL is ours
(sql/londiste) when the tree has it, else the installed original extensions.
With --original (default when /usr/bin/londiste and pgqd exist), the original
script runs in a second cluster in the same run and its figures are printed beside.
PostgreSQL's built-in logical replication runs the same workload
(/work/shared/bench/bench_logical.sh, in a third cluster with wal_level=logical)
unless --no-logical.

The apply figure counts from the first change on the root, so the root's own time
(the DO block with the capture triggers, "source time") is inside it; "after the
source" is the rest: the tick latency and the replay left when the root is done.

Usage: python bench/bench_londiste.py [--rows 100000] [--changes 100000] [--per-txn 1000]
       [--no-original] [--no-logical]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
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

Q = "bench_replika"
ORIGINAL_SCRIPT = Path("/work/shared/bench/bench_londiste_original.sh")
LOGICAL_SCRIPT = Path("/work/shared/bench/bench_logical.sh")
REFERENCE = {"copy": "~21 s", "apply": "~20,000 changes/s"}
TABLE_DDL = (
    "create table public.bench_tbl (id int primary key, name text not null, val numeric,"
    " ts timestamptz not null default now())"
)
SUMMARY = (
    "select count(*) || ':' || coalesce(sum(val), 0) || ':' || coalesce(sum(length(name)), 0)"
    " from bench_tbl"
)


def q1(dsn: str, query: str, args: Any = None) -> Any:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchone() if cur.description else None
    finally:
        conn.close()


def api(dsn: str, query: str, args: Any = None) -> None:
    row = q1(dsn, query, args)
    if row is not None and isinstance(row[0], int) and row[0] >= 300:
        raise SystemExit(f"{query}: {row}")


def setup_db(cluster: Any, name: str) -> str:
    q1(cluster.dsn("postgres"), f'create database "{name}"')
    dsn = cluster.dsn(name)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        if (ROOT / "sql" / "londiste").is_dir():
            install(conn, ["londiste"])
        else:
            with conn.cursor() as cur:
                cur.execute("create extension pgq; create extension pgq_node;")
                cur.execute("create extension londiste")
        with conn.cursor() as cur:
            cur.execute(TABLE_DDL)
    finally:
        conn.close()
    return dsn


def make_nodes(src: str, dst: str) -> None:
    reg = "select ret_code from pgq_node.register_location(%s, %s, %s, false)"
    api(src, reg, (Q, "src_node", src))
    api(
        src,
        "select ret_code from pgq_node.create_node(%s, 'root', 'src_node', 'src_w',"
        " null, null, null)",
        (Q,),
    )
    for key, value in (("ticker_max_lag", "0.5 s"), ("ticker_idle_period", "0.5 s")):
        q1(src, "select pgq.set_queue_config(%s, %s, %s)", (Q, key, value))
    api(src, reg, (Q, "dst_node", dst))
    gwm = q1(
        src,
        "select global_watermark from pgq_node.register_subscriber(%s, 'dst_node', 'dst_w', null)",
        (Q,),
    )[0]
    api(dst, reg, (Q, "src_node", src))
    api(dst, reg, (Q, "dst_node", dst))
    api(
        dst,
        "select ret_code from pgq_node.create_node(%s, 'leaf', 'dst_node', 'dst_w',"
        " 'src_node', %s, null)",
        (Q, gwm),
    )


def start_worker(tmp: Path, name: str, dsn: str) -> subprocess.Popen[bytes]:
    ini = tmp / f"{name}.ini"
    ini.write_text(
        f"[londiste3]\njob_name = {name}\ndb = {dsn}\nqueue_name = {Q}\nloop_delay = 0.1\n"
        f"pidfile = {tmp}/{name}.pid\nexception_sleep = 1\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    log = open(tmp / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(
        [sys.executable, "-m", "engine.londiste.worker", str(ini)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(ROOT),
    )


def ticker(dsn: str, stop: threading.Event) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        while not stop.wait(0.1):
            cur.execute("select pgq.ticker(%s)", (Q,))
    conn.close()


def change_sql(rows: int, changes: int, per_txn: int, second: bool = False) -> str:
    """The original script's change stream; second: new ids, deletes the first one's inserts."""
    ntx, ni, nu = changes // per_txn, per_txn // 2, per_txn // 4
    nd = per_txn - ni - nu
    ins_base, del_base = (10 * rows, rows) if second else (rows, rows // 2)
    return f"""do $$
declare k int;
begin
  for k in 0 .. {ntx} - 1 loop
    insert into bench_tbl (id, name, val)
      select {ins_base} + k * {ni} + g, 'new ' || g, g from generate_series(1, {ni}) g;
    update bench_tbl set val = val + 1, name = name || '+'
      where id > k * {nu} and id <= (k + 1) * {nu};
    delete from bench_tbl where id > {del_base} + k * {nd} and id <= {del_base} + (k + 1) * {nd};
    commit;
  end loop;
end $$"""


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy (all cores, /proc/stat).

    Read before and after a phase: with every process of the run on this machine
    (both nodes' backends, the workers, the ticker), the difference is the phase's
    CPU cost, and wall time >= that cost / cores is the phase's floor here.
    """
    ticks = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def wait(pred: Any, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise SystemExit(f"timeout waiting for {what}")
        time.sleep(0.05)


def run_ours(args: argparse.Namespace) -> dict[str, float]:
    cluster = create_cluster()
    tmp = Path(tempfile.mkdtemp(prefix="bench-londiste-"))
    procs: list[subprocess.Popen[bytes]] = []
    stop = threading.Event()
    try:
        src, dst = setup_db(cluster, "bench_src"), setup_db(cluster, "bench_dst")
        q1(
            src,
            "insert into bench_tbl (id, name, val) select g, 'row ' || g, g * 1.5"
            " from generate_series(1, %s) g",
            (args.rows,),
        )
        make_nodes(src, dst)
        threading.Thread(target=ticker, args=(src, stop), daemon=True).start()
        procs = [start_worker(tmp, "src_w", src), start_worker(tmp, "dst_w", dst)]
        time.sleep(1.5)
        t0 = time.monotonic()
        flags = [f"tgflags={args.trigger_flags}"] if args.trigger_flags else []
        api(
            src,
            "select ret_code from londiste.local_add_table(%s, 'public.bench_tbl', %s::text[])",
            (Q, flags),
        )
        api(dst, "select ret_code from londiste.global_add_table(%s, 'public.bench_tbl')", (Q,))
        api(dst, "select ret_code from londiste.local_add_table(%s, 'public.bench_tbl')", (Q,))

        phases: dict[str, float] = {}  # when the leaf's table was first seen in each state

        def in_sync() -> bool:
            for p in procs:
                if p.poll() is not None:
                    raise SystemExit(f"worker died: {(tmp / 'dst_w.log').read_text()[-2000:]}")
            row = q1(
                dst,
                "select merge_state from londiste.get_table_list(%s)"
                " where table_name = 'public.bench_tbl'",
                (Q,),
            )
            state = (row[0] or "missing").split(":")[0] if row else "missing"
            phases.setdefault(state, time.monotonic() - t0)
            return state == "ok"

        wait(in_sync, 600, "the copy")
        copy_s = time.monotonic() - t0
        print(
            "# copy phases (s since add-table): "
            + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()),
            file=sys.stderr,
        )
        n = q1(dst, "select count(*) from bench_tbl")[0]
        if n != args.rows:
            print(f"# WARNING: {n} rows on the leaf after the copy", file=sys.stderr)
        c2, t2 = busy_cpu_seconds(), time.monotonic()
        q1(src, change_sql(args.rows, args.changes, args.per_txn))
        t3 = time.monotonic()
        want = q1(src, SUMMARY)[0]
        wait(lambda: q1(dst, SUMMARY)[0] == want, 600, "the changes")
        t4, c4 = time.monotonic(), busy_cpu_seconds()
        # replay alone: the leaf's worker stopped while the root changes, then started
        procs[1].terminate()
        procs[1].wait()
        c_src = busy_cpu_seconds()
        q1(src, change_sql(args.rows, args.changes, args.per_txn, second=True))
        c5 = busy_cpu_seconds()
        want = q1(src, SUMMARY)[0]
        t5 = time.monotonic()
        procs[1] = start_worker(tmp, "dst_w", dst)
        wait(lambda: q1(dst, SUMMARY)[0] == want, 600, "the changes (replay alone)")
        t6, c6 = time.monotonic(), busy_cpu_seconds()
        return {
            "apply_cpu": c4 - c2,
            "source_cpu": c5 - c_src,
            "replay_cpu": c6 - c5,
            "replay_s": t6 - t5,
            "replay_rate": args.changes / (t6 - t5),
            "copy_s": copy_s,
            "source_s": t3 - t2,
            "apply_total_s": t4 - t2,
            "apply_rate": args.changes / (t4 - t2),
        }
    finally:
        stop.set()
        for p in procs:
            p.kill()
            p.wait()
        for pf in tmp.glob("*.pid.copy.*"):
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pf.read_text().split()[0]), 9)
        cluster.destroy() if hasattr(cluster, "destroy") else cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run_script(
    args: argparse.Namespace, script: Path, settings: dict[str, str] | None = None
) -> dict[str, str]:
    """Run a reference script (``name value unit`` lines) on a cluster of its own."""
    cluster = create_cluster(settings=settings)
    try:
        env = dict(
            os.environ,
            PGPORT=str(cluster.port),
            ROWS=str(args.rows),
            CHANGES=str(args.changes),
            PER_TXN=str(args.per_txn),
        )
        res = subprocess.run(
            ["bash", str(script)], env=env, capture_output=True, text=True, timeout=1200
        )
        out = {}
        for line in res.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3:
                out[parts[0]] = parts[1]
        if not out:
            print(f"# {script.name} failed: {res.stderr[-1500:]}", file=sys.stderr)
        return out
    finally:
        cluster.destroy() if hasattr(cluster, "destroy") else cluster.stop()


def run_original(args: argparse.Namespace) -> dict[str, str]:
    return run_script(args, ORIGINAL_SCRIPT)


def run_logical(args: argparse.Namespace) -> dict[str, str]:
    """The built-in logical replication, publisher and subscriber in one cluster."""
    return run_script(
        args,
        LOGICAL_SCRIPT,
        {"wal_level": "logical", "max_replication_slots": "10", "max_wal_senders": "10"},
    )


def _after(out: dict[str, str], prefix: str) -> str:
    """Seconds from the end of the source's changes until equal, from a script's output."""
    try:
        total = float(out[f"{prefix}_changes_total_seconds"])
        source = float(out[f"{prefix}_changes_source_seconds"])
    except (KeyError, ValueError):
        return "-"
    return f"{total - source:.2f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--changes", type=int, default=100_000)
    p.add_argument("--per-txn", type=int, default=1000)
    p.add_argument("--no-original", action="store_true")
    p.add_argument("--no-logical", action="store_true")
    p.add_argument(
        "--trigger-flags",
        default="",
        help="the root's add-table trigger_flags, e.g. T for statement-level capture",
    )
    args = p.parse_args()
    ours = run_ours(args)
    orig: dict[str, str] = {}
    if (
        not args.no_original
        and ORIGINAL_SCRIPT.exists()
        and shutil.which("londiste")
        and shutil.which("pgqd")
    ):
        orig = run_original(args)
    lr: dict[str, str] = {}
    if not args.no_logical and LOGICAL_SCRIPT.exists():
        lr = run_logical(args)
    capture = f"trigger_flags={args.trigger_flags}" if args.trigger_flags else "row trigger"
    print(f"# ours: capture on the root with {capture}")
    print(f"{'metric':40} {'ours':>10} {'original':>10} {'logical':>10} {'reference':>18}")

    def line(name: str, value: str, o: str = "-", lg: str = "-", ref: str = "") -> None:
        print(f"{name:40} {value:>10} {o:>10} {lg:>10} {ref:>18}")

    line(
        "initial copy until in sync (s)",
        f"{ours['copy_s']:.2f}",
        orig.get("londiste_initial_copy_seconds", "-"),
        lr.get("logical_initial_copy_seconds", "-"),
        f"{REFERENCE['copy']} / 0.30 s",
    )
    line(
        "apply rate (changes/s)",
        f"{ours['apply_rate']:,.0f}",
        orig.get("londiste_changes_apply_rate", "-"),
        lr.get("logical_changes_apply_rate", "-"),
        "~20,000 / ~131k",
    )
    line(
        "changes: source time (s)",
        f"{ours['source_s']:.2f}",
        orig.get("londiste_changes_source_seconds", "-"),
        lr.get("logical_changes_source_seconds", "-"),
    )
    line(
        "changes: until equal (s)",
        f"{ours['apply_total_s']:.2f}",
        orig.get("londiste_changes_total_seconds", "-"),
        lr.get("logical_changes_total_seconds", "-"),
    )
    line(
        "changes: after the source (s)",
        f"{ours['apply_total_s'] - ours['source_s']:.2f}",
        _after(orig, "londiste"),
        _after(lr, "logical"),
    )
    line("replay alone, worker start incl. (ch/s)", f"{ours['replay_rate']:,.0f}")
    line("replay alone (s)", f"{ours['replay_s']:.2f}")
    cores = os.cpu_count() or 1
    print(f"# CPU seconds, machine-wide ({cores} cores): what each phase costs here")
    line("CPU: apply, until equal (cpu-s)", f"{ours['apply_cpu']:.2f}")
    line("CPU: source alone, leaf stopped (cpu-s)", f"{ours['source_cpu']:.2f}")
    line("CPU: replay alone (cpu-s)", f"{ours['replay_cpu']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
