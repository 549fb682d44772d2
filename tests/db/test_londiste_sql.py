"""londiste SQL: every function's codes and effects on a root, a branch and a leaf.

The nodes are databases of one cluster made into a cascade with pgq_node's SQL (what
create-root / create-branch do); the tests then do with SQL what the Londiste worker
and admin do (add-table on the root, the add-table event on a branch, the copy
states, sequences, EXECUTE, fkeys), and check the rows, triggers and events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest

from engine.install import install
from tests.conftest import TEMPLATE_DB, Database, _create_db, _drop_db

Q = "lq"


def call(node: Database, function: str, *args: Any) -> dict[str, Any]:
    marks = ", ".join(["%s"] * len(args))
    return node.dicts(f"select * from londiste.{function}({marks})", args)[0]


def code(node: Database, function: str, *args: Any) -> tuple[int, str]:
    row = call(node, function, *args)
    return row["ret_code"], row["ret_note"]


def node_code(node: Database, function: str, *args: Any) -> int:
    marks = ", ".join(["%s"] * len(args))
    return node.scalar(f"select ret_code from pgq_node.{function}({marks})", args)


def events(node: Database, queue: str = Q) -> list[tuple]:
    """(ev_type, ev_data, ev_extra1, ev_extra2) of the queue's events, pgq.* left out."""
    return node.execute(
        "select ev_type, ev_data, ev_extra1, ev_extra2 from pgq.event_template e"
        " join pgq.queue q on e.tableoid::regclass::text like q.queue_data_pfx || '%%'"
        " where q.queue_name = %s and ev_type not like 'pgq.%%' order by ev_id",
        (queue,),
    )


def triggers(node: Database, table: str) -> list[tuple]:
    return node.execute(
        "select tgname, pg_get_triggerdef(oid) from pg_trigger"
        " where tgrelid = %s::regclass and not tgisinternal order by 1",
        (table,),
    )


def tables(node: Database, queue: str = Q) -> list[dict[str, Any]]:
    return node.dicts("select * from londiste.get_table_list(%s)", (queue,))


@pytest.fixture
def db3(pg_cluster: Any) -> Iterator[Database]:
    database = _create_db(pg_cluster, TEMPLATE_DB)
    try:
        yield database
    finally:
        _drop_db(database)


def _join(provider: Database, node: Database, name: str, kind: str) -> None:
    row = provider.dicts(
        "select * from pgq_node.register_subscriber(%s, %s, %s, null)", (Q, name, "w_" + name)
    )[0]
    assert row["ret_code"] == 200, row
    pname = provider.scalar("select node_name from pgq_node.get_node_info(%s)", (Q,))
    assert (
        node_code(
            node, "create_node", Q, kind, name, "w_" + name, pname, row["global_watermark"], None
        )
        == 200
    )


SCHEMA = """
create table public.data (id serial primary key, txt text);
create table public.nokey (id int, txt text);
create sequence public.counter;
"""


@pytest.fixture
def tree(db: Database, db2: Database, db3: Database) -> tuple[Database, Database, Database]:
    """n1 (root) -> n2 (branch) -> n3 (leaf), each with the same user tables."""
    nodes = (db, db2, db3)
    for node in nodes:
        node.execute(SCHEMA)
        for name, other in zip(("n1", "n2", "n3"), nodes, strict=True):
            assert node_code(node, "register_location", Q, name, other.dsn, False) == 200
    assert node_code(db, "create_node", Q, "root", "n1", "w_n1", None, None, None) == 200
    _join(db, db2, "n2", "branch")
    _join(db2, db3, "n3", "leaf")
    return db, db2, db3


@pytest.fixture
def root(tree: tuple[Database, Database, Database]) -> Database:
    return tree[0]


# ---------------------------------------------------------------- names


def test_name_helpers(db):
    assert db.scalar("select londiste.make_fqname('t')") == "public.t"
    assert db.scalar("select londiste.make_fqname('s.t')") == "s.t"
    assert db.execute("select * from londiste.split_fqname('a.b.c')") == [("a", "b.c")]
    assert db.execute("select * from londiste.split_fqname('t')") == [("public", "t")]
    assert db.scalar("""select londiste.quote_fqname('My.Ta"ble')""") == '"My"."Ta""ble"'
    db.execute("create table public.x (a int, b int, c int, primary key (c, a))")
    db.execute("create sequence public.xs")
    assert db.scalar("select londiste.find_column_types('x')") == "kvk"
    assert db.scalar("select londiste.find_column_types('nope')") == ""
    assert db.scalar("select londiste.find_table_oid('public.x')") == db.scalar(
        "select 'public.x'::regclass::oid"
    )
    assert db.scalar("select londiste.find_table_oid('xs')") is None
    assert db.scalar("select londiste.find_seq_oid('xs') is not null") is True
    assert db.scalar("select londiste.find_rel_oid('x', 'S')") is None
    assert db.scalar("select londiste.version()") == "3.8"
    assert db.scalar("select londiste.is_replica_func('pgq.logutriga'::regproc)") is True
    assert db.scalar("select londiste.is_replica_func('pg_catalog.now'::regproc)") is False


