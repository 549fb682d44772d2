"""The capture triggers' fast path: generated per-table code that follows DDL.

The DDL event triggers regenerate a table's overload of pgq._trg_event() after every
change of the table, so the code the planner inlines always matches its columns; these
tests change tables under running sessions and check the events.
"""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest

from engine.install import install
from tests.db.test_triggers import EVENT_COLUMNS, Capture


@pytest.fixture
def cap(db: Any) -> Capture:
    db.execute("select pgq.create_queue('q')")
    return Capture(db, "fast")


def last_event(conn: Any) -> tuple:
    with conn.cursor() as cur:
        cur.execute(f"select {EVENT_COLUMNS} from pgq.event_template order by ev_id desc limit 1")
        return cur.fetchone()


def run(conn: Any, query: str, args: Any = None) -> None:
    with conn.cursor() as cur:
        cur.execute(query, args)


def overload(db: Any, table: str) -> str | None:
    return db.scalar(
        "select p.oid::regprocedure::text from pg_proc p join pg_class c"
        " on c.reltype = p.proargtypes[5] where p.proname = '_trg_event' and c.oid = %s::regclass",
        (table,),
    )


def test_overload_is_inlined_into_the_plan(cap):
    cap.execute("create table fi (id int primary key, name text)")
    cap.execute(
        "create trigger c after insert on fi for each row execute procedure pgq.logutriga('q')"
    )
    plan = "\n".join(
        r[0]
        for r in cap.execute(
            "explain (verbose, costs off) select pgq._trg_event('logutriga', 1,"
            " '[0:0]={q}'::text[], 'INSERT', 'AFTER', row(1, 'a')::fi, null::fi, 'public', 'fi',"
            " 'fi'::regclass)"
        )
    )
    # the planner replaced the call by the generated expression
    assert "_trg_event" not in plan and "_trg_generic" not in plan
    assert "pgq.insert_event(" in plan and "'I:id'" in plan


def test_generated_code_follows_alter_table_in_running_sessions(cap):
    cap.execute("create table fa (id int primary key, a text, b int)")
    cap.execute(
        "create trigger c after insert or update on fa for each row"
        " execute procedure pgq.logutriga('q')"
    )
    # a second session that has planned the trigger before the DDL
    other = cap.db.connect()
    run(other, "insert into fa values (1, 'x y', 1)")
    assert last_event(other)[:2] == ("I:id", "id=1&a=x+y&b=1")

    cap.execute("alter table fa add column c text default 'new'")
    run(other, "insert into fa values (2, 'p', 2)")
    assert last_event(other)[:2] == ("I:id", "id=2&a=p&b=2&c=new")

    cap.execute("alter table fa drop column a")
    run(other, "insert into fa values (3, 3)")
    assert last_event(other)[:2] == ("I:id", "id=3&b=3&c=new")

    cap.execute('alter table fa rename column b to "B b"')
    run(other, "insert into fa values (4, 4)")
    assert last_event(other)[:2] == ("I:id", "id=4&B+b=4&c=new")

    # int -> text changes the encoding: spaces must now be escaped
    cap.execute('alter table fa alter column "B b" type text')
    run(other, "insert into fa values (5, 'five 5')")
    assert last_event(other)[:2] == ("I:id", "id=5&B+b=five+5&c=new")

    cap.execute("alter table fa rename column id to key")
    run(other, "update fa set c = 'upd' where key = 5")
    assert last_event(other)[:2] == ("U:key", "key=5&B+b=five+5&c=upd")

    # the primary key moves: ev_type and the key check follow
    cap.execute("alter table fa drop constraint fa_pkey")
    cap.execute('alter table fa add primary key ("B b")')
    run(other, "update fa set c = 'u2' where key = 5")
    assert last_event(other)[:2] == ("U:B b", "key=5&B+b=five+5&c=u2")
    with pytest.raises(psycopg2.Error, match="primary key update not allowed"):
        run(other, "update fa set \"B b\" = 'z' where key = 5")
    # and the path is still the fast one
    assert overload(cap.db, "fa") is not None


