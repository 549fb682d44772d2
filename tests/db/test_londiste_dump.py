"""LONDISTE ADD TABLE ... WITH from_dump: subscribers built from a pg_dump of the root.

Root and leaves on clusters of their own (txids differ per cluster, as in real life).
A writer commits small transactions on the root the whole time: each logs its number
``k`` once into ``ev`` (ids from a replicated bigserial) and upserts / deletes rows of
``t``.  One transaction is held open across the dump's snapshot (it began before,
commits after: its txid is in the snapshot's in-progress list) and must be replayed.
Then the leaf holds the root's rows (LONDISTE COMPARE) and ``ev`` every committed
``k`` exactly once; no table was copied (the copy's log line never appears).
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest

from engine.londiste import dump
from engine.londiste.admin import LondisteError
from engine.londiste.worker import Snapshot
from engine.pgcluster import Cluster, ClusterError, find_tool
from tests.db.daemon_util import PROJECT_ROOT, daemon_env, wait_for, write_ini
from tests.db.londiste_nodes import QUEUE, LNode, Ticker, prepare

try:
    find_tool("pg_dump")
    find_tool("pg_restore")
except ClusterError as _err:  # said, not hidden: the README's test command shows it
    pytest.skip(f"no pg_dump / pg_restore: {_err}", allow_module_level=True)

DDL = (
    "create table public.t (id int primary key, v text, n int);"
    " create table public.ev (id bigserial primary key, k int not null, at text);"
    " create index ev_k on public.ev (k)"
)
TABLES = ["public.t", "public.ev"]


class Writer:
    """Commits small transactions on the root; the k of each one committed."""

    def __init__(self, node: LNode) -> None:
        self.node = node
        self.committed: list[int] = []
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        rnd = random.Random(5)
        conn = psycopg2.connect(self.node.dsn)
        k = 1
        try:
            while not self.stop_event.is_set():
                with conn.cursor() as cur:
                    cur.execute("insert into ev (k, at) values (%s, 'w')", (k,))
                    for _ in range(rnd.randint(1, 4)):
                        key = rnd.randint(1, 500)
                        if rnd.random() < 0.75:
                            cur.execute(
                                "insert into t values (%s, %s, 1) on conflict (id) do update"
                                " set v = excluded.v, n = t.n + 1",
                                (key, f"w{k}"),
                            )
                        else:
                            cur.execute("delete from t where id = %s", (key,))
                conn.commit()
                self.committed.append(k)
                k += 1
                time.sleep(0.002)
        except BaseException as e:
            self.error = e
        finally:
            conn.close()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join()
        assert self.error is None, self.error


@pytest.fixture
def nodes(cluster_factory: Callable[..., Cluster], tmp_path: Path) -> Iterator[dict]:
    root = prepare(cluster_factory(install_modules=False), "db", "root")
    leaf = prepare(cluster_factory(install_modules=False), "db", "leaf")
    root.sql(DDL)
    root.sql(
        "insert into t select g, 'r' || g, 0 from generate_series(1, 500) g;"
        " insert into ev (k, at) select -g, 'before' from generate_series(1, 2000) g"
    )
    root.admin.create_root("root", root.dsn)
    root.admin.add_table(TABLES)
    leaf.admin.create_leaf("leaf", root.dsn, leaf.dsn)
    out = {"root": root, "leaf": leaf}
    ticker = Ticker([root])
    try:
        yield out
    finally:
        ticker.stop()
        for n in out.values():
            n.close()


def in_sync(root: LNode, sub: LNode) -> None:
    """Wait until sub has every table ok and has replayed the root's last tick."""
    wait_for(
        lambda: all(sub.state(t) == "ok" for t in TABLES),
        timeout=90,
        what=f"tables ok on {sub.name}",
    )
    root.sql("select pgq.force_tick(%s)", [QUEUE])
    time.sleep(0.3)
    top = root.scalar("select max(tick_id) from pgq.tick")
    wait_for(
        lambda: (
            (sub.scalar("select worker_last_tick from pgq_node.get_node_info(%s)", [QUEUE]) or 0)
            >= top
        ),
        timeout=60,
        what=f"{sub.name} at tick {top}",
    )


def check_equal(root: LNode, sub: LNode, committed: list[int]) -> None:
    results = sub.admin.compare()
    assert [r.table for r in results] == TABLES
    assert all(r.equal for r in results), results
    assert sub.rows("t") == root.rows("t")
    ks = [r[0] for r in sub.sql("select k from ev where k >= 0 order by k")]
    assert len(ks) == len(set(ks)), "a root transaction was applied twice"
    assert set(ks) == set(committed), set(committed) ^ set(ks)
    # the serial's sequence came along and is never behind the rows
    assert sub.scalar("select last_value from ev_id_seq") >= sub.scalar("select max(id) from ev")