def test_upgrade_schema_is_a_no_op_and_install_keeps_data(root):
    assert root.scalar("select londiste.upgrade_schema()") == 0
    assert code(root, "local_add_table", Q, "data")[0] == 200
    conn = root.connect(autocommit=False)
    try:
        reports = install(conn, ["londiste"])
    finally:
        conn.close()
    assert [r.action for r in reports] == ["reinstalled"] * 3
    assert [t["table_name"] for t in tables(root)] == ["public.data"]
    assert len(triggers(root, "data")) == 2


def test_upgrade_schema_brings_an_old_structure_up_to_date(db):
    db.execute("alter table londiste.table_info drop column dest_table")
    db.execute("alter table londiste.applied_execute drop column execute_attrs")
    db.execute("alter table londiste.applied_execute drop constraint applied_execute_pkey")
    db.execute("alter table londiste.applied_execute add primary key (queue_name, execute_file)")
    db.execute("alter table londiste.table_info drop constraint table_info_check")
    db.execute(
        "alter table londiste.table_info add constraint table_info_check"
        " check (dropped_ddl is null or merge_state = 'in-copy')"
    )
    assert db.scalar("select londiste.upgrade_schema()") == 4
    assert db.scalar("select londiste.upgrade_schema()") == 0
    assert db.scalar(
        "select pg_get_constraintdef(oid) like '%%catching-up%%' from pg_constraint"
        " where conname = 'table_info_check'"
    )


