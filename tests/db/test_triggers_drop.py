"""DROP of captured tables: the generated fast path never stops it, no catalog is written.

The overloads pgq._trg_event(..., <table>, ...) depend on the table's row type as
CREATE FUNCTION made them; pgq._trg_before_drop (ddl_command_start) drops those of
the tables a DROP may drop, and tables that survive get theirs back at
ddl_command_end.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import psycopg2
import pytest

from tests.conftest import _create_db, _drop_db

TRIGGER = (
    "create trigger c after insert or update or delete on {t}"
    " for each row execute procedure pgq.{k}('q')"
)


@pytest.fixture
def qdb(db: Any) -> Any:
    db.execute("select pgq.create_queue('q')")
    return db


def captured(db: Any, table: str, kind: str = "logutriga") -> None:
    db.execute(f"create table {table} (id int primary key, v text)")
    db.execute(TRIGGER.format(t=table, k=kind))


def overloads(db: Any) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "select p.oid::regprocedure::text from pg_proc p"
            " where p.proname in ('_trg_event', '_trg_fields')"
            " and p.pronamespace = 'pgq'::regnamespace"
            " and p.proargtypes[5] <> 'anyelement'::regtype order by 1"
        )
    ]


def has_overload(db: Any, table: str) -> bool:
    return bool(
        db.scalar(
            "select count(*) from pg_proc p join pg_class c on c.reltype = p.proargtypes[5]"
            " where p.proname = '_trg_event' and c.oid = %s::regclass",
            (table,),
        )
    )


def no_auto_dependencies(db: Any) -> None:
    """The overloads' dependencies on row types are the normal ones CREATE FUNCTION made."""
    assert (
        db.scalar(
            "select count(*) from pg_depend d join pg_proc p on p.oid = d.objid"
            " where d.classid = 'pg_proc'::regclass and p.proname in ('_trg_event', '_trg_fields')"
            " and p.pronamespace = 'pgq'::regnamespace and d.deptype <> 'n'"
        )
        == 0
    )


def test_plain_drop_table(qdb):
    captured(qdb, "d1")
    captured(qdb, "d2", "jsontriga")
    assert has_overload(qdb, "d1") and has_overload(qdb, "d2")
    no_auto_dependencies(qdb)
    qdb.execute("drop table d1")
    assert overloads(qdb) == [o for o in overloads(qdb) if "d1" not in o]
    assert qdb.scalar("select to_regclass('d1')") is None
    # the other captured table keeps its fast path and its events
    assert has_overload(qdb, "d2")
    qdb.execute("insert into d2 values (1, 'x')")
    assert qdb.scalar("select ev_data from pgq.event_template") == '{"id":1,"v":"x"}'


def test_drop_of_several_tables_quoted_and_mixed_case(qdb):
    qdb.execute('create schema "Odd ""S"""')
    captured(qdb, '"Odd ""S"""."My ""T"""')
    captured(qdb, "Plain")
    captured(qdb, "keep", "sqltriga")
    qdb.execute('drop table "Odd ""S"""."My ""T""", PLAIN')
    assert [o for o in overloads(qdb) if "keep" not in o] == []
    assert has_overload(qdb, "keep")


def test_drop_table_cascade_and_drop_schema_cascade(qdb):
    captured(qdb, "dc")
    qdb.execute("create view dc_v as select * from dc")
    qdb.execute("drop table dc cascade")
    qdb.execute("create schema ds")
    captured(qdb, "ds.a")
    captured(qdb, "ds.b", "sqltriga")
    qdb.execute("drop schema ds cascade")
    assert overloads(qdb) == []


def test_drop_of_a_partitioned_table_drops_its_captured_partitions(qdb):
    qdb.execute("create table pp (id int primary key, v text) partition by range (id)")
    qdb.execute("create table pp_1 partition of pp for values from (0) to (10)")
    qdb.execute(TRIGGER.format(t="pp_1", k="logutriga"))
    assert has_overload(qdb, "pp_1")
    qdb.execute("drop table pp")
    assert overloads(qdb) == []


def test_drop_from_functions_and_do_blocks(qdb):
    captured(qdb, "fx1")
    captured(qdb, "fx2")
    captured(qdb, "fx3")
    captured(qdb, "bystander")
    qdb.execute(
        "create function drop_it(t text) returns void language plpgsql"
        " as $$ begin execute 'drop table ' || quote_ident(t); end $$"
    )
    qdb.execute("select drop_it('fx1')")
    # an SQL function does not show its statement: every captured table is taken
    qdb.execute("create function drop_fx2() returns void language sql as $$ drop table fx2 $$")
    qdb.execute("select drop_fx2()")
    qdb.execute("do $$ begin execute 'drop table fx3'; end $$")
    assert [o for o in overloads(qdb) if "bystander" not in o] == []
    assert has_overload(qdb, "bystander")