def test_leaf_built_from_dump_under_writes(nodes: dict, tmp_path: Path) -> None:
    root, leaf = nodes["root"], nodes["leaf"]
    procs = [root.start(tmp_path), leaf.start(tmp_path)]
    writer = Writer(root)
    # a transaction open across the dump's snapshot: not in the dump, so replayed
    held = psycopg2.connect(root.dsn)
    with held.cursor() as cur:
        cur.execute("insert into ev (k, at) values (0, 'held')")
        cur.execute("insert into t values (100000, 'held', 0)")  # no key of the writer's
        cur.execute("select txid_current()")
        held_txid = cur.fetchone()[0]
    lines: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        if "dumped" in line and not held.closed:
            held.commit()
            held.close()

    leaf.admin.progress = progress
    try:
        wait_for(lambda: len(writer.committed) > 100, timeout=30, what="writes")
        assert leaf.admin.add_table(["t", "ev"], from_dump=True) == TABLES
        assert held.closed, lines
        snap = leaf.scalar(
            "select custom_snapshot from londiste.get_table_list(%s) where table_name = 'public.t'",
            [QUEUE],
        )
        # the held transaction was running at the snapshot: the case that must be replayed
        assert held_txid in Snapshot(snap).xip, snap
        in_sync(root, leaf)
        time.sleep(0.5)
    finally:
        if not held.closed:
            held.close()
        writer.stop()
    in_sync(root, leaf)
    check_equal(root, leaf, [0, *writer.committed])
    for p in procs:
        assert p.alive(), p.text()[-3000:]
    log = procs[1].text()
    assert "rows copied" not in log, log[-3000:]  # no initial COPY of any table
    assert "Traceback" not in log, log[-3000:]
    # the leaf's trigger is its own (deny), not the root's capture trigger
    trig = leaf.sql(
        "select tgname, encode(tgargs, 'escape') from pg_trigger"
        " where tgrelid = 'public.t'::regclass and not tgisinternal order by 1"
    )
    assert [name for name, _ in trig] == ["_londiste_lq", "_londiste_lq_truncate"], trig
    assert "deny" in trig[0][1]
    # the copy consumers and the dump's hold are gone from the root
    names = [r[0] for r in root.sql("select consumer_name from pgq.get_consumer_info(%s)", [QUEUE])]
    assert not [n for n in names if ".dump" in n], names
    wait_for(
        lambda: (
            not [
                r
                for r in root.sql("select consumer_name from pgq.get_consumer_info(%s)", [QUEUE])
                if ".copy." in r[0]
            ]
        ),
        timeout=30,
        what="copy consumers gone",
    )


def rotate_until_gone(root: LNode, tick: int) -> None:
    """Rotate the root's queue until the tick is deleted (consumers keep moving)."""
    root.sql("select pgq.set_queue_config(%s, 'rotation_period', '0')", [QUEUE])
    conn = psycopg2.connect(root.dsn)
    conn.autocommit = True
    try:
        deadline = time.monotonic() + 60
        with conn.cursor() as cur:
            while True:
                cur.execute("select 1 from pgq.tick where tick_id = %s", (tick,))
                if cur.fetchone() is None:
                    return
                assert time.monotonic() < deadline, "the tick was never rotated away"
                cur.execute("select pgq.force_tick(%s)", (QUEUE,))
                time.sleep(0.2)
                cur.execute("select pgq.maint_rotate_tables_step1(%s)", (QUEUE,))
                cur.execute("select pgq.maint_rotate_tables_step2()")
    finally:
        conn.close()


def cli(ini: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "engine.londiste", str(ini), *args],
        capture_output=True,
        text=True,
        cwd=str(PROJECT_ROOT),
        env=daemon_env(),
        timeout=180,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == code, proc.stdout + proc.stderr
    return proc


def test_one_dump_two_leaves_then_refused_when_rotated(
    nodes: dict, cluster_factory: Callable[..., Cluster], tmp_path: Path
) -> None:
    root, leaf = nodes["root"], nodes["leaf"]
    archive = str(tmp_path / "tables.dump")
    procs = [root.start(tmp_path), leaf.start(tmp_path)]
    writer = Writer(root)
    try:
        wait_for(lambda: len(writer.committed) > 50, timeout=30, what="writes")
        leaf.admin.add_table(["t", "ev"], from_dump=True, dump_file=archive)
        info = dump.read_info(archive)
        # a second leaf, made after the dump (its worker's position is later than the
        # dump's tick), joins from the same file through londiste3's door
        leaf2 = prepare(cluster_factory(install_modules=False), "db", "leaf2")
        nodes["leaf2"] = leaf2
        leaf2.admin.create_leaf("leaf2", root.dsn, leaf2.dsn)
        procs.append(leaf2.start(tmp_path))
        time.sleep(0.5)
        ini = write_ini(
            tmp_path / "leaf2-door.ini", "londiste3", {"db": leaf2.dsn, "queue_name": QUEUE}
        )
        out = cli(ini, "add-table", "t", "ev", "--from-dump", f"--dump-file={archive}")
        assert "catching up from tick" in out.stdout + out.stderr
        time.sleep(0.5)
    finally:
        writer.stop()
    for sub in (leaf, leaf2):
        in_sync(root, sub)
        check_equal(root, sub, writer.committed)
    for p in procs:
        assert p.alive(), p.text()[-3000:]
    # the dump's tick rotated away: a third subscriber is refused, nothing is left behind
    rotate_until_gone(root, info.tick)
    leaf3 = prepare(cluster_factory(install_modules=False), "db", "leaf3")
    nodes["leaf3"] = leaf3
    leaf3.admin.create_leaf("leaf3", root.dsn, leaf3.dsn)
    with pytest.raises(LondisteError, match=r"no longer has the events after the dump's tick"):
        leaf3.admin.add_table(["t", "ev"], from_dump=True, dump_file=archive)
    assert leaf3.scalar("select count(*) from pg_class where relname in ('t', 'ev')") == 0
    assert (
        leaf3.scalar("select count(*) from londiste.get_table_list(%s) where local", [QUEUE]) == 0
    )
    names = [r[0] for r in root.sql("select consumer_name from pgq.get_consumer_info(%s)", [QUEUE])]
    assert not [n for n in names if n.startswith("leaf3.")], names


