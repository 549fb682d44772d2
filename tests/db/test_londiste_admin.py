"""Londiste administration on a real two-node cascade (root and branch databases).

The nodes are databases of a throwaway cluster with the original Londiste (the
distribution's extensions) until ours is installed by ``INSTALL londiste``; nodes are
created with the cascade admin, tables and sequences registered with LondisteAdmin.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from engine import install as installer
from engine.cascade.admin import CascadeAdmin
from engine.londiste.admin import LondisteAdmin, LondisteError, parse_execute_attrs
from engine.pgcluster import Cluster
from tests.db.daemon_util import Proc, run_sql, wait_for, write_ini

QUEUE = "lq"
OURS = "londiste" in installer.MODULES


def prepare(cluster: Cluster, dbname: str) -> None:
    admin = psycopg2.connect(cluster.dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{dbname}"')
    admin.close()
    conn = psycopg2.connect(cluster.dsn(dbname))
    conn.autocommit = True
    try:
        if OURS:
            installer.install(conn, ["pgq", "pgq_node", "londiste"])
        else:
            with conn.cursor() as cur:
                for ext in ("pgq", "pgq_node", "londiste"):
                    cur.execute(f"create extension if not exists {ext}")
    finally:
        conn.close()


@dataclass
class Set:
    cluster: Cluster
    admins: dict[str, LondisteAdmin] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def dsn(self, node: str) -> str:
        return self.cluster.dsn(node)

    def admin(self, node: str) -> LondisteAdmin:
        if node not in self.admins:
            self.admins[node] = LondisteAdmin(
                self.cluster.conn_info(node), QUEUE, progress=self.lines.append, wait_timeout=30
            )
        return self.admins[node]

    def sql(self, node: str, query: str, args: object = None) -> list[tuple]:
        return run_sql(self.dsn(node), query, args)


@pytest.fixture
def lset(cluster_factory: Callable[..., Cluster]) -> Iterator[Set]:
    cluster = cluster_factory(install_modules=False)
    s = Set(cluster)
    for node in ("root", "branch"):
        prepare(cluster, node)
    for node in ("root", "branch"):
        s.sql(
            node,
            "create table public.t1 (id int primary key, v text);"
            " create table public.t2 (id int primary key, v text);"
            " create table public.nopk (v text);"
            " create sequence public.s1;",
        )
    s.sql("root", "create table public.only_root (id int primary key, v text, w int not null)")
    s.sql("root", "create index only_root_w on public.only_root (w)")
    CascadeAdmin(cluster.conn_info("root"), QUEUE).create_root("root", s.dsn("root"))
    s.admin("branch").create_branch("branch", s.dsn("root"), s.dsn("branch"))
    try:
        yield s
    finally:
        for a in s.admins.values():
            a.close()


def states(s: Set, node: str) -> dict[str, str]:
    return {t.name: t.state for t in s.admin(node).tables()}


def test_root_add_table_registers_and_triggers(lset: Set) -> None:
    root = lset.admin("root")
    assert root.add_table(["t1"]) == ["public.t1"]
    assert states(lset, "root") == {"public.t1": "ok"}
    trig = lset.sql("root", "select tgname from pg_trigger where tgrelid = 'public.t1'::regclass")
    assert any(name.startswith("_londiste_") for (name,) in trig)
    # the branch learns the set through the queue; here it is added by hand like the worker
    lset.sql("branch", "select londiste.global_add_table(%s, 'public.t1')", [QUEUE])
    missing = lset.admin("branch").missing()
    assert ("table", "public.t1") in missing.rows


def test_root_add_glob_and_all(lset: Set) -> None:
    root = lset.admin("root")
    assert root.add_table(["t*"]) == ["public.t1", "public.t2"]
    added = root.add_table(["ALL"], no_triggers=True)
    assert "public.only_root" in added and "public.t1" not in added
    with pytest.raises(LondisteError, match="no table matches"):
        root.add_table(["zz*"])


def test_add_table_without_pkey_names_the_server_message(lset: Set) -> None:
    with pytest.raises(LondisteError, match=r"(?i)primary key|pkey"):
        lset.admin("root").add_table(["nopk"])


def test_unknown_option_refused(lset: Set) -> None:
    with pytest.raises(LondisteError, match="unknown add-table option"):
        lset.admin("root").add_table(["t1"], colour="red")


def _publish(lset: Set, *tables: str) -> None:
    lset.admin("root").add_table(list(tables))
    for t in tables:
        lset.sql("branch", "select londiste.global_add_table(%s, %s)", [QUEUE, t])


def test_branch_add_needs_table_on_provider(lset: Set) -> None:
    _publish(lset, "public.t1")
    br = lset.admin("branch")
    with pytest.raises(LondisteError, match="not replicated on provider"):
        br.add_table(["t2"])
    assert br.add_table(["t1"], handler="londiste", handler_args={"encoding": "utf8"}) == [
        "public.t1"
    ]
    (t,) = br.tables()
    assert t.state == "copy-needed" and t.lag is None
    assert t.handler == "londiste(encoding=utf8)"
    assert br.missing().rows == ()
    # branch triggers exist (a branch's tables feed its own queue)
    br.change_handler("t1", "bulk", {"method": "1"})
    assert br.tables()[0].handler == "bulk(method=1)"
    with pytest.raises(LondisteError, match="not added"):
        br.change_handler("t2", "bulk")


def test_branch_expect_sync_and_attrs(lset: Set) -> None:
    _publish(lset, "public.t1")
    br = lset.admin("branch")
    br.add_table(
        ["t1"], expect_sync=True, skip_truncate=True, copy_condition="id > 5", skip_serial=True
    )
    (t,) = br.tables()
    assert t.state == "ok"
    assert "skip_truncate=1" in (t.attrs or "") and "copy_condition=id+%3E+5" in (t.attrs or "")
    br.wait_sync(timeout=5)
    br.resync(["t1"])
    assert states(lset, "branch") == {"public.t1": "copy-needed"}
    with pytest.raises(LondisteError, match="not in sync within"):
        br.wait_sync(timeout=0.5)
    assert br.remove_table(["t1"]) == ["public.t1"]
    assert br.tables() == []


def test_branch_create_from_provider(lset: Set) -> None:
    _publish(lset, "public.only_root")
    br = lset.admin("branch")
    br.add_table(["only_root"], create_full=True)
    cols = lset.sql(
        "branch",
        "select attname, attnotnull from pg_attribute where attrelid = 'public.only_root'::regclass"
        " and attnum > 0 order by attnum",
    )
    assert cols == [("id", True), ("v", False), ("w", True)]
    idx = lset.sql(
        "branch", "select indexname from pg_indexes where tablename = 'only_root' order by 1"
    )
    assert ("only_root_w",) in idx


def test_resync_on_root_refused(lset: Set) -> None:
    lset.admin("root").add_table(["t1"])
    with pytest.raises(LondisteError, match="root"):
        lset.admin("root").resync(["t1"])


def test_sequences(lset: Set) -> None:
    root = lset.admin("root")
    assert root.add_seq(["s*"]) == ["public.s1"]
    assert root.seqs().rows[0][:2] == ("public.s1", True)
    br = lset.admin("branch")
    # the branch gets the set's sequences through the queue (update-seq events)
    lset.sql("branch", "select londiste.global_update_seq(%s, 'public.s1', 100)", [QUEUE])
    assert br.missing().rows == (("sequence", "public.s1"),)
    assert br.add_seq(["ALL"]) == ["public.s1"]
    assert br.missing().rows == ()
    assert br.remove_seq(["public.s1"]) == ["public.s1"]
    assert root.remove_seq(["s1"]) == ["public.s1"]
    assert root.seqs().rows == ()


def test_remove_table_on_root(lset: Set) -> None:
    root = lset.admin("root")
    root.add_table(["t1", "t2"])
    assert root.remove_table(["t1"]) == ["public.t1"]
    assert set(states(lset, "root")) == {"public.t2"}
    with pytest.raises(LondisteError, match="no added table matches"):
        root.remove_table(["x*"])


def test_status_and_fkeys(lset: Set) -> None:
    lset.admin("root").add_table(["t1"])
    st = lset.admin("root").londiste_status()
    assert {"pgq", "pgq_node", "londiste"} <= set(st["modules"])
    assert st["tables_ok"] == ["public.t1"] and st["copy"] == []
    _publish(lset, "public.t2")
    lset.admin("branch").add_table(["t2"])
    st = lset.admin("branch").londiste_status()
    assert st["tables_pending"] == ["public.t2"]
    # freshly registered: its provider saw it less than a minute ago
    assert st["replay"] in ("running", "not started")
    assert lset.admin("root").londiste_status()["replay"] == "root (no replay)"
    assert lset.admin("branch").fkeys().rows == ()
    assert lset.admin("branch").fkeys(restore=True).rows == ()


def test_execute_on_root_and_wait_refusal(lset: Set, tmp_path: object) -> None:
    from pathlib import Path

    f = Path(str(tmp_path)) / "ddl1.sql"
    f.write_text("--*-- Local-Table: public.t1\nalter table public.t1 add column x int;\n")
    assert parse_execute_attrs(f.read_text()) == {"Local-Table": ["public.t1"]}
    with pytest.raises(LondisteError, match="no root"):
        lset.admin("branch").execute([str(f)])
    # Local-Table: runs where the table is registered (the root too)
    lset.admin("root").add_table(["t1"])
    assert lset.admin("root").execute([str(f)]) == ["ddl1.sql"]
    assert lset.sql("root", "select count(*) from pg_attribute where attname = 'x'")[0][0] == 1
    # the second run skips it
    assert lset.admin("root").execute([str(f)]) == []
    # DDL on a table a member is still copying is refused before anything runs
    _publish(lset, "public.t2")
    lset.admin("branch").add_table(["t2"])
    g = Path(str(tmp_path)) / "ddl2.sql"
    g.write_text("--*-- Local-Table: t2\nalter table public.t2 add column y int;\n")
    with pytest.raises(LondisteError, match=r'node "branch" is still copying table "public\.t2"'):
        lset.admin("root").execute([str(g)])
    assert lset.sql("root", "select count(*) from pg_attribute where attname = 'y'")[0][0] == 0
    # a file naming no table may touch any: refused as well
    h = Path(str(tmp_path)) / "ddl3.sql"
    h.write_text("alter table public.t1 add column z int;\n")
    with pytest.raises(LondisteError, match=r'node "branch" is still copying table "public\.t2"'):
        lset.admin("root").execute([str(h)])
    with pytest.raises(LondisteError, match="cannot read"):
        lset.admin("root").execute([str(f) + ".missing"])


def test_compare_and_repair_at_sync_point(lset: Set) -> None:
    """Without a worker the branch never reaches the root's new tick: simulate it by
    setting the branch's position forward, as its worker would after applying."""
    _publish(lset, "public.t1")
    lset.admin("branch").add_table(["t1"], expect_sync=True)
    lset.sql("root", "insert into public.t1 select g, 'v' || g from generate_series(1, 20) g")
    lset.sql(
        "branch",
        "set session_replication_role = replica;"
        " insert into public.t1 select g, 'v' || g from generate_series(1, 18) g;"
        " update public.t1 set v = 'bad' where id = 3",
    )
    br = lset.admin("branch")
    br.poll_interval = 0.05

    import threading

    stop = threading.Event()

    def fake_worker() -> None:
        # the position the branch's worker would reach: the root's top tick
        while not stop.is_set():
            tick = lset.sql("root", "select max(tick_id) from pgq.tick")[0][0]
            lset.sql(
                "branch",
                "update pgq_node.local_state set last_tick_id = %s"
                " where queue_name = %s and last_tick_id < %s",
                [tick, QUEUE, tick],
            )
            stop.wait(0.1)

    t = threading.Thread(target=fake_worker, daemon=True)
    t.start()
    try:
        (c,) = br.compare(["t1"])
        assert (c.provider_count, c.local_count) == (20, 18) and not c.equal
        (cnt,) = br.compare(count_only=True)
        assert cnt.provider_hash is None
        (r,) = br.repair(["t1"])
        assert not r.applied and len(r.statements) == 3
        assert any(s.startswith("update only") for s in r.statements)
        (r,) = br.repair(["t1"], apply=True)
        assert r.applied
        (c,) = br.compare(["t1"])
        assert c.equal
    finally:
        stop.set()
        t.join()


