"""START waits until the daemon is up or has exited, and reports the daemon's own error.

Readiness is generic (engine.base.Daemon.mark_ready, read by the supervisor's _spawn):
a consumer is up once connected, registered and answered by its queue; a ticker once
every database has an answer and it is not a second ticker.  Expected errors are one
log line, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.admin import AdminError
from engine.db import ConnInfo
from qadmin.commands.registry import Context, Result, Settings, dispatch
from qadmin.parser import parse_one
from tests.supervised import daemon_pids, stop_all_daemons


@pytest.fixture
def state_dir(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    state = tmp_path / "state"
    monkeypatch.setenv("QADMIN_STATE_DIR", str(state))
    try:
        yield state
    finally:
        stop_all_daemons(state)
    assert daemon_pids(state) == {}


def make_ctx(db) -> Context:
    conn = db.connect(autocommit=True)
    return Context(conn=conn, conn_params=ConnInfo.parse(db.dsn), settings=Settings())


def run(ctx: Context, text: str) -> Result:
    return dispatch(ctx, parse_one(text))


def log_lines(state: Path, name: str) -> list[str]:
    return (state / f"{name}.log").read_text().splitlines()


def test_consumer_of_a_missing_queue_fails_start_with_its_own_error(db, state_dir):
    ctx = make_ctx(db)
    with pytest.raises(AdminError) as err:
        run(ctx, "start consumer bad on nosuchq using print")
    message = str(err.value)
    assert message.startswith("daemon 'bad' exited at start (status 1): ")
    assert "nosuchq" in message and "\n" not in message
    lines = log_lines(state_dir, "bad")
    assert not any("Traceback" in ln for ln in lines)
    errors = [ln for ln in lines if " ERROR " in ln]
    assert len(errors) == 1 and "failed at start" in errors[0] and "nosuchq" in errors[0]
    shown = {r[0]: r for r in run(ctx, "show daemons").rows}
    assert shown["bad"][2] == "stopped" and daemon_pids(state_dir) == {}


def test_start_returns_once_the_consumer_is_registered(db, state_dir):
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    started = run(ctx, "start consumer c1 on q1 using print")
    assert started.rows[0][2] == "running" and not started.notes
    # at return the consumer is registered and its status says it is up
    assert db.scalar("select count(*) from pgq.get_consumer_info('q1', 'c1')") == 1
    status = json.loads((state_dir / "c1.status").read_text())
    assert status["ready"] is True and status["pid"] == started.rows[0][3]


def test_second_ticker_fails_start_with_its_refusal(db, state_dir):
    ctx = make_ctx(db)
    first = run(ctx, "start ticker t1")
    assert first.rows[0][2] == "running"
    status = json.loads((state_dir / "t1.status").read_text())
    assert status["ready"] is True and status["databases"] == {db.name: "ticking"}
    with pytest.raises(AdminError) as err:
        run(ctx, "start ticker t2")
    message = str(err.value)
    assert message.startswith("daemon 't2' exited at start (status 1): ")
    assert "another ticker is already running" in message and "\n" not in message
    assert not any("Traceback" in ln for ln in log_lines(state_dir, "t2"))
    assert set(daemon_pids(state_dir)) == {"t1"}


def test_unreachable_database_is_reported_while_the_daemon_retries(db, state_dir):
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    started = run(ctx, "start consumer far on q1 using print with db='host=127.0.0.1 port=1'")
    assert started.rows[0][2] == "running"
    assert any(n.startswith("NOTE:  not up yet: ") and "port 1" in n for n in started.notes)
    assert "far" in daemon_pids(state_dir)
    assert not any("Traceback" in ln for ln in log_lines(state_dir, "far"))


def test_database_errors_in_rounds_are_one_log_line(db, state_dir):
    """An exec handler whose target table vanishes: the round fails, retried, one line each."""
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    run(ctx, "start consumer c1 on q1 using table_dispatcher with table='public.nosuch'")
    db.execute("select pgq.insert_event('q1', 'x', 'y')")
    run(ctx, "tick q1")
    from tests.db.daemon_util import wait_for

    wait_for(
        lambda: any(" ERROR " in ln for ln in log_lines(state_dir, "c1")),
        timeout=60,
        what="the failed round in the log",
    )
    lines = log_lines(state_dir, "c1")
    assert not any("Traceback" in ln for ln in lines)
    error = next(ln for ln in lines if " ERROR " in ln)
    assert "nosuch" in error
