"""The dispatch, shard, multimaster and obfuscate Londiste handlers on a real root and branch.

One root + branch pair (test_londiste_worker's ``pair`` and helpers) replicates a
table per handler (two for dispatch) with one pair of workers, to keep the file
fast: each handler is a case that sets its table up, checks the initial copy,
makes its changes on the root in two rounds (separate batches) and checks the
replayed result.  Tables are added with LondisteAdmin, so the handlers' own
trigger args are used (shard's ev_extra3 hash, multimaster's no_merge).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import uuid
from hashlib import blake2s
from pathlib import Path
from typing import Any

import pytest
from psycopg2 import sql

from engine.consumer import Event
from engine.londiste.admin import LondisteAdmin, LondisteError
from engine.londiste.handlers import HandlerError, build_handler, handler_names, parse_row
from engine.londiste.handlers_extra import trigger_args
from engine.londiste.handlers_misc import obfuscate_value
from tests.db.daemon_util import PROJECT_ROOT, wait_for
from tests.db.test_cascade_worker import Node
from tests.db.test_londiste_worker import (
    Q,
    Ticker,
    caught_up,
    contents,
    pair,  # noqa: F401  (the root + branch fixture)
    start,
    table_state,
)


@pytest.fixture
def nodes(request: pytest.FixtureRequest) -> tuple[Node, Node]:
    """Root and branch with table t: test_londiste_worker's pair fixture."""
    return request.getfixturevalue("pair")


def admin(node: Node) -> LondisteAdmin:
    return LondisteAdmin(node.cluster.conn_info("postgres"), Q, progress=lambda _: None)


def add(root: Node, branch: Node, table: str, handler: str, **args: Any) -> None:
    for node in (root, branch):
        admin(node).add_table([table], handler=handler, handler_args=args or None)


def queued(node: Node, table: str) -> list[tuple[str, str | None]]:
    """(ev_data, ev_extra3) of a table's events in the node's own queue (a branch's copy)."""
    pfx = node.db.scalar("select queue_data_pfx from pgq.queue where queue_name = %s", (Q,))
    return node.db.execute(
        sql.SQL("select ev_data, ev_extra3 from {} where ev_extra1 = %s").format(
            sql.Identifier(*pfx.split("."))
        ),
        (table,),
    )