# -- end to end, with the Londiste worker (engine.londiste.worker) ---------------------------


def _worker(s: Set, node: str, tmp: Path) -> Proc:
    ini = write_ini(
        tmp / f"{node}.ini",
        "londiste3",
        {
            "job_name": node,
            "db": s.dsn(node),
            "queue_name": QUEUE,
            "loop_delay": 0.1,
            "exception_sleep": 0.3,
            "pidfile": str(tmp / f"{node}.pid"),
        },
    )
    # through londiste3's door: CONFIG.ini worker
    return Proc("engine.londiste", [str(ini), "worker"], tmp / f"{node}.log")


def _ticker(s: Set, stop: threading.Event) -> None:
    conn = psycopg2.connect(s.dsn("root"))
    conn.autocommit = True
    try:
        while not stop.wait(0.2):
            with conn.cursor() as cur:
                cur.execute("select pgq.ticker(%s)", [QUEUE])
    finally:
        conn.close()


@pytest.mark.skipif(not OURS, reason="the worker runs on our londiste SQL")
def test_add_table_copies_then_compare_execute_wait(lset: Set, tmp_path: Path) -> None:
    lset.sql("root", "insert into public.t1 select g, 'v' || g from generate_series(1, 500) g")
    stop = threading.Event()
    ticker = threading.Thread(target=_ticker, args=(lset, stop), daemon=True)
    ticker.start()
    procs = [_worker(lset, "root", tmp_path), _worker(lset, "branch", tmp_path)]
    try:
        root, br = lset.admin("root"), lset.admin("branch")
        root.add_table(["t1"])
        # the branch learns the table through the queue (londiste.add-table)
        wait_for(
            lambda: ("table", "public.t1") in br.missing().rows, timeout=60, what="add-table event"
        )
        br.add_table(["t1"], wait_sync=True)
        assert states(lset, "branch") == {"public.t1": "ok"}
        # copy_condition: only matching rows are copied, compare counts the same rows
        lset.sql("root", "insert into public.t2 select g, 'w' from generate_series(1, 40) g")
        root.add_table(["t2"])
        br.add_table(["t2"], copy_condition="id <= 10")
        br.wait_sync(timeout=120)
        assert lset.sql("branch", "select count(*) from public.t2") == [(10,)]
        (c2,) = br.compare(["t2"])
        assert c2.equal and c2.provider_count == 10, c2
        lset.sql("root", "update public.t1 set v = 'changed' where id <= 50")
        (c,) = br.compare(["t1"])
        assert c.equal and c.local_count == 500, c
        # EXECUTE travels to the branch; WAIT returns once it is applied there
        f = tmp_path / "add_col.sql"
        f.write_text("alter table public.t1 add column extra int;\n")
        assert root.execute([str(f)], wait=True, timeout=60) == ["add_col.sql"]
        cols = lset.sql(
            "branch",
            "select count(*) from pg_attribute where attrelid = 'public.t1'::regclass"
            " and attname = 'extra'",
        )
        assert cols == [(1,)]
        st = br.londiste_status()
        assert st["replay"] == "running" and st["tables_ok"] == ["public.t1", "public.t2"]
    finally:
        for p in procs:
            p.stop()
        stop.set()
        ticker.join()


