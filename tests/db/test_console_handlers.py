"""Handlers against a real database: confirmation, connect, install, watch, transactions."""

from __future__ import annotations

import io

import psycopg2
import pytest

from engine.db import ConnInfo
from qadmin import ast
from qadmin.commands.registry import CommandError, Context, Settings, dispatch
from qadmin.parser import parse_one
from qadmin.runner import Runner


def make_ctx(db, **kw) -> Context:
    conn = db.connect(autocommit=True)
    return Context(conn=conn, conn_params=ConnInfo.parse(db.dsn), settings=Settings(), **kw)


def run(ctx: Context, text: str):
    return dispatch(ctx, parse_one(text))


def test_destructive_commands_ask_in_the_console_only(db):
    asked = []

    def ask(question: str) -> bool:
        asked.append(question)
        return False

    ctx = make_ctx(db, interactive=True, ask=ask)
    run(ctx, "create queue q1")
    run(ctx, "register consumer c1 on q1")
    assert run(ctx, "drop queue q1 force").status == "cancelled"
    assert run(ctx, "unregister consumer * from q1").status == "cancelled"
    assert len(asked) == 2 and "q1" in asked[0]
    assert db.scalar("select count(*) from pgq.subscription") == 1

    ctx.assume_yes = True
    assert run(ctx, "drop queue q1 force").status == "DROP QUEUE"
    assert len(asked) == 2
    assert db.scalar("select count(*) from pgq.queue") == 0


def test_scripts_never_ask(db):
    ctx = make_ctx(db, interactive=False, ask=lambda q: pytest.fail("asked"))
    run(ctx, "create queue q1")
    assert run(ctx, "drop queue q1").status == "DROP QUEUE"


def test_default_queue_and_missing_queue(db):
    ctx = make_ctx(db)
    with pytest.raises(CommandError, match="no default queue"):
        run(ctx, "register consumer c1")
    run(ctx, "create queue q1")
    run(ctx, "connect queue=q1")
    assert ctx.queue == "q1"
    run(ctx, "register consumer c1")
    assert db.scalar("select count(*) from pgq.subscription") == 1
    with pytest.raises(CommandError, match='queue "nope" does not exist'):
        run(ctx, "connect queue=nope")
    assert ctx.queue == "q1"
    run(ctx, "rename queue q1 to q2")
    assert ctx.queue == "q2"
    ctx.assume_yes = True
    run(ctx, "drop queue q2 force")
    assert ctx.queue is None


def test_connect_to_another_database_keeps_server_settings(db, empty_db):
    seen = []
    ctx = make_ctx(db, on_connect=lambda c: seen.append(c.conn))
    old = ctx.conn
    result = run(ctx, f"connect dbname={empty_db.name}")
    assert result.status == "CONNECT"
    assert "no pgq installed" in result.notes[0]
    assert old.closed and seen == [ctx.conn]
    with ctx.conn.cursor() as cur:
        cur.execute("select current_database()")
        assert cur.fetchone()[0] == empty_db.name
    with pytest.raises(psycopg2.OperationalError):
        run(ctx, "connect dbname=no_such_database")
    assert not ctx.conn.closed  # the old connection stays
    with pytest.raises(CommandError, match="pgq is not installed"):
        run(ctx, "connect queue=q")


def test_connect_node_needs_pgq_node(db):
    db.execute("drop schema pgq_node cascade")
    ctx = make_ctx(db)
    with pytest.raises(CommandError, match="pgq_node") as err:
        run(ctx, "connect node=n1")
    assert err.value.hint == "INSTALL pgq_node; first"


def test_install_is_idempotent(empty_db):
    ctx = make_ctx(empty_db)
    first = run(ctx, "install pgq_coop")
    assert [n.split(":")[0] for n in first.notes] == ["pgq", "pgq_coop"]
    assert "installed version" in first.notes[0]
    again = run(ctx, "install all")
    assert "reinstalled" in again.notes[0]
    assert not any("not built yet" in n for n in again.notes)
    # londiste brings what it needs
    londiste = run(ctx, "install londiste")
    assert [n.split(":")[0] for n in londiste.notes] == ["pgq", "pgq_node", "londiste"]
    assert all("reinstalled" in n for n in londiste.notes)
    assert empty_db.scalar("select londiste.version()") == "3.8"
    with ctx.conn.cursor() as cur:
        cur.execute("begin")
    with pytest.raises(CommandError, match="transaction block"):
        run(ctx, "install pgq")


