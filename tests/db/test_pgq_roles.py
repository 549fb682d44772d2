"""Roles: pgq_reader consumes, pgq_writer produces, pgq_admin manages; nothing more."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from tests.db.test_triggers_vs_original import original  # noqa: F401  (fixture)
from tests.pgqtools import tick


@pytest.fixture
def roles(db):
    db.execute("select pgq.create_queue('q1')")
    for name, role in [
        ("u_reader", "pgq_reader"),
        ("u_writer", "pgq_writer"),
        ("u_admin", "pgq_admin"),
        ("u_nobody", None),
    ]:
        db.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))
        db.execute(sql.SQL("create role {} login").format(sql.Identifier(name)))
        if role:
            db.execute(sql.SQL("grant {} to {}").format(sql.Identifier(role), sql.Identifier(name)))
    yield db
    db.close()
    for name in ("u_reader", "u_writer", "u_admin", "u_nobody"):
        db.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
        db.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def as_user(db, user):
    conn = db.connect(user=user)
    return conn.cursor()


def test_reader_consumes_but_cannot_insert(roles):
    db = roles
    cur = as_user(db, "u_reader")
    cur.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    tick(db.conn.cursor(), "q1")
    cur.execute("select pgq.next_batch('q1', 'c1')")
    bid = cur.fetchone()[0]
    cur.execute("select count(*) from pgq.get_batch_events(%s)", (bid,))
    assert cur.fetchone()[0] == 1
    cur.execute(
        "select pgq.event_retry(%s, (select ev_id from pgq.get_batch_events(%s)), 0)", (bid, bid)
    )
    cur.execute("select pgq.finish_batch(%s)", (bid,))
    cur.execute("select * from pgq.get_consumer_info()")
    for stmt in (
        "select pgq.insert_event('q1', 't', 'd')",
        "select pgq.insert_event_bulk('q1', array['t'], array['d'])",
        "select pgq.current_event_table('q1')",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(stmt)
    table = db.scalar("select pgq.current_event_table('q1')")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute(
            sql.SQL("insert into {} (ev_type) values ('x')").format(
                sql.SQL(".").join(sql.Identifier(p) for p in table.split("."))
            )
        )


def test_a_writer_cannot_clear_the_checks(roles):
    """disable_insert and per_tx_limit hold against a writer: the checks are in the
    owner's generated code and the counts in the owner's table, and no setting a
    writer can write is read (the original reads the queue row itself and counts in
    its C code's memory)."""
    db = roles
    db.execute("select pgq.create_queue('guarded')")
    db.execute("select pgq.create_queue('limited')")
    db.execute("select pgq.set_queue_config('guarded', 'disable_insert', '1')")
    db.execute("select pgq.set_queue_config('limited', 'per_tx_limit', '1')")
    conn = db.connect(autocommit=False, user="u_writer")
    try:
        with conn.cursor() as cur:
            with pytest.raises(psycopg2.Error, match="Insert into queue disallowed"):
                cur.execute("select pgq.insert_event('guarded', 't', 'd')")
            conn.rollback()
            cur.execute("select pgq.insert_event('limited', 't', '1')")
            with pytest.raises(psycopg2.Error, match="allows max 1 events from one TX"):
                cur.execute("select pgq.insert_event('limited', 't', '2')")
            conn.rollback()
            for forge in (
                "delete from pgq.tx_event_count",
                "update pgq.tx_event_count set tx_events = 0",
                "insert into pgq.tx_event_count values (1, 1, 1)",
                "update pgq.queue set queue_disable_insert = false",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(forge)
                conn.rollback()
    finally:
        conn.close()


def test_writer_inserts_but_cannot_manage_or_consume(roles):
    db = roles
    cur = as_user(db, "u_writer")
    cur.execute("select pgq.insert_event('q1', 't', 'd')")
    cur.execute("select pgq.insert_event('q1', 't', 'd', '1', '2', '3', '4')")
    cur.execute("select pgq.insert_event_bulk('q1', array['t'], array['d'])")
    cur.execute("select pgq.current_event_table('q1')")
    # a queue created after the grants were made
    db.execute("select pgq.create_queue('q2')")
    cur.execute("select pgq.insert_event('q2', 't', 'd')")
    for stmt in (
        "select pgq.create_queue('q3')",
        "select pgq.drop_queue('q1')",
        "select pgq.set_queue_config('q1', 'ticker_max_count', '1')",
        "select pgq.ticker()",
        "select pgq.maint_retry_events()",
        "select pgq.register_consumer('q1', 'c1')",
        "select pgq.next_batch('q1', 'c1')",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(stmt)
    assert db.scalar("select count(*) from pgq.event_template") == 4


def test_admin_does_everything(roles):
    db = roles
    cur = as_user(db, "u_admin")
    cur.execute("select pgq.create_queue('qa')")
    cur.execute("select pgq.set_queue_config('qa', 'ticker_max_count', '1')")
    cur.execute("select pgq.register_consumer('qa', 'c1')")
    cur.execute("select pgq.insert_event('qa', 't', 'd')")
    cur.execute("select pgq.ticker()")
    cur.execute("select * from pgq.maint_operations()")
    cur.execute("select pgq.maint_retry_events()")
    cur.execute("select pgq.drop_queue('qa', true)")


def test_public_reads_info_only(roles):
    db = roles
    cur = as_user(db, "u_nobody")
    cur.execute("select * from pgq.get_queue_info()")
    cur.execute("select * from pgq.get_consumer_info()")
    cur.execute("select pgq.version()")
    cur.execute("select * from pgq.queue")
    for stmt in (
        "select pgq.insert_event('q1', 't', 'd')",
        "select pgq.register_consumer('q1', 'c1')",
        "select pgq.create_queue('qx')",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(stmt)


def test_grant_perms_from_copies_a_tables_grants(db):
    """pgq._grant_perms_from (the original's helper): grantees, privileges, grant option."""
    db.execute("create role grant_copy_a")
    try:
        db.execute("create table src_t (id int)")
        db.execute("create table dst_t (id int)")
        db.execute("grant select, insert on src_t to grant_copy_a")
        db.execute("grant update on src_t to grant_copy_a with grant option")
        db.execute("grant select on src_t to public")
        assert db.scalar("select pgq._grant_perms_from('public', 'src_t', 'public', 'dst_t')") == 1
        rows = db.execute(
            "select coalesce(r.rolname, 'public'), a.privilege_type, a.is_grantable"
            " from pg_class c, aclexplode(c.relacl) a left join pg_roles r on r.oid = a.grantee"
            " where c.oid = 'dst_t'::regclass and a.grantee <> c.relowner order by 1, 2"
        )
        assert rows == [
            ("grant_copy_a", "INSERT", False),
            ("grant_copy_a", "SELECT", False),
            ("grant_copy_a", "UPDATE", True),
            ("public", "SELECT", False),
        ]
    finally:
        db.execute("drop table if exists src_t, dst_t")
        db.execute("drop role grant_copy_a")


def _event_tables(db):
    table = db.scalar("select pgq.current_event_table('q1')")
    qid = db.scalar("select queue_id from pgq.queue where queue_name = 'q1'")
    return [table, f"pgq.event_{qid}", f"pgq.event_{qid}_1", "pgq.event_template"]


def _ident(table):
    return sql.SQL(".").join(sql.Identifier(p) for p in table.split("."))


FORGERIES = (
    "insert into {} (ev_id, ev_txid, ev_type, ev_data) values (1, 1, 'x', 'forged')",
    "update {} set ev_data = 'forged'",
    "delete from {}",
    "truncate {}",
)


@pytest.mark.parametrize("user", ["u_writer", "u_reader", "u_nobody"])
def test_nobody_but_the_owner_writes_event_tables(roles, user):
    """As in the original: events come only through the API, with their own id and txid."""
    db = roles
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    cur = as_user(db, user)
    for table in _event_tables(db):
        for stmt in FORGERIES:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(sql.SQL(stmt).format(_ident(table)))
    for stmt in (
        "select pgq.insert_event_raw('q1', 1, now(), null, null, 'x', 'forged', null, null,"
        " null, null)",
        "select nextval(%s)",
        "select setval(%s, 1)",
    ):
        seq = db.scalar("select queue_event_seq from pgq.queue where queue_name = 'q1'")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(stmt, (seq,) if "%s" in stmt else None)
    assert db.execute("select ev_data from pgq.event_template") == [("d",)]


def test_writer_captures_with_triggers_without_table_rights(roles):
    db = roles
    db.execute("create table cap (id int primary key, v text)")
    db.execute("grant select, insert, update, delete on cap to u_writer, u_nobody")
    db.execute(
        "create trigger c after insert or update or delete on cap"
        " for each row execute procedure pgq.logutriga('q1')"
    )
    db.execute(
        "create table cap_t (id int primary key); grant truncate on cap_t to u_writer;"
        " create trigger c after truncate on cap_t"
        " for each statement execute procedure pgq.sqltriga('q1')"
    )
    db.execute("create table cap_s (id int primary key)")
    db.execute("grant insert on cap_s to u_writer")
    db.execute("select pgq.create_statement_capture('cap_s', 'c', 'jsontriga', 'q1')")
    cur = as_user(db, "u_writer")
    cur.execute("insert into cap values (1, 'a'), (2, 'b')")
    cur.execute("update cap set v = 'c' where id = 1")
    cur.execute("delete from cap where id = 2")
    cur.execute("truncate cap_t")
    cur.execute("insert into cap_s values (1), (2)")
    assert db.execute("select ev_type from pgq.event_template order by ev_id") == [
        ("I:id",),
        ("I:id",),
        ("U:id",),
        ("D:id",),
        ("R",),
        ('{"op":"INSERT","table":["public","cap_s"],"pkey":["id"]}',),
        ('{"op":"INSERT","table":["public","cap_s"],"pkey":["id"]}',),
    ]
    # a role that may change the table but is no writer: the trigger refuses, as the original
    nobody = as_user(db, "u_nobody")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        nobody.execute("insert into cap values (3, 'x')")
    db.execute("drop table cap, cap_t, cap_s")


def test_admin_inserts_raw_events(roles):
    db = roles
    cur = as_user(db, "u_admin")
    cur.execute(
        "select pgq.insert_event_raw('q1', 1234, now(), null, null, 't', 'd', null, null,"
        " null, null)"
    )
    assert cur.fetchone()[0] == 1234


# -- the original's privilege model, walked with three roles beside the C extension --------

WALK = (
    ("u_admin", "select pgq.create_queue('w')"),
    ("u_writer", "select pgq.create_queue('w2')"),
    ("u_reader", "select pgq.create_queue('w2')"),
    ("u_nobody", "select pgq.create_queue('w2')"),
    ("u_writer", "select pgq.insert_event('w', 't', 'd')"),
    ("u_writer", "select pgq.insert_event('w', 't', 'd', '1', '2', '3', '4')"),
    ("u_writer", "select pgq.current_event_table('w')"),
    (
        "u_writer",
        "select pgq.insert_event_raw('w', null, now(), null, null, 't', 'd',"
        " null, null, null, null)",
    ),
    ("u_writer", "insert into {table} (ev_type, ev_data) values ('x', 'forged')"),
    ("u_writer", "update {table} set ev_data = 'forged'"),
    ("u_writer", "delete from {table}"),
    ("u_writer", "select count(*) from {table}"),
    ("u_writer", "select pgq.register_consumer('w', 'c')"),
    ("u_writer", "insert into cap values (1)"),
    ("u_reader", "select pgq.insert_event('w', 't', 'd')"),
    ("u_reader", "insert into {table} (ev_type, ev_data) values ('x', 'forged')"),
    ("u_reader", "insert into cap values (2)"),
    ("u_reader", "select pgq.register_consumer('w', 'c')"),
    ("u_reader", "select pgq.ticker('w')"),
    ("u_admin", "select pgq.ticker('w')"),
    ("u_writer", "select pgq.next_batch('w', 'c')"),
    ("u_reader", "select count(*) from pgq.get_batch_events(pgq.next_batch('w', 'c'))"),
    ("u_reader", "select count(*) from {table}"),
    ("u_reader", "select pgq.finish_batch(pgq.next_batch('w', 'c'))"),
    ("u_nobody", "select pgq.insert_event('w', 't', 'd')"),
    ("u_nobody", "insert into {table} (ev_type, ev_data) values ('x', 'forged')"),
    ("u_nobody", "insert into cap values (3)"),
    ("u_nobody", "select count(*) from {table}"),
    ("u_nobody", "select count(*) from pgq.get_queue_info()"),
    ("u_nobody", "select count(*) from pgq.queue"),
    ("u_nobody", "select pgq.register_consumer('w', 'c2')"),
    (
        "u_admin",
        "select pgq.insert_event_raw('w', null, now(), null, null, 't', 'd',"
        " null, null, null, null)",
    ),
    ("u_admin", "select pgq.insert_event('w', 't', 'd')"),
    ("u_admin", "insert into cap values (4)"),
    ("u_admin", "select pgq.unregister_consumer('w', 'c')"),
    ("u_admin", "select pgq.drop_queue('w', true)"),
)


def original_grant_file(original_db) -> str:
    """The grant statements of the installed original's extension script."""
    sharedir = original_db.scalar("select setting from pg_config where name = 'SHAREDIR'")
    version = original_db.scalar("select extversion from pg_extension where extname = 'pgq'")
    path = Path(sharedir) / "extension" / f"pgq--{version}.sql"
    text = path.read_text()
    start = text.find("-- 1.public --")
    if start < 0:
        pytest.skip(f"no grant section in {path}")
    end = text.find("pg_extension_config_dump", start)
    end = text.rfind("\n--", start, end) if end > 0 else len(text)
    return text[start:end]


def walk(database) -> list[tuple[str, str, str]]:
    database.execute("create table cap (id int primary key)")
    database.execute("grant select, insert on cap to public")
    database.execute(
        "create trigger c after insert on cap for each row execute procedure pgq.logutriga('w')"
    )
    conns = {}
    seen = []
    for user, stmt in WALK:
        table = database.scalar(
            "select queue_data_pfx || '_' || queue_cur_table from pgq.queue where queue_name = 'w'"
        )
        if user not in conns:
            conns[user] = database.connect(user=user)
        try:
            with conns[user].cursor() as cur:
                cur.execute(stmt.format(table=table))
            what = "ok"
        except psycopg2.Error as err:
            what = err.pgcode
        seen.append((user, stmt, what))
    return seen


@pytest.mark.parametrize("grants", ["ours", "the original's grant file"])
def test_privileges_walk_as_the_original(roles, original, grants):  # noqa: F811
    """Three roles (and one without any) do the same things here and in the original."""
    if grants != "ours":
        roles.execute(original_grant_file(original))
    roles.execute("select pgq.drop_queue('q1')")
    ours, orig = walk(roles), walk(original)
    assert ours == orig
    # and the walk says what the model is
    denied = {(u, s) for u, s, what in orig if what == "42501"}
    assert ("u_writer", "insert into {table} (ev_type, ev_data) values ('x', 'forged')") in denied
    assert ("u_writer", "insert into cap values (1)") not in denied
    assert ("u_reader", "insert into cap values (2)") in denied


HOSTILE = """
create schema evil;
grant usage on schema evil to public;
create function evil.trap() returns boolean language plpgsql as
    $$ begin raise exception 'hijacked: ran with the owner''s rights'; end $$;
create function evil.nextval(regclass) returns bigint language sql
    as $$ select case when evil.trap() then 1::bigint end $$;
create function evil.now() returns timestamptz language sql
    as $$ select case when evil.trap() then pg_catalog.now() end $$;
create function evil.current_setting(text, boolean) returns text language sql
    as $$ select case when evil.trap() then '' end $$;
create function evil.teq(text, text) returns boolean language sql as $$ select evil.trap() $$;
create function evil.ieq(int, int) returns boolean language sql as $$ select evil.trap() $$;
create function evil.iand(int, int) returns int language sql
    as $$ select case when evil.trap() then 0 end $$;
create operator evil.= (leftarg = text, rightarg = text, function = evil.teq);
create operator evil.<= (leftarg = text, rightarg = text, function = evil.teq);
create operator evil.= (leftarg = int, rightarg = int, function = evil.ieq);
create operator evil.> (leftarg = int, rightarg = int, function = evil.ieq);
create operator evil.& (leftarg = int, rightarg = int, function = evil.iand);
create domain evil.text as pg_catalog.text check (evil.trap());
create domain evil.int8 as pg_catalog.int8 check (evil.trap());
create domain evil.regclass as pg_catalog.regclass check (evil.trap());
"""


def test_insert_path_ignores_a_hostile_search_path(roles):
    """A writer's search_path cannot reach the code that runs with the owner's rights."""
    db = roles
    for n in range(1, 8):  # enough queues for the generated tree to branch
        db.execute("select pgq.create_queue(%s)", (f"q{n}0",))
    db.execute("alter table pgq.queue disable trigger queue_code_refresh")
    db.execute("select pgq.create_queue('unknown_to_the_code')")
    db.execute("alter table pgq.queue enable always trigger queue_code_refresh")
    db.execute("update pgq.queue set queue_per_tx_limit = 100 where queue_name = 'q30'")
    db.execute(HOSTILE)
    conn = db.connect(user="u_writer", autocommit=False)
    cur = conn.cursor()
    cur.execute("set search_path = evil, pg_catalog, public")
    for queue in ("q1", "q30", "q70", "unknown_to_the_code"):
        for _ in range(2):  # the second time from cached plans
            cur.execute("select pgq.insert_event(%s, 't', 'd')", (queue,))
            cur.execute("select pgq.insert_event(%s, 't', 'd', 'a', 'b', 'c', 'd')", (queue,))
        cur.execute("select pgq.insert_event_bulk(%s, array['t'], array['d'])", (queue,))
        conn.commit()
    db.execute("update pgq.queue set queue_disable_insert = true where queue_name = 'q50'")
    with pytest.raises(psycopg2.Error, match="Insert into queue disallowed"):
        cur.execute("select pgq.insert_event('q50', 't', 'd')")
    conn.rollback()
    # the traps do go off where the path is used (the test would see a hijack)
    with pytest.raises(psycopg2.Error, match="hijacked"):
        cur.execute("select 'a'::text = 'a'::text")
    conn.close()
    assert db.scalar("select count(*) from pgq.event_template") == 4 * 5
    db.execute("drop schema evil cascade")