def test_set_session_replication_role(db):
    conn = db.connect(autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.execute("select londiste.set_session_replication_role('replica', true)")
            cur.execute("show session_replication_role")
            assert cur.fetchone() == ("replica",)
            conn.commit()
            cur.execute("show session_replication_role")
            assert cur.fetchone() == ("origin",)
            with pytest.raises(psycopg2.Error, match="bad value"):
                cur.execute("select londiste.set_session_replication_role('x', false)")
    finally:
        conn.close()


# ---------------------------------------------------------------- tables on the root


def test_root_add_table_captures_changes_and_truncate(root):
    assert code(root, "local_add_table", Q, "nokey") == (
        400,
        "Primary key missing on table: public.nokey",
    )
    assert code(root, "local_add_table", Q, "nope") == (404, "Table does not exist: public.nope")
    assert code(root, "local_add_table", "noq", "data") == (400, "No such set: noq")
    assert code(root, "local_add_table", Q, "data") == (200, "Table added: public.data")
    assert code(root, "local_add_table", Q, "public.data") == (
        200,
        "Table already added: public.data",
    )
    assert code(root, "local_add_table", Q, "data", [], "handler=bulk") == (
        410,
        "Table public.data already added, but with different args: ",
    )
    [row] = tables(root)
    assert row == {
        "table_name": "public.data",
        "local": True,
        "merge_state": "ok",
        "custom_snapshot": None,
        "table_attrs": None,
        "dropped_ddl": None,
        "copy_role": None,
        "copy_pos": 0,
        "dest_table": None,
    }
    assert triggers(root, "data") == [
        (
            "_londiste_lq",
            "CREATE TRIGGER _londiste_lq AFTER INSERT OR DELETE OR UPDATE ON public.data"
            " FOR EACH ROW EXECUTE FUNCTION pgq.logutriga('lq')",
        ),
        (
            "_londiste_lq_truncate",
            "CREATE TRIGGER _londiste_lq_truncate AFTER TRUNCATE ON public.data"
            " FOR EACH STATEMENT EXECUTE FUNCTION pgq.sqltriga('lq')",
        ),
    ]
    root.execute("insert into data (txt) values ('a')")
    root.execute("update data set txt = 'b'")
    root.execute("delete from data")
    root.execute("truncate data")
    assert events(root) == [
        ("londiste.add-table", "public.data", None, None),
        ("I:id", "id=1&txt=a", "public.data", None),
        ("U:id", "id=1&txt=b", "public.data", None),
        ("D:id", "id=1&txt=b", "public.data", None),
        ("R", "", "public.data", None),
    ]
    assert root.execute("select * from londiste.local_show_missing(%s)", (Q,)) == [
        ("S", "public.counter"),
        ("S", "public.data_id_seq"),
        ("r", "public.nokey"),
    ]


def test_root_remove_table_drops_triggers_and_tells_subscribers(root):
    code(root, "local_add_table", Q, "data")
    assert code(root, "local_remove_table", Q, "data") == (200, "Table removed: public.data")
    assert code(root, "local_remove_table", Q, "data") == (400, "Table not found: public.data")
    assert triggers(root, "data") == []
    assert tables(root) == []
    assert events(root)[-1] == ("londiste.remove-table", "public.data", None, None)
    root.execute("insert into data (txt) values ('not captured')")
    assert [e[0] for e in events(root)] == ["londiste.add-table", "londiste.remove-table"]


def test_global_add_and_remove_table(root):
    assert code(root, "global_add_table", "noq", "t") == (400, "No such queue: noq")
    assert code(root, "global_add_table", Q, "t") == (200, "Table added: t")
    assert code(root, "global_add_table", Q, "t") == (200, "Table already added: public.t")
    assert [(t["table_name"], t["local"]) for t in tables(root)] == [("public.t", False)]
    assert code(root, "global_remove_table", Q, "t") == (200, "Table removed: t")
    assert code(root, "global_remove_table", Q, "t") == (400, "Table not found: public.t")


def test_trigger_flags_and_arguments(root):
    root.execute("create table public.t2 (id int primary key, a text, b text)")
    ok = code(root, "local_add_table", Q, "t2", ["tgflags=BIQ", "ignore=b", "expect_sync"])
    assert ok == (200, "Table added: public.t2")
    [(_, row), _] = triggers(root, "t2")
    assert row == (
        "CREATE TRIGGER _londiste_lq BEFORE INSERT ON public.t2"
        " FOR EACH ROW EXECUTE FUNCTION pgq.sqltriga('lq', 'ignore=b')"
    )
    # change handler: new trigger arguments, new attributes
    assert code(root, "local_change_handler", Q, "public.t2", ["pkey=id"], "handler=x") == (
        200,
        "Handler changed for table: public.t2",
    )
    [(_, row), _] = triggers(root, "t2")
    assert "AFTER INSERT OR DELETE OR UPDATE" in row and "logutriga('lq', 'pkey=id')" in row
    assert tables(root)[0]["table_attrs"] == "handler=x"
    assert code(root, "local_change_handler", Q, "public.t2", ["no_triggers"], None) == (
        200,
        "Table handler updated with no triggers: public.t2",
    )
    assert code(root, "local_change_handler", Q, "public.nope", [], None) == (
        404,
        "no such local table: public.nope",
    )
    assert code(root, "local_change_handler", "noq", "public.t2", [], None) == (
        400,
        "No such set: noq",
    )
    root.execute("create table public.t3 (id int primary key)")
    assert code(root, "local_add_table", Q, "t3", ["no_triggers"]) == (
        200,
        "Table added with no triggers: public.t3",
    )
    assert triggers(root, "t3") == []
    assert code(root, "local_add_table", Q, "t3v", ["virtual_table"]) == (
        200,
        "Table added with no triggers: public.t3v",
    )
    assert code(root, "local_add_table", Q, "t4", ["merge_all", "no_merge"]) == (
        405,
        "Cannot use merge-all and no-merge together",
    )


def test_skip_trigger_and_skip_truncate(root):
    root.execute("create table public.s (id int primary key)")
    assert code(root, "local_add_table", Q, "s", ["tgflags=BS", "skip_truncate"])[0] == 200
    names = [t[0] for t in triggers(root, "s")]
    assert names == ["_londiste_lq_truncate", "zzz__londiste_lq"]
    assert "'SKIP'" in triggers(root, "s")[1][1]
    assert tables(root)[0]["table_attrs"] == "skip_truncate=1"
    assert code(root, "local_set_skip_truncate", Q, "public.s", False) == (
        200,
        "skip_truncate=false",
    )
    assert tables(root)[0]["table_attrs"] is None
    code(root, "local_set_table_attrs", Q, "public.s", "handler=bulk&skip_truncate=1&x=2")
    assert code(root, "local_set_skip_truncate", Q, "public.s", True) == (
        200,
        "skip_truncate=true",
    )
    assert tables(root)[0]["table_attrs"] == "handler=bulk&x=2&skip_truncate=1"
    assert code(root, "local_set_skip_truncate", Q, "s", True) == (404, "table not found: s")
    # an AFTER trigger on a table with a SKIP trigger cannot work
    row = call(root, "create_trigger", "other", "public.s", [], "public.s", "root")
    assert (row["ret_code"], row["ret_note"]) == (
        403,
        "AFTER trigger cannot work with SKIP trigger(s)",
    )


def test_a_user_after_trigger_firing_first_is_reported(root):
    root.execute(
        "create function public.noop() returns trigger language plpgsql as 'begin return null; end'"
    )
    root.execute(
        "create trigger _a_first after insert on data for each row execute function public.noop()"
    )
    assert code(root, "local_add_table", Q, "data") == (
        301,
        "Table added: public.data, but londiste trigger is not first: _a_first",
    )


def test_dest_table_puts_the_queue_name_in_extra1(root):
    root.execute("create table public.other (id int primary key, v text)")
    assert code(root, "local_add_table", Q, "data", [], None, "other") == (
        200,
        "Table added: public.data(public.other)",
    )
    assert tables(root)[0]["dest_table"] == "public.other"
    assert "'ev_extra1=''public.data'''" in triggers(root, "other")[0][1]
    root.execute("insert into other values (1, 'x')")
    assert events(root)[-1] == ("I:id", "id=1&v=x", "public.data", None)


# ---------------------------------------------------------------- tables on a branch


def test_branch_add_table_waits_for_its_copy(tree):
    root, branch, _ = tree
    assert code(branch, "local_add_table", Q, "data") == (
        404,
        "Table not available on queue: public.data",
    )
    # the worker replays londiste.add-table
    assert code(branch, "global_add_table", Q, "public.data") == (200, "Table added: public.data")
    assert code(branch, "local_add_table", Q, "data") == (200, "Table added: public.data")
    [row] = tables(branch)
    assert (row["local"], row["merge_state"]) == (True, None)
    assert [t[0] for t in triggers(branch, "data")] == ["_londiste_lq", "_londiste_lq_truncate"]
    # the copy handshake
    for state in ("in-copy", "catching-up", "wanna-sync:5", "do-sync:5", "ok"):
        snap = "10:20:" if state == "catching-up" else None
        assert code(branch, "local_set_table_state", Q, "data", snap, state) == (
            200,
            f"Table public.data state set to '{state}'",
        )
        assert (tables(branch)[0]["merge_state"], tables(branch)[0]["custom_snapshot"]) == (
            state,
            snap,
        )
    assert code(branch, "local_set_table_state", Q, "data", None, None) == (
        200,
        "Table public.data state set to NULL",
    )
    assert code(branch, "local_set_table_state", Q, "nope", None, "ok") == (
        404,
        "No such table: public.nope",
    )
    assert code(branch, "local_set_table_attrs", Q, "public.data", "handler=bulk") == (
        200,
        "public.data: Table attributes stored",
    )
    assert code(branch, "local_set_table_attrs", Q, "data", "x") == (
        404,
        "no such local table: data",
    )
    # a dropped structure is kept only during the copy
    code(branch, "local_set_table_state", Q, "data", None, "ok")
    with pytest.raises(psycopg2.Error, match="table_info_check"):
        code(branch, "local_set_table_struct", Q, "public.data", "create index ...")
    code(branch, "local_set_table_state", Q, "data", None, "in-copy")
    assert code(
        branch, "local_set_table_struct", Q, "public.data", "create index i on data(txt)"
    ) == (
        200,
        "Table struct stored",
    )
    assert code(branch, "local_set_table_struct", Q, "nope", None) == (
        404,
        "no such local table: nope",
    )
    row = tables(branch)[0]
    assert (row["table_attrs"], row["dropped_ddl"]) == (
        "handler=bulk",
        "create index i on data(txt)",
    )
    # removing a table in copy empties it and puts its structure back
    branch.execute("set session_replication_role = replica")
    branch.execute("insert into data (txt) values ('half copied')")
    branch.execute("set session_replication_role = origin")
    assert code(branch, "local_remove_table", Q, "data") == (200, "Table removed: public.data")
    assert branch.scalar("select count(*) from data") == 0
    assert branch.scalar("select count(*) from pg_indexes where indexname = 'i'") == 1
    assert triggers(branch, "data") == []
    [row] = tables(branch)
    assert (row["local"], row["merge_state"], row["table_attrs"], row["dropped_ddl"]) == (
        False,
        None,
        None,
        None,
    )
    assert code(branch, "local_remove_table", Q, "data") == (
        400,
        "Table not registered locally: public.data",
    )
    # the worker replays londiste.remove-table
    assert code(branch, "global_remove_table", Q, "data") == (200, "Table removed: data")
    assert tables(branch) == []
    assert events(root) == []


def test_branch_expect_sync_and_remove_event(tree):
    _, branch, _ = tree
    code(branch, "global_add_table", Q, "data")
    assert code(branch, "local_add_table", Q, "data", ["expect_sync"])[0] == 200
    assert tables(branch)[0]["merge_state"] == "ok"
    # londiste.remove-table on a branch: triggers go with the row
    assert code(branch, "global_remove_table", Q, "public.data") == (
        200,
        "Table removed: public.data",
    )
    assert triggers(branch, "data") == []
    assert branch.execute("select * from londiste.local_show_missing(%s)", (Q,)) == []


def test_branch_show_missing_lists_the_queues_objects(tree):
    _, branch, _ = tree
    code(branch, "global_add_table", Q, "data")
    code(branch, "global_update_seq", Q, "counter", 5)
    assert branch.execute("select * from londiste.local_show_missing(%s)", (Q,)) == [
        ("S", "public.counter"),
        ("r", "public.data"),
    ]


def test_dropping_the_node_drops_the_triggers(tree):
    _, _, leaf = tree
    code(leaf, "global_add_table", Q, "data")
    code(leaf, "local_add_table", Q, "data")
    assert len(triggers(leaf, "data")) == 2
    leaf.execute("delete from pgq_node.local_state where queue_name = %s", (Q,))
    leaf.execute("delete from pgq_node.node_info where queue_name = %s", (Q,))
    assert triggers(leaf, "data") == []
    assert tables(leaf) == []


def test_leaf_triggers_deny_local_changes(tree):
    _, _, leaf = tree
    code(leaf, "global_add_table", Q, "data")
    assert code(leaf, "local_add_table", Q, "data") == (200, "Table added: public.data")
    assert [t[1].split("EXECUTE FUNCTION ")[1] for t in triggers(leaf, "data")] == [
        "pgq.logutriga('lq', 'deny')",
        "pgq.sqltriga('lq', 'deny')",
    ]
    with pytest.raises(psycopg2.Error, match="change not allowed"):
        leaf.execute("insert into data (txt) values ('x')")
    leaf.execute("set session_replication_role = replica; insert into data (txt) values ('x')")


# ---------------------------------------------------------------- sequences


def test_sequences_published_by_the_root_never_go_back(tree):
    root, branch, _ = tree
    assert code(root, "local_add_seq", Q, "nope") == (400, "Sequence not found: public.nope")
    assert code(root, "local_add_seq", Q, "counter") == (200, "Sequence added: public.counter")
    assert code(root, "local_add_seq", Q, "counter") == (
        201,
        "Sequence already added: public.counter",
    )
    # published 3 buffers ahead at once, again only when within a buffer
    assert root.execute("select * from londiste.get_seq_list(%s)", (Q,)) == [
        ("public.counter", 30001, True)
    ]
    assert events(root) == [("londiste.update-seq", "30001", "public.counter", None)]
    assert code(root, "root_check_seqs", Q) == (100, "Sequences updated")
    assert len(events(root)) == 1
    root.execute("select setval('counter', 29990)")
    assert code(root, "root_check_seqs", Q, 10) == (100, "Sequences updated")
    assert len(events(root)) == 1
    root.execute("select setval('counter', 29995)")
    assert code(root, "root_check_seqs", Q, 10) == (100, "Sequences updated")
    assert events(root)[-1] == ("londiste.update-seq", "30025", "public.counter", None)
    assert code(root, "root_check_seqs", "noq") == (404, "Queue not found: noq")
    assert code(branch, "root_check_seqs", Q) == (402, "Not a root node")
    assert code(root, "global_update_seq", Q, "counter", 1) == (402, "Must not run on root node")
    assert code(branch, "global_update_seq", "noq", "counter", 1) == (404, "Set not found: noq")

    # the branch: the worker replays the events
    assert code(branch, "local_add_seq", Q, "counter") == (404, "Unknown sequence: public.counter")
    assert code(branch, "global_update_seq", Q, "public.counter", 30000) == (
        200,
        "Sequence updated",
    )
    assert branch.scalar("select last_value from counter") == 1
    assert code(branch, "local_add_seq", Q, "counter") == (200, "Sequence added: public.counter")
    assert branch.scalar("select last_value from counter") == 30000
    code(branch, "global_update_seq", Q, "public.counter", 40000)
    assert branch.scalar("select last_value from counter") == 40000
    # an older value does not move it back
    code(branch, "global_update_seq", Q, "public.counter", 35000)
    assert branch.scalar("select last_value from counter") == 40000
    assert code(branch, "local_remove_seq", Q, "counter") == (
        200,
        "Sequence removed: public.counter",
    )
    assert code(branch, "local_remove_seq", Q, "counter") == (
        404,
        "Sequence not found: public.counter",
    )
    assert branch.execute("select * from londiste.get_seq_list(%s)", (Q,)) == [
        ("public.counter", 35000, False)
    ]
    assert code(branch, "global_remove_seq", Q, "counter") == (
        200,
        "Sequence removed: public.counter",
    )
    assert code(branch, "global_remove_seq", Q, "counter") == (
        400,
        "Sequence not found: public.counter",
    )
    # root: removal is global and told to subscribers
    assert code(root, "local_remove_seq", Q, "counter") == (200, "Sequence removed: public.counter")
    assert events(root)[-1] == ("londiste.remove-seq", "public.counter", None, None)


def test_removing_a_table_removes_its_serial_sequences(tree):
    _, branch, _ = tree
    code(branch, "global_add_table", Q, "data")
    code(branch, "global_update_seq", Q, "data_id_seq", 100)
    code(branch, "local_add_table", Q, "data", ["expect_sync"])
    code(branch, "local_add_seq", Q, "data_id_seq")
    code(branch, "local_remove_table", Q, "data")
    assert branch.execute("select seq_name, local from londiste.get_seq_list(%s)", (Q,)) == [
        ("public.data_id_seq", False)
    ]


# ---------------------------------------------------------------- EXECUTE


def test_execute_bookkeeping(tree):
    root, branch, _ = tree
    assert code(branch, "execute_start", Q, "f.sql", "select 1", True) == (
        401,
        f"Node is not root node: {Q}",
    )
    assert code(root, "execute_start", Q, "f.sql", "create table e ()", True, "a=1") == (
        200,
        "Executing: f.sql",
    )
    assert code(root, "execute_start", Q, "f.sql", "create table e ()", True) == (
        201,
        'EXECUTE: "f.sql" already applied, skipping',
    )
    assert code(root, "execute_finish", Q, "f.sql") == (200, "Execute finished: f.sql")
    assert events(root) == [("EXECUTE", "create table e ()", "f.sql", "a=1")]
    assert code(root, "execute_finish", Q, "g.sql") == (
        404,
        "execute_file called without execute_start",
    )
    # a subscriber records it, sends nothing
    assert code(branch, "execute_start", Q, "f.sql", "create table e ()", False) == (
        200,
        "Executing: f.sql",
    )
    assert code(branch, "execute_finish", Q, "f.sql") == (200, "Execute finished: f.sql")
    assert events(branch) == []
    # three months later it is forgotten
    root.execute("update londiste.applied_execute set execute_time = now() - interval '4 months'")
    assert root.scalar("select londiste.periodic_maintenance()") == 0
    assert root.scalar("select count(*) from londiste.applied_execute") == 0


# ---------------------------------------------------------------- foreign keys


def test_fkeys_dropped_for_a_copy_and_restored(tree):
    _, branch, _ = tree
    branch.execute(
        "create table public.child (id int primary key,"
        " pid int constraint child_pid_fkey references public.data)"
    )
    fkeys = branch.execute("select * from londiste.find_table_fkeys('public.data')")
    assert fkeys == [
        (
            "public.child",
            "public.data",
            "child_pid_fkey",
            "alter table only public.child add constraint child_pid_fkey"
            " FOREIGN KEY (pid) REFERENCES data(id)",
        )
    ]
    for table in ("data", "child"):
        code(branch, "global_add_table", Q, table)
        code(branch, "local_add_table", Q, table)
    assert branch.scalar("select londiste.drop_table_fkey('public.child', 'child_pid_fkey')") == 1
    assert branch.scalar("select londiste.drop_table_fkey('public.child', 'child_pid_fkey')") == 0
    assert branch.execute("select * from londiste.find_table_fkeys('public.data')") == []
    assert branch.execute("select * from londiste.get_table_pending_fkeys('public.data')") == fkeys
    # only when both tables are in sync
    assert branch.execute("select * from londiste.get_valid_pending_fkeys(%s)", (Q,)) == []
    code(branch, "local_set_table_state", Q, "data", None, "ok")
    assert branch.execute("select * from londiste.get_valid_pending_fkeys(%s)", (Q,)) == []
    code(branch, "local_set_table_state", Q, "child", None, "ok")
    assert branch.execute("select * from londiste.get_valid_pending_fkeys(%s)", (Q,)) == fkeys
    assert branch.execute("select * from londiste.get_valid_pending_fkeys('other')") == []
    # lazily: add NOT VALID, validate, forget
    restore = "select londiste.restore_table_fkey('public.child', 'child_pid_fkey', true)"
    step = branch.scalar(restore)
    assert step == fkeys[0][3] + " not valid"
    branch.execute(step)
    step = branch.scalar(restore)
    assert step == "alter table only public.child validate constraint child_pid_fkey"
    branch.execute(step)
    assert branch.scalar(restore) == ""
    assert branch.execute("select * from londiste.get_table_pending_fkeys('public.data')") == []
    # at once
    branch.scalar("select londiste.drop_table_fkey('public.child', 'child_pid_fkey')")
    assert (
        branch.scalar("select londiste.restore_table_fkey('public.child', 'child_pid_fkey')") == ""
    )
    assert branch.execute("select * from londiste.find_table_fkeys('public.child')") == fkeys


# ---------------------------------------------------------------- partitions


def test_partitions(db):
    db.execute("create role lsql_part_reader")
    try:
        db.execute(
            "create table public.ev (id int primary key, at timestamptz not null);"
            " grant select on public.ev to lsql_part_reader;"
            " create function public.noop() returns trigger language plpgsql"
            "  as 'begin return null; end';"
            " create trigger t_noop after insert on public.ev for each row"
            "  execute function public.noop();"
            " alter table public.ev enable always trigger t_noop"
        )
        made = (
            "select londiste.create_partition('ev', 'ev_2020_01', 'id', 'at',"
            " '2020-01-15', 'month')"
        )
        assert db.scalar(made) == 1
        assert db.scalar(made) == 0
        assert db.scalar("select has_table_privilege('lsql_part_reader', 'ev_2020_01', 'select')")
        assert db.execute(
            "select tgname, tgenabled from pg_trigger where tgrelid = 'ev_2020_01'::regclass"
            " and not tgisinternal"
        ) == [("t_noop", "A")]
        with pytest.raises(psycopg2.Error, match="check constraint"):
            db.execute("insert into ev_2020_01 values (1, '2020-02-01')")
        db.execute("insert into ev_2020_01 values (1, '2020-01-31')")
        assert db.scalar("select count(*) from ev") == 1
        db.scalar(
            "select londiste.create_partition('ev', 'ev_2999_01', 'id', 'at',"
            " '2999-01-15', 'month')"
        )
        assert db.scalar("select londiste.is_obsolete_partition('ev_2020_01', '1 month', 'month')")
        assert not db.scalar(
            "select londiste.is_obsolete_partition('ev_2999_01', '1 month', 'monthly')"
        )
        assert db.scalar("select londiste.is_obsolete_partition('ev', '1 month', 'month')") is None
        with pytest.raises(psycopg2.Error, match="not supported i_partition_period"):
            db.scalar("select londiste.is_obsolete_partition('ev', '1 month', 'week')")
        assert db.execute(
            "select * from londiste.list_obsolete_partitions('public.ev', '1 month', 'month')"
        ) == [("public.ev_2020_01",)]
        assert db.execute(
            "select * from londiste.drop_obsolete_partitions('ev', '1 month', 'month')"
        ) == [("public.ev_2020_01",)]
        assert db.scalar("select to_regclass('public.ev_2020_01')") is None
        assert db.scalar("select to_regclass('public.ev_2999_01')") is not None
    finally:
        db.execute("drop table if exists public.ev cascade; drop role lsql_part_reader")


# ---------------------------------------------------------------- privileges


def test_a_londiste_writer_runs_the_api(root):
    root.execute(
        "create table public.protected (id int primary key);"
        " create role lsql_worker login in role londiste_writer;"
        " grant create on schema public to lsql_worker;"
        " grant all on public.data to lsql_worker;"
        " grant usage on schema pgq_node to lsql_worker"
    )
    try:
        conn = psycopg2.connect(root.cluster.dsn(root.name, user="lsql_worker"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("select * from londiste.get_table_list(%s)", (Q,))
                assert cur.fetchall() == []
                cur.execute("select ret_code from londiste.execute_start(%s, 'x', 'x', true)", (Q,))
                assert cur.fetchone() == (200,)
                # its own table: the functions run with its rights, as in the original
                cur.execute("create table public.mine (id int primary key)")
                cur.execute("select * from londiste.local_add_table(%s, 'mine')", (Q,))
                assert cur.fetchone() == (200, "Table added: public.mine")
                cur.execute("insert into public.mine values (1)")
                cur.execute("create sequence public.mine_seq")
                cur.execute("select * from londiste.local_add_seq(%s, 'mine_seq')", (Q,))
                assert cur.fetchone() == (200, "Sequence added: public.mine_seq")
                cur.execute("select * from londiste.root_check_seqs(%s)", (Q,))
                assert cur.fetchone() == (100, "Sequences updated")
                # a table it may not put triggers on
                cur.execute("select * from londiste.local_add_table(%s, 'nokey')", (Q,))
                assert cur.fetchone()[0] == 400
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute("select * from londiste.local_add_table(%s, 'protected')", (Q,))
        finally:
            conn.close()
    finally:
        root.execute(
            "drop table if exists public.mine; drop owned by lsql_worker; drop role lsql_worker"
        )


def test_owner_without_createrole_is_told_which_roles_to_ask_for(cluster_factory):
    """Managed PostgreSQL: PgQ's roles exist, Londiste's not yet; the error says what to ask."""
    from engine.install import InstallError

    cluster = cluster_factory(install_modules=False)
    admin = psycopg2.connect(cluster.dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("create role owner login nosuperuser nocreaterole")
        cur.execute("create database app owner owner")
        cur.execute(
            "create role pgq_reader; create role pgq_writer;"
            " create role pgq_admin in role pgq_reader, pgq_writer"
        )
    conn = psycopg2.connect(cluster.dsn("app", user="owner"))
    try:
        with pytest.raises(InstallError) as err:
            install(conn, ["londiste"])
        assert "Londiste needs the role londiste_writer" in str(err.value)
        assert "create role londiste_writer in role pgq_admin;" in str(err.value)
        with admin.cursor() as cur:
            cur.execute(
                "create role londiste_writer in role pgq_admin;"
                " create role londiste_reader in role pgq_reader"
            )
        install(conn, ["londiste"])
        with conn.cursor() as cur:
            cur.execute(
                "select has_function_privilege('londiste_writer',"
                " 'londiste.local_add_table(text,text)', 'execute')"
            )
            assert cur.fetchone() == (True,)
    finally:
        conn.close()
        admin.close()


def test_root_statement_capture_gives_the_row_triggers_events(root):
    """Londiste's statement-level capture (tgflags T) against its row trigger, on the
    same statements.

    A user AFTER ROW trigger on a table keeps Londiste on the row trigger there (changes
    that trigger made to the table would be captured before the statement's own).
    """
    for t in ("s_stm", "s_row"):
        root.execute(f"create table public.{t} (id int primary key, v text, n numeric)")
    root.execute(
        "create function public.noop() returns trigger language plpgsql"
        " as $$ begin return null; end $$"
    )
    root.execute(
        "create trigger a_user after insert on public.s_row for each row"
        " execute procedure public.noop()"
    )
    for t in ("s_stm", "s_row"):
        assert code(root, "local_add_table", Q, t, ["backup", "tgflags=T"])[0] == 200
    assert (
        "EXECUTE FUNCTION pgq.logutriga('lq', 'backup')"
        in dict(triggers(root, "s_row"))["_londiste_lq"]
    )
    assert "_londiste_lq_upd" in dict(triggers(root, "s_stm"))
    statements = [
        "insert into {t} select g, 'name ' || g, g * 1.5 from generate_series(1, 300) g",
        "insert into {t} values (1000, 'one', null)",
        "update {t} set v = v || ' x', n = n + 1 where id % 3 = 0",
        "update {t} set n = 7 where id = 1000",
        "delete from {t} where id % 7 = 0",
        "insert into {t} values (7, 'back', 1) on conflict (id) do update set v = 'c'",
        "insert into {t} values (9, 'upd', 1) on conflict (id) do update set v = 'c'",
        "truncate {t}",
    ]
    for stmt in statements:
        for t in ("s_stm", "s_row"):
            root.execute(stmt.format(t=t))
    got = {t: [e for e in events(root) if e[2] == f"public.{t}"] for t in ("s_stm", "s_row")}
    assert len(got["s_row"]) > 300
    assert got["s_stm"] == [(a, b, "public.s_stm", d) for a, b, _, d in got["s_row"]]
    # a key update is refused, as by the row trigger
    root.execute("insert into s_stm values (1, 'a', 1)")
    with pytest.raises(psycopg2.Error, match="primary key update not allowed"):
        root.execute("update s_stm set id = 2")
