"""Roles: pgq_reader consumes, pgq_writer produces, pgq_admin manages; nothing more."""

from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import sql

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