def test_ddl_in_the_same_transaction(cap):
    conn = cap.db.connect(autocommit=False)
    run(conn, "create table ft (id int primary key)")
    run(
        conn, "create trigger c after insert on ft for each row execute procedure pgq.sqltriga('q')"
    )
    run(conn, "insert into ft values (1)")
    run(conn, "alter table ft add column v text")
    run(conn, "insert into ft values (2, 'x')")
    conn.commit()
    evs = cap.execute(f"select {EVENT_COLUMNS} from pgq.event_template order by ev_id")
    assert [e[1] for e in evs] == ["(id) values ('1')", "(id,v) values ('2','x')"]


def test_rollback_of_ddl_restores_the_old_code(cap):
    cap.execute("create table fr (id int primary key)")
    cap.execute(
        "create trigger c after insert on fr for each row execute procedure pgq.logutriga('q')"
    )
    conn = cap.db.connect(autocommit=False)
    run(conn, "alter table fr add column v text")
    conn.rollback()
    assert cap.event("insert into fr values (1)")[:2] == ("I:id", "id=1")


def test_drop_table_drops_the_generated_code(cap):
    cap.execute("create table fd (id int primary key)")
    cap.execute(
        "create trigger c after insert on fd for each row execute procedure pgq.logutriga('q')"
    )
    assert overload(cap.db, "fd") is not None
    cap.execute("drop table fd")
    assert (
        cap.db.scalar(
            "select count(*) from pg_proc where proname = '_trg_event'"
            " and proargtypes[5] <> 'anyelement'::regtype"
        )
        == 0
    )


def test_drop_trigger_drops_the_generated_code(cap):
    cap.execute("create table fg (id int primary key)")
    cap.execute(
        "create trigger c after insert on fg for each row execute procedure pgq.logutriga('q')"
    )
    cap.execute(
        "create trigger d after insert on fg for each row execute procedure pgq.sqltriga('q')"
    )
    cap.execute("drop trigger c on fg")
    assert overload(cap.db, "fg") is not None
    assert cap.event("insert into fg values (1)")[:2] == ("I", "(id) values ('1')")
    cap.execute("drop trigger d on fg")
    assert overload(cap.db, "fg") is None
    # tables without capture triggers get no code at all
    cap.execute("create table fh (id int)")
    cap.execute("alter table fh add column v int")
    assert overload(cap.db, "fh") is None


def test_partitioned_table(cap):
    cap.execute(
        "create table fp (id int, part text, v text, primary key (id, part))"
        " partition by list (part)"
    )
    cap.execute("create table fp_a partition of fp for values in ('a')")
    cap.execute(
        "create trigger c after insert or update or delete on fp for each row"
        " execute procedure pgq.logutriga('q')"
    )
    # a partition made later gets the cloned trigger and its own code
    cap.execute("create table fp_b partition of fp for values in ('b')")
    # one attached with another column order
    cap.execute("create table fp_c (v text, part text not null, id int not null)")
    cap.execute("alter table fp_c add primary key (id, part)")
    cap.execute("alter table fp attach partition fp_c for values in ('c')")
    for table in ("fp_a", "fp_b", "fp_c"):
        assert overload(cap.db, table) is not None, table
    evs = cap.events("insert into fp values (1, 'a', 'x'), (2, 'b', 'y'), (3, 'c', 'z')")
    assert evs == [
        ("I:id,part", "id=1&part=a&v=x", "public.fp_a", None, None, None),
        ("I:id,part", "id=2&part=b&v=y", "public.fp_b", None, None, None),
        ("I:id,part", "v=z&part=c&id=3", "public.fp_c", None, None, None),
    ]
    cap.execute("alter table fp add column w int default 7")
    assert cap.events("update fp set v = v || '!' where id in (1, 3)") == [
        ("U:id,part", "id=1&part=a&v=x%21&w=7", "public.fp_a", None, None, None),
        ("U:id,part", "v=z%21&part=c&id=3&w=7", "public.fp_c", None, None, None),
    ]


