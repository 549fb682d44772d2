"""engine.admin.server and engine.admin.node: the probes and catalog queries the console uses."""

from __future__ import annotations

import contextlib

import pytest

from engine.admin.node import node_conninfo, node_location
from engine.admin.server import (
    create_database,
    installed_modules,
    schema_present,
    server_version,
)
from engine.db import ConnInfo, begin, finish
from qadmin.commands.registry import CommandError, Context, Settings, dispatch
from qadmin.parser import parse_one


def test_installed_modules_and_server_version(db, empty_db):
    with db.conn.cursor() as cur:
        assert {"pgq", "pgq_coop", "pgq_node"} <= installed_modules(cur)
        assert schema_present(cur, "pgq") and schema_present(cur, "pgq_node")
        cur.execute("drop schema pgq_node cascade")
        assert not schema_present(cur, "pgq_node")
        assert server_version(cur).split()[0][0].isdigit()
    with empty_db.conn.cursor() as cur:
        assert installed_modules(cur) == frozenset()
        with pytest.raises(ValueError, match="unknown module"):
            schema_present(cur, "nope")


def test_create_database(db, pg_cluster):
    with contextlib.closing(pg_cluster.conn_info().connect(autocommit=True)) as admin:
        create_database(admin, "made here")
        try:
            with contextlib.closing(pg_cluster.conn_info("made here").connect()) as conn:
                assert conn.info.dbname == "made here"
        finally:
            with admin.cursor() as cur:
                cur.execute('drop database "made here"')
    with pytest.raises(ValueError, match="autocommit"):
        create_database(db.connect(autocommit=False), "x")


def test_begin_and_finish(db):
    conn = db.connect()
    begin(conn)
    db_cur = conn.cursor()
    db_cur.execute("create table t_rolled_back (x int)")
    finish(conn, commit=False)
    assert db.scalar("select to_regclass('t_rolled_back')") is None
    begin(conn)
    db_cur.execute("create table t_kept (x int)")
    finish(conn, commit=True)
    assert db.scalar("select to_regclass('t_kept')") is not None


def test_node_location_and_connect_node(db, empty_db):
    location = f"{empty_db.dsn} application_name='qadmin test'"
    db.execute("select pgq_node.register_location('q1', 'n1', %s, false)", (location,))
    db.execute("select pgq_node.register_location('q1', 'n2', 'host=x', false)")
    db.execute("select pgq.create_queue('q1')")
    with db.conn.cursor() as cur:
        assert schema_present(cur, "pgq_node")
        assert node_location(cur, "q1", "n1") == location
        assert node_location(cur, "q1", "nope") is None
        assert node_conninfo(cur, "q1", "n1") == ConnInfo.parse(location)
        assert node_conninfo(cur, "q2", "n1") is None
    conn = db.connect()
    ctx = Context(conn=conn, conn_params=ConnInfo.parse(db.dsn), settings=Settings())
    ctx.queue = "q1"
    dispatch(ctx, parse_one("connect node=n1"))
    assert conn.closed and ctx.conn.info.dbname == empty_db.name
    assert ctx.conn_params == ConnInfo.parse(location) and ctx.queue == "q1"
    with pytest.raises(CommandError, match="needs the pgq_node module"):
        dispatch(ctx, parse_one("connect node=n1"))  # none in the node's database
    ctx.conn.close()