def test_a_drop_that_drops_nothing_keeps_the_fast_path(qdb):
    captured(qdb, "kept")
    before = overloads(qdb)
    oid = qdb.scalar("select %s::regprocedure::oid", (before[0],))
    qdb.execute("drop table if exists kept_not, nothing_here")
    qdb.execute("create table other (i int)")
    qdb.execute("drop table other")
    # not even regenerated: 'kept' is not a word of those commands
    assert qdb.scalar("select %s::regprocedure::oid", (before[0],)) == oid
    # named, but the DROP fails: everything as before
    qdb.execute("create view kept_v as select * from kept")
    with pytest.raises(psycopg2.Error, match="other objects depend on it"):
        qdb.execute("drop table kept")
    assert has_overload(qdb, "kept")
    # named but not dropped: the overload comes back at the end of the command
    with pytest.raises(psycopg2.Error, match="does not exist"):
        qdb.execute("drop table kept, nosuch")
    for wrong in ("drop view kept", "drop table kept_v", 'drop table "kept"x'):
        with pytest.raises(psycopg2.Error):
            qdb.execute(wrong)
    assert has_overload(qdb, "kept")
    qdb.execute("insert into kept values (1, 'a')")
    assert qdb.scalar("select ev_data from pgq.event_template") == "id=1&v=a"


def test_drop_owned_and_drop_table_as_the_owner(qdb):
    qdb.execute("create role trg_dropper login")
    qdb.execute("grant pgq_writer to trg_dropper")
    qdb.execute("grant create on schema public to trg_dropper")
    owner = qdb.connect(user="trg_dropper")
    with owner.cursor() as cur:
        cur.execute("create table own1 (id int primary key)")
        cur.execute(TRIGGER.format(t="own1", k="sqltriga"))
        cur.execute("create table own2 (id int primary key)")
        cur.execute(TRIGGER.format(t="own2", k="sqltriga"))
    assert has_overload(qdb, "own1")
    with owner.cursor() as cur:
        cur.execute("drop table own1")
    owner.close()
    captured(qdb, "not_owned")
    qdb.execute("drop owned by trg_dropper")
    assert qdb.scalar("select to_regclass('own2')") is None
    assert [o for o in overloads(qdb) if "not_owned" not in o] == []
    assert has_overload(qdb, "not_owned")


def test_drop_table_works_after_dump_and_restore(qdb, pg_cluster):
    captured(qdb, "dumped")
    captured(qdb, "dumped2", "jsontriga")
    bindir = pg_cluster.bindir
    dump = subprocess.run(
        [str(bindir / "pg_dump"), "-d", qdb.dsn],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    restored = _create_db(pg_cluster, "template0")
    try:
        psql = shutil.which("psql") or str(bindir / "psql")
        out = subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", restored.dsn],
            input=dump,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
        assert has_overload(restored, "dumped")
        restored.execute("drop table dumped")
        assert has_overload(restored, "dumped2")
        restored.execute("insert into dumped2 values (1, 'r')")
        assert restored.scalar("select ev_data from pgq.event_template") == '{"id":1,"v":"r"}'
    finally:
        _drop_db(restored)


def test_install_without_superuser_takes_the_slow_path_and_drops(empty_db):
    """A database owner installs: no event triggers, no overloads, DROP TABLE just works."""
    from engine.install import install

    empty_db.execute(
        "do $$ begin if not exists (select from pg_roles where rolname ="
        " 'trg_installer') then create role trg_installer login; end if; end $$"
    )
    empty_db.execute(f'alter database "{empty_db.name}" owner to trg_installer')
    conn = empty_db.connect(autocommit=False, user="trg_installer")
    try:
        install(conn, ["pgq"])
        with conn.cursor() as cur:
            cur.execute("select pgq._trg_setup()")
            assert cur.fetchone()[0] == "capture triggers: not superuser, slow path only"
            cur.execute("select pgq.create_queue('q')")
            cur.execute("create table ns (id int primary key, v text)")
            cur.execute(TRIGGER.format(t="ns", k="logutriga"))
            cur.execute("insert into ns values (1, 'a')")
            cur.execute("select ev_data from pgq.event_template")
            assert cur.fetchone()[0] == "id=1&v=a"
            cur.execute("drop table ns")
        conn.commit()
    finally:
        conn.close()
    assert overloads(empty_db) == []
    assert empty_db.scalar("select count(*) from pg_event_trigger where evtname ~ '^pgq_'") == 0