def test_inheritance_children_follow_the_parent(cap):
    cap.execute("create table fpar (id int primary key, v text)")
    cap.execute("create table fchild (extra text) inherits (fpar)")
    cap.execute("alter table fchild add primary key (id)")
    cap.execute(
        "create trigger c after insert on fchild for each row execute procedure pgq.logutriga('q')"
    )
    cap.execute("alter table fpar add column w int")
    assert cap.event("insert into fchild values (1, 'a', 'e', 5)")[:3] == (
        "I:id",
        "id=1&v=a&extra=e&w=5",
        "public.fchild",
    )


def test_typed_table_follows_alter_type(cap):
    cap.execute("create type fty as (id int, v text)")
    cap.execute("create table ftt of fty (primary key (id))")
    cap.execute(
        "create trigger c after insert on ftt for each row execute procedure pgq.logutriga('q')"
    )
    cap.execute("alter type fty add attribute w text cascade")
    assert cap.event("insert into ftt values (1, 'a', 'w')")[:2] == ("I:id", "id=1&v=a&w=w")


def test_dropping_a_column_type_regenerates(cap):
    cap.execute("create domain fdom as text")
    cap.execute("create table fdd (id int primary key, d fdom, v text)")
    cap.execute(
        "create trigger c after insert on fdd for each row execute procedure pgq.logutriga('q')"
    )
    cap.execute("drop domain fdom cascade")
    assert cap.event("insert into fdd values (1, 'x')")[:2] == ("I:id", "id=1&v=x")


def test_bad_options_take_the_slow_path_and_fail_when_fired(cap):
    cap.execute("create table fb (id int primary key)")
    cap.execute(
        "create trigger c after insert on fb for each row"
        " execute procedure pgq.logutriga('q', 'nope')"
    )
    cap.fails("insert into fb values (1)", "bad param to pgq trigger")


def test_expression_with_user_function_uses_the_slow_path(cap):
    cap.execute("create function public.fx_twice(int) returns int language sql as 'select $1 * 2'")
    cap.execute("create table fx (id int primary key)")
    cap.execute(
        "create trigger c after insert on fx for each row"
        " execute procedure pgq.logutriga('q', 'ev_extra2=fx_twice(id)')"
    )
    cap.execute(
        "create trigger d after insert on fx for each row execute procedure pgq.sqltriga('q')"
    )
    # the other trigger keeps its fast path
    assert cap.db.scalar("select pgq._trg_refresh('fx'::regclass)") == (
        "created (1 option sets on the slow path), none"
    )
    assert cap.events("insert into fx values (21)") == [
        ("I:id", "id=21", "public.fx", "42", None, None),
        ("I", "(id) values ('21')", "public.fx", None, None, None),
    ]


def test_reinstall_keeps_the_fast_path(cap):
    cap.execute("create table fre (id int primary key, v text)")
    cap.execute(
        "create trigger c after insert on fre for each row execute procedure pgq.jsontriga('q')"
    )
    conn = psycopg2.connect(cap.db.dsn)
    try:
        install(conn)
    finally:
        conn.close()
    assert overload(cap.db, "fre") is not None
    assert cap.event("insert into fre values (1, 'a')")[1] == '{"id":1,"v":"a"}'


def test_writer_role_fires_triggers_on_the_fast_path(cap):
    cap.execute("create role trg_writer login")
    cap.execute("grant pgq_writer to trg_writer")
    cap.execute("create role trg_nobody login")
    cap.execute("create table fw (id int primary key, v text)")
    cap.execute(
        "create trigger c after insert on fw for each row execute procedure pgq.logutriga('q')"
    )
    cap.execute("grant insert on fw to trg_writer, trg_nobody")
    writer = cap.db.connect(user="trg_writer")
    run(writer, "insert into fw values (1, 'a b')")
    assert cap.db.scalar("select ev_data from pgq.event_template") == "id=1&v=a+b"
    # without pgq_writer the trigger cannot write events (as in the original)
    nobody = cap.db.connect(user="trg_nobody")
    with pytest.raises(psycopg2.Error, match="permission denied"):
        run(nobody, "insert into fw values (2, 'c')")