def test_install_qadmin_ext_alone(empty_db):
    """The target of a remote consumer needs only qadmin_ext, not pgq."""
    ctx = make_ctx(empty_db)
    result = run(ctx, "INSTALL qadmin_ext")
    assert [n.split(":")[0] for n in result.notes] == ["qadmin_ext"]
    assert empty_db.scalar("select qadmin_ext.version()") == "3.6.0"
    assert empty_db.scalar("select to_regnamespace('pgq')") is None


def test_failing_command_inside_user_transaction_keeps_it_usable(db):
    ctx = make_ctx(db)
    run(ctx, "begin")
    run(ctx, "create queue q1")
    with pytest.raises(Exception, match="already exists"):
        run(ctx, "create queue q1")
    run(ctx, "create queue q2")
    run(ctx, "commit")
    assert db.scalar("select count(*) from pgq.queue") == 2


def test_watch_repeats_until_interrupted(db):
    ctx = make_ctx(db)
    out = io.StringIO()
    calls = []

    def sleep(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) == 3:
            raise KeyboardInterrupt

    runner = Runner(ctx, out=out, err=out, watch_sleep=sleep)
    outcome = runner.run_text("watch 0.25 select 42 as answer;")
    assert outcome.errors == 0
    assert calls == [0.25, 0.25, 0.25]
    assert out.getvalue().count("answer") == 3
    outcome = runner.run_text("watch drop queue q;")
    assert outcome.errors == 1
    for once in ("start ticker", "stop all", "restart t", "reload t"):
        assert runner.run_text(f"watch {once};").errors == 1, once


def test_watch_needs_positive_interval(db):
    ctx = make_ctx(db)
    with pytest.raises(CommandError):
        dispatch(ctx, ast.Watch(0.0, ast.ShowQueue(None)))


def test_tick_star_skips_paused_queues(db):
    ctx = make_ctx(db)
    run(ctx, "create queue a")
    run(ctx, "create queue b with paused=true")
    result = run(ctx, "tick *")
    assert [r[0] for r in result.rows] == ["a"]


def test_tick_keeps_event_counts_right(db):
    ctx = make_ctx(db)
    run(ctx, "create queue q")
    for _ in range(5):
        run(ctx, "insert event into q ('t', 'd')")
    run(ctx, "tick q")
    seqs = db.execute("select tick_event_seq from pgq.tick order by tick_id")
    assert seqs[-1][0] - seqs[0][0] == 5
    stats = run(ctx, "show queue stats q")
    assert stats.rows[0][1] == 2


def test_show_queue_units_and_volatile_columns(db):
    ctx = make_ctx(db)
    run(ctx, "create queue q with max_lag='1500 ms'")
    result = run(ctx, "show queue q")
    assert result.types["max_lag"] == "duration"
    from qadmin.output import render

    text = render(result, Settings())
    assert "1.5 s" in text
    masked = render(result, Settings(mask_volatile=True))
    assert "***" in masked


def test_unknown_consumer_names_queue(db):
    ctx = make_ctx(db)
    run(ctx, "create queue q")
    with pytest.raises(CommandError, match='consumer "x" is not registered on queue "q"'):
        run(ctx, "show consumer x on q")
    with pytest.raises(Exception, match='consumer "x" is not registered on queue "q"'):
        run(ctx, "show batch events x on q")


def test_plain_connect_reconnects_and_missing_pgq_gets_a_hint(empty_db):
    ctx = make_ctx(empty_db)
    old = ctx.conn
    assert run(ctx, "connect").status == "CONNECT"
    assert old.closed and not ctx.conn.closed
    out = io.StringIO()
    Runner(ctx, out=out, err=out).run_text("show queue *;")
    assert "INSTALL pgq" in out.getvalue()
