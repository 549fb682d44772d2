"""engine.supervisor: named daemons as detached processes, their files, status and log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from engine.base import pid_alive
from engine.supervisor import (
    STATE_DIR_ENV,
    Supervisor,
    SupervisorError,
    default_state_dir,
)
from tests.db.daemon_util import PROJECT_ROOT, base_connstr, daemon_env, wait_for, write_ini
from tests.pgqtools import tick


def test_start_status_reload_kill_restart_stop(db, tmp_path, daemon_state):
    db.execute("select pgq.create_queue('q1')")
    sv = Supervisor(daemon_state)
    tk = sv.start_ticker("tk", databases=[db.name], base_connstr=base_connstr(db.dsn))
    assert (tk.name, tk.kind, tk.state) == ("tk", "ticker", "running")
    c1 = sv.start_consumer("c1", "q1", "print", {"loop_delay": 0.2}, db=db.dsn)
    assert c1.state == "running" and c1.pid and pid_alive(c1.pid)
    assert c1.detail == "q1/c1 using print"
    with pytest.raises(SupervisorError, match=r"'c1' is already running \(pid \d+\)"):
        sv.start_consumer("c1", "q1", "print", db=db.dsn)
    with pytest.raises(SupervisorError, match="unknown handler"):
        sv.start_consumer("c2", "q1", "nope", db=db.dsn)
    with pytest.raises(SupervisorError, match="bad daemon name"):
        sv.start_consumer("no/slash", "q1", "print", db=db.dsn)
    assert sv.names() == ["c1", "tk"]
    for ext in ("json", "ini", "pid", "log"):
        assert (tmp_path / "state" / f"c1.{ext}").exists(), ext

    wait_for(lambda: db.scalar("select count(*) from pgq.subscription") == 1, what="register")
    with db.conn.cursor() as cur:
        cur.execute("select pgq.insert_event('q1', 'greeting', 'hello')")
        tick(cur, "q1")
    wait_for(lambda: any('"hello"' in ln for ln in sv.log_tail("c1", 10)), what="event in log")

    rows = {r.name: r for r in sv.status()}
    assert rows["c1"].lag is not None and rows["c1"].lag >= 0
    assert rows["c1"].uptime > 0 and rows["tk"].uptime > 0
    wait_for(lambda: sv.info("tk").detail == f"{db.name}: ticking", what="ticker detail")
    assert rows["c1"].last_error is None

    sv.reload("c1")
    wait_for(lambda: any("config reloaded" in ln for ln in sv.log_tail("c1", 10)), what="reload")

    # kill -9: the pidfile stays behind; the daemon is reported dead
    os.kill(c1.pid, signal.SIGKILL)
    wait_for(lambda: sv.info("c1").state == "dead", what="dead")
    dead = sv.info("c1")
    assert "stale pidfile" in dead.detail and dead.pid is None
    assert dead.last_error.startswith("exited unexpectedly")
    again = sv.start_consumer("c1", "q1", "print", db=db.dsn)
    assert again.state == "running" and again.pid != c1.pid
    assert any("stale pidfile" in n for n in again.notes)

    restarted = sv.restart("c1")
    assert restarted.state == "running" and restarted.pid != again.pid
    assert not pid_alive(again.pid)

    stopped = sv.stop("ALL")
    assert {r.name: r.state for r in stopped} == {"c1": "stopped", "tk": "stopped"}
    assert not (tmp_path / "state" / "c1.pid").exists()
    with pytest.raises(SupervisorError, match="'c1' is not running"):
        sv.stop("c1")
    with pytest.raises(SupervisorError, match="no daemon named 'zz'"):
        sv.info("zz")
    sv.remove("c1")
    assert sv.names() == ["tk"]


def test_start_failure_is_reported_with_the_daemons_message(db, tmp_path, daemon_state):
    sv = Supervisor(daemon_state)
    with pytest.raises(SupervisorError, match=r"exited at start \(status 1\)[\s\S]*'command'"):
        sv.start_consumer("x", "q1", "exec", db=db.dsn)
    assert sv.info("x").state == "stopped"


def test_stop_now_does_not_wait_for_the_batch(db, tmp_path, daemon_state):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'slow')")
    sv = Supervisor(daemon_state)
    sv.start_consumer("slow", "q1", "exec", {"command": "sleep 30"}, db=db.dsn)
    with db.conn.cursor() as cur:
        cur.execute("select pgq.insert_event('q1', 't', 'x')")
        tick(cur, "q1")
    wait_for(
        lambda: db.scalar("select current_batch from pgq.get_consumer_info('q1', 'slow')"),
        what="batch taken",
    )
    # graceful stop gives up after the timeout: the daemon is still in its batch
    rows = sv.stop("slow", timeout=0.5)
    assert rows[0].state == "running"
    rows = sv.stop("slow", now=True)
    assert rows[0].state == "stopped"


def test_start_from_ini_and_the_command_line(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("create table evs (ev_id bigint, ev_data text)")
    ini = write_ini(
        tmp_path / "mydisp.ini",
        "table_dispatcher",
        {
            "db": db.dsn,
            "queue_name": "q1",
            "table": "evs",
            "logfile": str(tmp_path / "ignored.log"),
            "pidfile": str(tmp_path / "ignored.pid"),
        },
    )
    state = tmp_path / "state"

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "engine.supervisor", "--state-dir", str(state), *args],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            env=daemon_env(),
            timeout=60,
        )

    r = cli("start", str(ini))
    assert r.returncode == 0, r.stderr
    assert "mydisp" in r.stdout and "running" in r.stdout
    r = cli("start", str(ini))
    assert r.returncode == 1 and "already running" in r.stderr
    # the section name chose the handler; the consumer is named after the file
    wait_for(
        lambda: db.scalar("select count(*) from pgq.get_consumer_info('q1', 'mydisp')") == 1,
        what="consumer mydisp",
    )
    with db.conn.cursor() as cur:
        cur.execute("select pgq.insert_event('q1', 't', 'row')")
        tick(cur, "q1")
    wait_for(lambda: db.scalar("select count(*) from evs") == 1, what="row")
    r = cli("start-ticker", "tk", "--db", db.name, "--base-connstr", base_connstr(db.dsn))
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(cli("status", "--json").stdout)}
    assert rows["mydisp"]["state"] == "running" and rows["mydisp"]["kind"] == "consumer"
    assert rows["tk"]["kind"] == "ticker"
    assert "mydisp" in cli("log", "mydisp", "-n", "5").stdout
    assert not (tmp_path / "ignored.pid").exists(), "the pidfile is the state directory's"
    assert (state / "mydisp.pid").exists()
    r = cli("stop", "ALL")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("stopped") == 2


def test_state_directory(monkeypatch, tmp_path):
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_state_dir() == tmp_path / "xdg" / "qadmin"
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "mine"))
    assert default_state_dir() == tmp_path / "mine"
    assert Supervisor().state_dir == tmp_path / "mine"