def test_refusals_leave_the_leaf_as_it_was(nodes: dict, tmp_path: Path) -> None:
    root, leaf = nodes["root"], nodes["leaf"]
    with pytest.raises(LondisteError, match="is the root"):
        root.admin.add_table(["t"], from_dump=True)
    with pytest.raises(LondisteError, match="from_dump does not go with dest_table"):
        leaf.admin.add_table(["t"], from_dump=True, dest_table="x")
    with pytest.raises(LondisteError, match=r'table "public\.nope" is not replicated'):
        leaf.admin.add_table(["nope"], from_dump=True)
    leaf.sql("create table public.t (id int primary key)")
    with pytest.raises(LondisteError, match=r'table "public\.t" exists on node "leaf"'):
        leaf.admin.add_table(["t"], from_dump=True)
    leaf.sql("drop table public.t")
    # a restore that fails half-way (ev restores, then t's data breaks) rolls back whole
    archive = str(tmp_path / "x.dump")
    leaf.admin.add_table(["t", "ev"], from_dump=True, dump_file=archive)
    leaf.admin.remove_table(["t", "ev"])
    leaf.sql("drop table public.t, public.ev")
    broken = tmp_path / "broken.dump"
    data = Path(archive).read_bytes()
    broken.write_bytes(data[: len(data) * 2 // 3])
    Path(str(broken) + dump.META_SUFFIX).write_text(
        Path(archive + dump.META_SUFFIX).read_text().replace(archive, str(broken))
    )
    consumers = "select consumer_name, last_tick from pgq.get_consumer_info(%s) order by 1"
    before = root.sql(consumers, [QUEUE])
    with pytest.raises(LondisteError, match=r"^pg_restore: .*(error|invalid|unexpected)"):
        leaf.admin.add_table(["t", "ev"], from_dump=True, dump_file=str(broken))
    assert leaf.scalar("select count(*) from pg_class where relname in ('t', 'ev')") == 0
    assert not leaf.sql("select 1 from londiste.get_table_list(%s) where local", [QUEUE])
    assert root.sql(consumers, [QUEUE]) == before
    # a statement of the restore fails here (the serial's sequence exists): the
    # server's message, and nothing of the restore is left
    leaf.sql("create sequence public.ev_id_seq")
    with pytest.raises(LondisteError, match=r'restore: relation "ev_id_seq" already exists'):
        leaf.admin.add_table(["t", "ev"], from_dump=True, dump_file=archive)
    assert leaf.scalar("select count(*) from pg_class where relname in ('t', 'ev')") == 0
    assert not leaf.sql("select 1 from londiste.get_table_list(%s) where local", [QUEUE])
    assert root.sql(consumers, [QUEUE]) == before
    leaf.sql("drop sequence public.ev_id_seq")
    # not a dump of ours
    (tmp_path / "x.sql").write_text("select 1;")
    with pytest.raises(LondisteError, match="only a dump made by from_dump"):
        leaf.admin.add_table(["t", "ev"], from_dump=True, dump_file=str(tmp_path / "x.sql"))


def test_console_add_table_with_from_dump(nodes: dict) -> None:
    from tests.db.test_console_nodes import Console

    root, leaf = nodes["root"], nodes["leaf"]
    con = Console(leaf.dsn, QUEUE)
    try:
        out = con.run("londiste add table t with from_dump, dest_table=x;", ok=False)
        assert "from_dump does not go with dest_table" in out and "Traceback" not in out
        assert len([ln for ln in out.splitlines() if ln.startswith("ERROR")]) == 1, out
        out = con.run("londiste add table t, ev with from_dump;")
        assert "dumped 2 tables at tick" in out and "ADD TABLE" in out, out
        rows = con.rows("londiste show tables")
        assert [(r["table"], r["state"]) for r in rows] == [
            ("public.t", "catching-up"),
            ("public.ev", "catching-up"),
        ]
        # the rows are there before any replay: the dump's
        assert leaf.scalar("select count(*) from t") == root.scalar("select count(*) from t")
    finally:
        con.close()