@pytest.mark.skipif(not OURS, reason="the worker runs on our londiste SQL")
def test_compare_below_a_branch_pauses_the_branch(lset: Set, tmp_path: Path) -> None:
    """A leaf whose provider is a branch: the branch's worker is paused for the sync
    point and resumed afterwards."""
    prepare(lset.cluster, "leaf")
    lset.sql("leaf", "create table public.t1 (id int primary key, v text)")
    lset.sql("root", "insert into public.t1 select g, 'v' || g from generate_series(1, 100) g")
    leaf = lset.admin("leaf")
    leaf.create_leaf("leaf", lset.dsn("branch"), lset.dsn("leaf"))
    stop = threading.Event()
    ticker = threading.Thread(target=_ticker, args=(lset, stop), daemon=True)
    ticker.start()
    procs = [_worker(lset, n, tmp_path) for n in ("root", "branch", "leaf")]
    try:
        lset.admin("root").add_table(["t1"])
        wait_for(
            lambda: ("table", "public.t1") in lset.admin("branch").missing().rows,
            timeout=60,
            what="add-table on the branch",
        )
        lset.admin("branch").add_table(["t1"])
        lset.admin("branch").wait_sync(timeout=180)
        leaf.add_table(["t1"])
        leaf.wait_sync(timeout=180)
        lset.sql("root", "update public.t1 set v = 'x' where id < 10")
        (c,) = leaf.compare(["t1"])
        assert c.equal and c.local_count == 100
        assert any("branch" in line and "paused" in line for line in lset.lines)
        info = lset.admin("branch").local_info()
        assert not info.worker_paused
    finally:
        for p in procs:
            p.stop()
        stop.set()
        ticker.join()
