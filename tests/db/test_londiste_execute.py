"""EXECUTE file headers on a root and a leaf: which node runs a script, with which names.

The rule (the original's londiste exec_attrs, engine/londiste/exec_attrs.py): every
node, the root when the file is executed and each subscriber when it replays the
EXECUTE event, matches the header's objects against itself: all there → the script
runs (``@name@`` tags replaced by the local destination names), none → recorded as
applied without running, some → the replay stops on that event (named in status)
until the node matches; the events after it are not lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.londiste.admin import LondisteError
from engine.pgcluster import Cluster
from tests.db.daemon_util import wait_for
from tests.db.londiste_nodes import QUEUE, LNode, Ticker, prepare


@pytest.fixture
def root_leaf(cluster_factory: Callable[..., Cluster], tmp_path: Path) -> Iterator[tuple]:
    cluster = cluster_factory(install_modules=False)
    root, leaf = prepare(cluster, "root"), prepare(cluster, "leaf")
    root.sql(
        "create table public.t1 (id int primary key, v text);"
        " create table public.t2 (id int primary key, v text);"
        " create sequence public.s1"
    )
    # on the leaf t1 replays into another table; t2 exists but is not replicated
    leaf.sql(
        "create table public.t1_dst (id int primary key, v text);"
        " create table public.t2 (id int primary key, v text);"
        " create sequence public.s1;"
        " create function public.leaf_only(int) returns int language sql as 'select $1'"
    )
    root.admin.create_root("root", root.dsn)
    leaf.admin.create_leaf("leaf", root.dsn, leaf.dsn)
    ticker = Ticker([root, leaf])
    try:
        root.start(tmp_path)
        leaf.start(tmp_path)
        root.admin.add_table(["t1", "t2"])
        root.admin.add_seq(["s1"])
        wait_for(
            lambda: ("table", "public.t1") in leaf.admin.missing().rows,
            timeout=60,
            what="the tables in the leaf's set",
        )
        leaf.admin.add_table(["t1"], dest_table="public.t1_dst")
        wait_for(
            lambda: leaf.scalar("select count(*) from londiste.get_seq_list(%s)", [QUEUE]),
            timeout=60,
            what="the sequence in the leaf's set",
        )
        leaf.admin.add_seq(["s1"])
        leaf.admin.wait_sync(timeout=60)
        yield root, leaf
    finally:
        ticker.stop()
        for n in (root, leaf):
            n.close()


def columns(node: LNode, table: str) -> list[str]:
    return [
        r[0]
        for r in node.sql(
            "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0"
            " and not attisdropped order by attnum",
            [table],
        )
    ]


def applied(node: LNode, name: str) -> bool:
    return bool(
        node.scalar(
            "select count(*) from londiste.applied_execute where queue_name = %s"
            " and execute_file = %s",
            [QUEUE, name],
        )
    )


def test_headers_decide_per_node(root_leaf: tuple[LNode, LNode], tmp_path: Path) -> None:
    root, leaf = root_leaf

    def script(name: str, text: str) -> str:
        f = tmp_path / name
        f.write_text(text)
        return str(f)

    # Local-Table t1 and t2: both on the root, only t1 on the leaf (partly matching there);
    # the tag @t1@ is the leaf's destination table there
    a = script(
        "a.sql",
        "-- add a column\n--*-- Local-Table: t1,\n--*--   public.t2\n"
        "alter table @t1@ add column a int;\n",
    )
    with pytest.raises(LondisteError, match="invalid key"):
        root.admin.execute([script("bad.sql", "--*-- Local-Tabel: t1\nselect 1;\n")])
    # Local-Table t2: the root only
    b = script("b.sql", "--*-- Local-Table: t2\nalter table @t2@ add column b int;\n")
    # Need-Function: the leaf has it, the root not; the script still travels
    c = script(
        "c.sql",
        "--*-- Need-Function: public.leaf_only(1)\nalter table public.t2 add column c int;\n",
    )
    # no header: everywhere
    d = script("d.sql", "alter table public.t2 add column d int;\n")
    assert root.admin.execute([b, c, d], wait=True, timeout=60) == ["b.sql", "c.sql", "d.sql"]
    assert columns(root, "public.t2") == ["id", "v", "b", "d"]  # b ran, c did not
    assert columns(leaf, "public.t2") == ["id", "v", "c", "d"]  # b did not run, c did
    assert all(applied(leaf, n) for n in ("b.sql", "c.sql", "d.sql"))
    # a: runs on the root (t1 and t2 both local there), stops the leaf's replay
    root.admin.execute([a])
    assert columns(root, "public.t1") == ["id", "v", "a"]
    root.sql("insert into public.t1 values (1, 'after a', 5)")

    def error_shown() -> str | None:
        err = leaf.scalar(
            "select cur_error from pgq_node.get_consumer_state(%s, %s)", [QUEUE, "leaf"]
        )
        return err if err and "partly" in err else None

    err = wait_for(error_shown, timeout=60, what="the partial match named in the leaf's status")
    assert "a.sql" in err and "public.t2" in err, err
    assert not applied(leaf, "a.sql")
    # the leaf gets t2 as well (no copy needed: empty on both): the replay goes on
    leaf.admin.add_table(["t2"], expect_sync=True)
    wait_for(lambda: applied(leaf, "a.sql"), timeout=60, what="a.sql applied on the leaf")
    assert columns(leaf, "public.t1_dst") == ["id", "v", "a"]
    wait_for(lambda: leaf.rows("public.t1_dst") == [(1, "after a", 5)], timeout=60)
    assert "Traceback" not in leaf.proc.text()  # type: ignore[union-attr]