def _ts(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


class Case:
    """One handler's tables: set up, copied, changed in two rounds, replayed."""

    tables: tuple[str, ...] = ()

    def prepare(self, root: Node, branch: Node) -> None: ...

    def after_copy(self, root: Node, branch: Node) -> None: ...

    def round1(self, cur: Any) -> None: ...

    def round2(self, cur: Any) -> None: ...

    def result(self, root: Node, branch: Node) -> tuple[Any, Any]:
        """(what the branch has, what it should have) after the replay."""
        return None, None

    def done(self, root: Node, branch: Node) -> bool:
        got, want = self.result(root, branch)
        return bool(got == want)

    def after_replay(self, root: Node, branch: Node) -> None:
        got, want = self.result(root, branch)
        assert got == want, type(self).__name__


# -- shard ---------------------------------------------------------------------------------

PARTCONF = (
    "create schema partconf;"
    " create function partconf.get_hash_raw(i int) returns int"
    " language sql immutable as 'select pg_catalog.hashint4(i)';"
    " create table partconf.conf (shard_nr int, shard_mask int, shard_count int)"
)
MINE = "select * from t where partconf.get_hash_raw(id) & 3 = 1 order by 1"


class Shard(Case):
    """shard(hash_key=id) on table t: the branch is shard 1 of 4."""

    tables = ("public.t",)

    def prepare(self, root: Node, branch: Node) -> None:
        for n in (root, branch):
            n.db.execute(PARTCONF)
        branch.db.execute("insert into partconf.conf values (1, 3, 4)")
        with pytest.raises(LondisteError, match="hash_key"):  # refused before any change
            admin(root).add_table(["public.t"], handler="shard")
        assert table_state(root) is None
        root.db.execute("insert into t select g, 'r' || g, g from generate_series(1, 2000) g")
        add(root, branch, "public.t", "shard", hash_key="id")
        tgargs = root.db.scalar(
            "select encode(tgargs, 'escape') from pg_trigger"
            " where tgname = '_londiste_lq' and tgrelid = 'public.t'::regclass"
        )
        assert "ev_extra3='hash='||" in tgargs, tgargs

    def after_copy(self, root: Node, branch: Node) -> None:
        expected = root.db.execute(MINE)
        assert 300 < len(expected) < 700
        assert contents(branch) == expected  # the copy's WHERE

    def round1(self, cur: Any) -> None:
        cur.execute("insert into t select g, 'new', g from generate_series(2001, 2400) g")
        cur.execute("update t set v = v || '!' where id % 7 = 0")
        cur.execute("delete from t where id % 11 = 0")

    def result(self, root: Node, branch: Node) -> tuple[Any, Any]:
        return contents(branch), root.db.execute(MINE)

    def after_replay(self, root: Node, branch: Node) -> None:
        super().after_replay(root, branch)
        # the branch passes on only its shard's events
        hashes = [int(parse_row(x3)["hash"] or "") for _, x3 in queued(branch, "public.t")]
        assert len(hashes) > 50 and {h & 3 for h in hashes} == {1}


def test_shard_args_and_info_errors(db):
    with pytest.raises(HandlerError, match="hash_key"):
        build_handler("public.x", "shard", None)
    with pytest.raises(HandlerError, match="invalid argument"):
        build_handler("public.x", "part(key=id&nosuch=1)", None)
    h = build_handler("public.x", "part(key=id&hashfunc=public.h)", None)
    args: list[str] = []
    h.add(args)  # type: ignore[attr-defined]
    assert args == ['ev_extra3=\'hash=\'||"public"."h"("id")']
    db.execute(PARTCONF)
    db.execute("insert into partconf.conf values (1, 3, 3)")
    with db.conn.cursor() as cur, pytest.raises(HandlerError, match="invalid shard info"):
        h.prepare_copy(cur)  # type: ignore[attr-defined]
    assert {"shard", "part", "dispatch", "multimaster", "obfuscate"} <= set(handler_names())


# -- dispatch ------------------------------------------------------------------------------


class Dispatch(Case):
    """ev: monthly partitions by a time column (londiste.create_partition, keep_latest);
    lg: every row version into daily partitions by batch time made by a template
    (no primary key there), column secret left out."""

    tables = ("public.ev", "public.lg")

    def prepare(self, root: Node, branch: Node) -> None:
        ddl = (
            "create table public.ev (id int primary key, ts timestamp not null, v text);"
            " create table public.lg (id int primary key, v text, secret text)"
        )
        for n in (root, branch):
            n.db.execute(ddl)
        root.db.execute(
            "insert into ev select g, '2020-01-01'::timestamp + g * interval '1 day',"
            " 'old' from generate_series(1, 50) g;"
            " insert into lg select g, 'v' || g, 's' from generate_series(1, 10) g"
        )
        add(
            root,
            branch,
            "public.ev",
            "dispatch",
            part_mode="date_field",
            part_field="ts",
            period="month",
            row_mode="keep_latest",
        )
        add(
            root,
            branch,
            "public.lg",
            "daily_batch",
            row_mode="keep_all",
            skip_fields="secret",
            part_template="create table %(part)s (like %(parent)s)",
        )

    def after_copy(self, root: Node, branch: Node) -> None:
        # the copy goes into the parents, as the original's
        assert contents(branch, "only ev") == contents(root, "ev")
        assert contents(branch, "only lg") == [(i, f"v{i}", None) for i in range(1, 11)]

    def round1(self, cur: Any) -> None:
        cur.execute(
            "insert into ev values (100, '2024-03-05 10:00', 'a'),"
            " (101, '2024-03-20 11:00', 'b'), (102, '2024-04-01 00:00', 'c');"
            " insert into lg values (100, 'first', 'x')"
        )

    def round2(self, cur: Any) -> None:
        cur.execute(
            "update ev set v = 'a2' where id = 100;"
            " update ev set ts = '2024-04-02', v = 'b2' where id = 101;"
            " delete from ev where id = 102;"
            " update lg set v = 'second' where id = 100;"
            " delete from lg where id = 100"
        )

    @staticmethod
    def parts(branch: Node, name: str) -> list[str]:
        return [
            r[0]
            for r in branch.db.execute(
                "select tablename from pg_tables where tablename ~ %s order by 1",
                (f"^{name}_[0-9_]+$",),
            )
        ]

    def lg_rows(self, branch: Node) -> list[tuple]:
        return sorted(r for p in self.parts(branch, "lg") for r in contents(branch, p))

    def done(self, root: Node, branch: Node) -> bool:
        return (
            self.parts(branch, "ev") == ["ev_2024_03", "ev_2024_04"]
            and contents(branch, "ev_2024_04") == [(101, _ts("2024-04-02"), "b2")]
            and len(self.lg_rows(branch)) == 2
        )

    def after_replay(self, root: Node, branch: Node) -> None:
        assert self.parts(branch, "ev") == ["ev_2024_03", "ev_2024_04"]
        assert contents(branch, "ev_2024_03") == [
            (100, _ts("2024-03-05 10:00"), "a2"),
            (101, _ts("2024-03-20 11:00"), "b"),  # keep_latest: the old month keeps its row
        ]
        assert contents(branch, "ev_2024_04") == [(101, _ts("2024-04-02"), "b2")]
        assert (
            branch.db.scalar(
                "select count(*) from pg_inherits where inhparent = 'public.ev'::regclass"
            )
            == 2
        )
        assert (
            branch.db.scalar(
                "select count(*) from pg_constraint where conrelid = 'ev_2024_03'::regclass"
                " and contype = 'c'"
            )
            == 1
        )
        lg = self.parts(branch, "lg")
        assert lg and all(len(p) == len("lg_2024_01_01") for p in lg), lg
        # keep_all: both versions, the delete ignored, secret left out
        assert self.lg_rows(branch) == [(100, "first", None), (100, "second", None)]


def test_dispatch_args():
    names = handler_names()
    for n in (
        "hourly_event",
        "daily_field",
        "monthly_batch",
        "yearly_time",
        "bulk_daily_batch",
        "bulk_direct",
        "direct",
    ):
        assert n in names
    h = build_handler("public.x", "monthly_field(part_field=ts)", None)
    assert (h.period, h.part_mode, h.row_mode, h.table_mode) == (  # type: ignore[attr-defined]
        "month",
        "date_field",
        "keep_latest",
        "part",
    )
    assert build_handler("public.x", "direct(table=public.y)", None).dest_table == "public.y"
    for bad, msg in (
        ("dispatch(part_mode=date_field)", "requires part_field"),
        ("dispatch(period=week)", "bad period"),
        ("dispatch(event_types=I,X)", "unsupported operation"),
        ("dispatch(nosuch=1)", "invalid argument"),
    ):
        with pytest.raises(HandlerError, match=msg):
            build_handler("public.x", bad, None)


def test_dispatch_retention_and_old_events(db):
    db.execute(
        "create table public.rt (id int primary key, v text);"
        " create table public.rt_2000_01_01 (like public.rt)"  # an obsolete partition
    )
    h = build_handler(
        "public.rt",
        "dispatch(part_mode=event_time&retention_period=3+days&ignore_old_events=1)",
        None,
    )
    now = db.scalar("select now()")
    old = now - datetime.timedelta(days=10)

    def ev(i: int, t: datetime.datetime) -> Event:
        return Event((i, t, 1, None, "I:id", f"id={i}&v=x", "public.rt", None, None, None))

    with db.conn.cursor() as cur:
        h.prepare_batch(1)
        h.add_event(cur, ev(1, now))  # makes today's partition, drops the obsolete one
        h.add_event(cur, ev(2, old))  # for an obsolete partition: ignored
        h.flush(cur)
    parts = db.execute("select tablename from pg_tables where tablename ~ '^rt_' order by 1")
    assert parts == [(f"rt_{now:%Y_%m_%d}",)]
    assert db.execute(f"select * from rt_{now:%Y_%m_%d}") == [(1, "x")]


def test_dispatch_keep_all_in_one_batch(db):
    """Direct load: every version is a row, as the original's statements; bulk: the last."""
    for load, want in (("direct", [(1, "a"), (1, "b")]), ("bulk", [(1, "b")])):
        db.execute("drop table if exists public.kh; create table public.kh (id int, v text)")
        h = build_handler(
            "public.kh", f"dispatch(table_mode=direct&row_mode=keep_all&load_mode={load})", None
        )
        with db.conn.cursor() as cur:
            h.prepare_batch(1)
            for i, (op, v) in enumerate((("I", "a"), ("U", "b"), ("D", "b")), 1):
                h.add_event(
                    cur,
                    Event((i, None, 1, None, f"{op}:id", f"id=1&v={v}", "public.kh") + (None,) * 3),
                )
            h.flush(cur)
        assert db.execute("select * from kh order by v") == want, load


# -- multimaster ---------------------------------------------------------------------------


class Multimaster(Case):
    """multimaster(timefield=mtime) with docs/londiste-merge_on_time.sql on the branch."""

    tables = ("public.mm",)

    def prepare(self, root: Node, branch: Node) -> None:
        ddl = "create table public.mm (id int primary key, v text, mtime timestamptz not null)"
        for n in (root, branch):
            n.db.execute(ddl)
        branch.db.execute((PROJECT_ROOT / "docs" / "londiste-merge_on_time.sql").read_text())
        root.db.execute("insert into mm select g, 'r', '2024-01-01' from generate_series(1, 5) g")
        assert trigger_args("public.mm", "multimaster(timefield=mtime)", []) == ["no_merge"]
        add(root, branch, "public.mm", "multimaster", timefield="mtime")

    def after_copy(self, root: Node, branch: Node) -> None:
        assert contents(branch, "mm") == contents(root, "mm")
        # another master wrote here: row 1 newer than what the root will send, row 2 older
        branch.db.execute(
            "set session_replication_role = replica;"
            " update mm set v = 'local', mtime = '2030-01-01' where id = 1;"
            " update mm set v = 'local', mtime = '2000-01-01' where id = 2;"
            " delete from mm where id = 4;"
            " reset session_replication_role"
        )

    def round1(self, cur: Any) -> None:
        cur.execute(
            "update mm set v = 'root', mtime = '2025-01-01' where id in (1, 2, 4);"
            " delete from mm where id = 3;"
            " insert into mm values (9, 'new', '2025-01-01')"
        )

    def result(self, root: Node, branch: Node) -> tuple[Any, Any]:
        # 1: the local row is newer; 2: older, replaced; 3: the delete's row is not newer
        # than the one here (the original's rule); 4: missing here, inserted
        return [r[:2] for r in contents(branch, "mm")], [
            (1, "local"),
            (2, "root"),
            (3, "r"),
            (4, "root"),
            (5, "r"),
            (9, "new"),
        ]


# -- obfuscate -----------------------------------------------------------------------------

KEY = b"seed"


def _digest(value: str, size: int) -> bytes:
    return blake2s(value.encode(), digest_size=size, key=KEY).digest()


def _uuid(value: str) -> str:
    return str(uuid.UUID(int=int.from_bytes(_digest(value, 16), "big") & ~(0x8000 << 48)))


def _i32(value: str) -> int:
    return int.from_bytes(_digest(value, 4), "big", signed=True)


class Obfuscate(Case):
    """obfuscate with obfuscator_map: id kept, name and a json key hashed, pw skipped."""

    tables = ("public.ob",)

    def __init__(self, tmp_path: Path) -> None:
        self.rules = tmp_path / "rules.yaml"
        self.rules.write_text(
            "public.ob:\n  id: keep\n  name: hash\n  n: hash32\n  doc:\n    a: keep\n    b: hash\n"
        )

    def prepare(self, root: Node, branch: Node) -> None:
        ddl = "create table public.ob (id int primary key, name text, n bigint, doc json, pw text)"
        for n in (root, branch):
            n.db.execute(ddl)
        root.db.execute(
            "insert into ob select g, 'name' || g, g * 10,"
            " json_build_object('a', g, 'b', 'x', 'c', 1), 'secret'"
            " from generate_series(1, 20) g;"
            # COPY's escapes on the way
            " insert into ob values (50, E'a\\tb\\\\c\\nd', -1, null, 'x')"
        )
        add(root, branch, "public.ob", "obfuscate")

    @staticmethod
    def expected(root: Node) -> list[tuple]:
        out = []
        for i, name, n, doc, _pw in contents(root, "ob"):
            d = None
            if doc is not None:
                d = {k: v if k == "a" else _uuid(v) for k, v in doc.items() if k in ("a", "b")}
            out.append((i, _uuid(name), _i32(str(n)), d, None))
        return out

    def after_copy(self, root: Node, branch: Node) -> None:
        assert contents(branch, "ob") == self.expected(root)  # the copy, rewritten

    def round1(self, cur: Any) -> None:
        cur.execute(
            "insert into ob values (100, E'tab\\tnl\\n', 5, '{\"b\": \"y\"}', 'pw');"
            " update ob set name = 'renamed' where id = 1;"
            " delete from ob where id = 2"
        )

    def result(self, root: Node, branch: Node) -> tuple[Any, Any]:
        return contents(branch, "ob"), self.expected(root)

    def after_replay(self, root: Node, branch: Node) -> None:
        super().after_replay(root, branch)
        # the branch passes on the rewritten rows only
        rows = [parse_row(data) for data, _ in queued(branch, "public.ob")]
        assert len(rows) == 3 and all("pw" not in r for r in rows)
        assert sorted(r["name"] or "" for r in rows if "name" in r) == sorted(
            [_uuid("tab\tnl\n"), _uuid("renamed"), _uuid("name2")]
        )


def test_obfuscate_rules_match_the_original():
    # the original's documented results (key b'')
    doc = json.dumps({"a": 1, "b": 2, "c": 3})
    assert json.loads(obfuscate_value(doc, {"a": "keep", "b": "hash"}) or "") == {
        "a": 1,
        "b": "da0f3012-9a91-a079-484b-883a64e535df",
    }
    nested = json.dumps({"a": {"b": {"c": 3}}})
    assert json.loads(obfuscate_value(nested, {"a": {"b": {"c": "hash"}}}) or "") == {
        "a": {"b": {"c": "ad8f95d3-1e86-689a-24aa-54dbb60d022e"}}
    }
    assert obfuscate_value(nested, {"a": {}}) == "{}"
    assert obfuscate_value("x", "bool") == "t" and obfuscate_value(None, "hash") is None
    with pytest.raises(HandlerError, match="invalid rule"):
        obfuscate_value("x", "scramble")
    with pytest.raises(HandlerError, match="invalid argument"):
        build_handler("public.x", "obfuscate(map=x)", None)


# -- all of them on one pair ---------------------------------------------------------------


def test_handlers_copy_and_replay(nodes, tmp_path):
    root, branch = nodes
    obf = Obfuscate(tmp_path)
    cases: list[Case] = [Shard(), Dispatch(), Multimaster(), obf]
    for c in cases:
        c.prepare(root, branch)
    tables = [t for c in cases for t in c.tables]
    ticker = Ticker(root)
    keys = {"obfuscator_map": str(obf.rules), "obfuscator_key": KEY.decode()}
    procs = [start(root, tmp_path, **keys), start(branch, tmp_path, **keys)]

    def running() -> None:
        for p in procs:
            assert p.alive(), p.text()[-3000:]

    def synced() -> bool:
        running()
        return all(table_state(branch, t) == "ok" for t in tables)

    def replayed() -> bool:
        running()
        return caught_up(root, branch) and all(c.done(root, branch) for c in cases)

    try:
        wait_for(synced, timeout=60, what="tables in sync")
        for c in cases:
            c.after_copy(root, branch)
        for step in ("round1", "round2"):
            with root.db.connect(autocommit=False) as conn, conn.cursor() as cur:
                for c in cases:
                    getattr(c, step)(cur)
            root.db.execute("select pgq.ticker(%s)", (Q,))  # the round's own batch(es)
            running()
            wait_for(lambda: caught_up(root, branch), timeout=60, what=f"{step} applied")
        # on a timeout the cases' own asserts below say what differs
        with contextlib.suppress(AssertionError):
            wait_for(replayed, timeout=30, what="every handler's result")
        for c in cases:
            c.after_replay(root, branch)
        # TRUNCATE through dispatch: the parent and its inheriting partitions
        root.db.execute("truncate ev")
        wait_for(lambda: contents(branch, "ev") == [], timeout=30, what="truncate")
    finally:
        ticker.stop()