def test_table_owner_can_attach_triggers(cap):
    cap.execute("create role trg_owner login")
    cap.execute("grant pgq_writer to trg_owner")
    cap.execute("grant create on schema public to trg_owner")
    owner = cap.db.connect(user="trg_owner")
    run(owner, "create table fo (id int primary key)")
    run(
        owner,
        "create trigger c after insert on fo for each row execute procedure pgq.sqltriga('q')",
    )
    run(owner, "alter table fo add column v text")
    assert overload(cap.db, "fo") is not None
    run(owner, "insert into fo values (1, 'x')")
    assert cap.db.scalar("select ev_data from pgq.event_template") == "(id,v) values ('1','x')"
    # the generated function belongs to the installer and is not the owner's to change
    assert (
        cap.db.scalar(
            "select pg_get_userbyid(proowner) from pg_proc where oid = %s::regprocedure",
            (overload(cap.db, "fo"),),
        )
        == "postgres"
    )
    run(owner, "drop table fo")


def test_renamed_table_and_schema_show_their_new_names(cap):
    cap.execute("create schema fs1")
    cap.execute("create table fs1.fn (id int primary key)")
    cap.execute(
        "create trigger c after insert on fs1.fn for each row execute procedure pgq.jsontriga('q')"
    )
    cap.execute("alter table fs1.fn rename to fn2")
    ev = cap.event("insert into fs1.fn2 values (1)")
    assert ev[0] == '{"op":"INSERT","table":["fs1","fn2"],"pkey":["id"]}' and ev[2] == "fs1.fn2"
    # ALTER SCHEMA RENAME regenerates nothing; the generated code notices
    cap.execute("alter schema fs1 rename to fs2")
    ev = cap.event("insert into fs2.fn2 values (2)")
    assert ev[0] == '{"op":"INSERT","table":["fs2","fn2"],"pkey":["id"]}' and ev[2] == "fs2.fn2"


def test_ddl_in_replica_role_still_regenerates(cap):
    cap.execute("create table frp (id int primary key)")
    cap.execute(
        "create trigger c after insert on frp for each row execute procedure pgq.logutriga('q')"
    )
    cap.execute("alter table frp enable always trigger c")
    cap.execute("set session_replication_role = 'replica'")
    cap.execute("alter table frp add column v text")
    assert cap.event("insert into frp values (1, 'x')")[:2] == ("I:id", "id=1&v=x")


def test_failing_code_generation_never_breaks_ddl(cap):
    cap.execute("create table fz (id int primary key)")
    cap.execute(
        "create trigger c after insert on fz for each row execute procedure pgq.logutriga('q')"
    )
    assert overload(cap.db, "fz") is not None
    # break the generator: the DDL must still work, the stale code must go
    cap.execute("alter function pgq._trg_pkeys(oid, text) rename to _trg_pkeys_hidden")
    conn = cap.db.connect()
    notices = conn.notices
    run(conn, "alter table fz add column v text")
    assert any(n.startswith("WARNING:  pgq: ") for n in notices), notices
    assert overload(cap.db, "fz") is None
    cap.execute("alter function pgq._trg_pkeys_hidden(oid, text) rename to _trg_pkeys")
    assert cap.event("insert into fz values (1, 'x')")[:2] == ("I:id", "id=1&v=x")


def test_wide_table_keeps_the_fast_path(cap):
    cols = ", ".join(f"c{i} int" for i in range(250))
    cap.execute(f"create table fwide (id int primary key, {cols})")
    cap.execute(
        "create trigger s after insert or update on fwide for each row"
        " execute procedure pgq.sqltriga('q')"
    )
    assert overload(cap.db, "fwide") is not None
    cap.execute("insert into fwide (id) values (1)")
    assert cap.event("update fwide set c3 = 3, c200 = 200, c249 = null")[1] == (
        "c3='3',c200='200' where id='1'"
    )
    assert cap.event("update fwide set c249 = c249")[1] == "id='1' where id='1'"
