"""Daemon commands against a real database: tickers and consumers started from the console
run as real processes, process events, show up in SHOW DAEMONS and SHOW LOG, and stop."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from engine.base import pid_alive
from engine.db import ConnInfo
from engine.handlers import HANDLER_NAMES
from qadmin.commands.registry import CommandError, Context, Result, Settings, dispatch
from qadmin.parser import parse_one
from qadmin.runner import Runner
from tests.db.daemon_util import wait_for
from tests.db.test_console_scripts import run_qadmin
from tests.supervised import daemon_pids, stop_all_daemons

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def state_dir(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private supervisor state directory; every daemon in it is stopped afterwards
    (before the database goes: the fixture needs db)."""
    state = tmp_path / "state"
    monkeypatch.setenv("QADMIN_STATE_DIR", str(state))
    try:
        yield state
    finally:
        stop_all_daemons(state)
    assert daemon_pids(state) == {}


def make_ctx(db, **kw) -> Context:
    conn = db.connect(autocommit=True)
    return Context(conn=conn, conn_params=ConnInfo.parse(db.dsn), settings=Settings(), **kw)


def run(ctx: Context, text: str) -> Result:
    return dispatch(ctx, parse_one(text))


def rows(result: Result) -> list[dict]:
    return [dict(zip(result.columns, r, strict=True)) for r in result.rows]


def daemons(ctx: Context) -> dict[str, dict]:
    return {r["name"]: r for r in rows(run(ctx, "show daemons"))}


def test_ticker_and_consumers_started_from_the_console(db, state_dir, tmp_path):
    ctx = make_ctx(db)
    out = tmp_path / "exec.jsonl"
    run(ctx, "create queue q1 with max_lag='0.1 s'")
    run(ctx, "register consumer disp on q1")
    run(ctx, "register consumer runner on q1")
    db.execute("create table sink (ev_id bigint primary key, ev_type text, ev_data text)")

    started = run(ctx, "start ticker with ticker_period=0.1, maint_period=1, retry_period=1")
    assert started.status == "START TICKER"
    ((ticker,),) = [(r,) for r in rows(started)]
    assert ticker["name"] == "ticker" and ticker["state"] == "running"
    assert run(ctx, "start consumer disp on q1 using table_dispatcher with table='public.sink'")
    result = run(ctx, f"start consumer runner on q1 using exec with command='cat >> {out}'")
    assert result.status == "START CONSUMER"
    assert rows(result)[0]["detail"] == "q1/runner using exec"
    assert not result.notes  # no password typed, no stale pidfile

    for data in ("one", "two", "three"):
        run(ctx, f"insert event into q1 ('note', '{data}')")
    wait_for(lambda: db.scalar("select count(*) from sink") == 3, what="table_dispatcher")
    assert [r[0] for r in db.execute("select ev_data from sink order by ev_id")] == [
        "one",
        "two",
        "three",
    ]
    wait_for(lambda: out.exists() and len(out.read_text().splitlines()) == 3, what="exec")
    assert [json.loads(line)["ev_data"] for line in out.read_text().splitlines()] == [
        "one",
        "two",
        "three",
    ]

    shown = daemons(ctx)
    assert set(shown) == {"ticker", "disp", "runner"}
    pids = {name: r["pid"] for name, r in shown.items()}
    for r in shown.values():
        assert r["state"] == "running" and pid_alive(r["pid"]), r
        assert r["uptime"] is not None and r["last_error"] is None
    assert shown["ticker"]["kind"] == "ticker" and db.name in shown["ticker"]["detail"]
    assert shown["disp"]["lag"] is not None and shown["runner"]["lag"] is not None
    assert shown["ticker"]["lag"] is None
    assert pids == daemon_pids(state_dir)

    # rendered as the other SHOW tables: durations in readable units, pids masked in tests
    buf = io.StringIO()
    ctx.settings.mask_volatile = True
    Runner(ctx, out=buf, err=buf).run_text("show daemons;")
    text = buf.getvalue()
    assert " running " in text and "q1/disp using table_dispatcher" in text
    assert str(pids["disp"]) not in text and "***" in text
    ctx.settings.mask_volatile = False
    buf = io.StringIO()
    Runner(ctx, out=buf, err=buf).run_text("show daemons;")
    assert str(pids["disp"]) in buf.getvalue() and " s " in buf.getvalue()

    log = run(ctx, "show log runner lines 50").notes[0].splitlines()
    assert any("supervisor: starting runner" in line for line in log)
    assert len(run(ctx, "show log ticker lines 1").notes[0].splitlines()) == 1

    stopped = run(ctx, "stop all")
    assert stopped.status == "STOP 3"
    assert {r["name"]: r["state"] for r in rows(stopped)} == dict.fromkeys(pids, "stopped")
    for pid in pids.values():
        assert not pid_alive(pid)
    assert {r["state"] for r in daemons(ctx).values()} == {"stopped"}
    assert run(ctx, "stop all").status == "STOP 0"


def test_refusals_stale_pidfile_restart_and_reload(db, state_dir):
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    run(ctx, "start consumer c1 on q1 using print with loop_delay=0.2")
    with pytest.raises(CommandError, match=r"'c1' is already running \(pid \d+\)"):
        run(ctx, "start consumer c1 on q1 using print")
    with pytest.raises(CommandError, match="unknown handler 'nosuch'") as info:
        run(ctx, "start consumer c2 on q1 using nosuch")
    assert "python:module.Class" in str(info.value)
    with pytest.raises(CommandError, match="unknown print consumer key 'tabel'"):
        run(ctx, "start consumer c2 on q1 using print with tabel='x'")
    with pytest.raises(CommandError, match="queue_name cannot be given in WITH"):
        run(ctx, "start consumer c2 on q1 using print with queue_name=q2")
    with pytest.raises(CommandError, match="pidfile is set by the supervisor"):
        run(ctx, "start ticker with pidfile='/tmp/x.pid'")
    with pytest.raises(CommandError, match="database_list cannot be given in WITH"):
        run(ctx, "start ticker with database_list=x")
    with pytest.raises(CommandError, match="bad daemon name") as info:
        run(ctx, 'start consumer "C 1" on q1 using print')
    assert "AS <name>" in str(info.value)
    for text, message in [
        ("stop nosuch", "no daemon named 'nosuch'"),
        ("restart nosuch", "no daemon named 'nosuch'"),
        ("reload nosuch", "no daemon named 'nosuch'"),
        ("show log nosuch", "no daemon named 'nosuch'"),
        ("start consumer from 'nosuch.ini'", "no such file: nosuch.ini"),
    ]:
        with pytest.raises(CommandError, match=message):
            run(ctx, text)

    first = daemons(ctx)["c1"]["pid"]
    assert run(ctx, "reload c1").status == "RELOAD"
    wait_for(lambda: "reload" in run(ctx, "show log c1 lines 100").notes[0].lower(), what="reload")
    restarted = run(ctx, "restart c1")
    assert restarted.status == "RESTART"
    second = rows(restarted)[0]["pid"]
    assert second != first and not pid_alive(first) and pid_alive(second)

    # a crash leaves its pidfile: reported dead, cleared at the next start
    os.kill(second, signal.SIGKILL)
    wait_for(lambda: daemons(ctx)["c1"]["state"] == "dead", what="dead state")
    dead = daemons(ctx)["c1"]
    assert "stale pidfile" in dead["detail"] and dead["last_error"]
    with pytest.raises(CommandError, match="'c1' is not running"):
        run(ctx, "stop c1")
    again = run(ctx, "start consumer c1 on q1 using print")
    assert any("removed stale pidfile" in n for n in again.notes)
    assert rows(again)[0]["state"] == "running"
    assert run(ctx, "stop c1 now").status == "STOP 1"


def test_consumer_and_ticker_from_ini_files(db, state_dir, tmp_path):
    ctx = make_ctx(db)
    run(ctx, "create queue q1 with max_lag='0.1 s'")
    run(ctx, "register consumer from_file on q1")
    db.execute("create table sink (ev_id bigint, ev_data text)")
    ini = tmp_path / "from_file.ini"
    ini.write_text(
        "[consumer]\n"
        f"db = {db.dsn}\n"
        "queue_name = q1\n"
        "handler = table_dispatcher\n"
        "table = public.sink\n"
        "loop_delay = 0.1\n"
    )
    pgqd = tmp_path / "pgqd.ini"
    pgqd.write_text(
        f"[pgqd]\nbase_connstr = {db.dsn.replace(f'dbname={db.name}', '')}\n"
        f"database_list = {db.name}\nticker_period = 0.1\n"
    )
    result = run(ctx, f"start consumer from '{ini}'")
    assert result.status == "START CONSUMER"
    assert rows(result)[0]["name"] == "from_file"
    result = run(ctx, f"start consumer from '{pgqd}' as file_ticker")
    assert result.status == "START TICKER" and rows(result)[0]["kind"] == "ticker"
    run(ctx, "insert event into q1 ('t', 'via ini')")
    wait_for(lambda: db.scalar("select count(*) from sink") == 1, what="consumer from ini")
    assert set(daemons(ctx)) == {"from_file", "file_ticker"}
    assert run(ctx, "stop all now").status == "STOP 2"


def test_daemons_outlive_the_console_and_another_console_stops_them(db, state_dir):
    db.execute("select pgq.create_queue('q1')")
    proc = run_qadmin(
        db.dsn,
        "-c",
        "start ticker t1 with ticker_period=0.2",
        "-c",
        "start consumer c1 on q1 using print",
        "-c",
        "show daemons",
    )
    assert proc.returncode == 0, proc.stdout
    assert "START TICKER" in proc.stdout and "START CONSUMER" in proc.stdout
    assert "Traceback" not in proc.stdout
    pids = daemon_pids(state_dir)
    assert set(pids) == {"t1", "c1"}  # the console is gone, its daemons run on
    proc = run_qadmin(db.dsn, "-c", "start ticker t1")
    assert proc.returncode == 3
    assert "ERROR:  daemon 't1' is already running" in proc.stdout
    proc = run_qadmin(db.dsn, "-c", "stop all", "-c", "show log c1")
    assert proc.returncode == 0 and "STOP 2" in proc.stdout, proc.stdout
    assert "supervisor: starting c1" in proc.stdout
    for pid in pids.values():
        wait_for(lambda pid=pid: not pid_alive(pid), what=f"pid {pid} gone")


@pytest.fixture
def password_user(db) -> Iterator[str]:
    """A role that must give a password (md5 in pg_hba.conf, scram hashes work too)."""
    user = "qadmin_pw_user"
    hba = db.cluster.datadir / "pg_hba.conf"
    original = hba.read_text()
    db.execute(f"create role {user} login password 'secret'")
    hba.write_text(f"host all {user} 127.0.0.1/32 md5\n" + original)
    db.execute("select pg_reload_conf()")
    try:
        yield user
    finally:
        hba.write_text(original)
        db.execute("select pg_reload_conf()")
        db.execute(f"drop role {user}")


def test_a_password_typed_at_connect_does_not_reach_daemons(db, state_dir, password_user):
    conn = psycopg2.connect(db.dsn, user=password_user, password="secret")
    conn.autocommit = True
    try:
        ctx = Context(
            conn=conn,
            conn_params=ConnInfo.parse(db.dsn, user=password_user, password="secret"),
            settings=Settings(),
        )
        db.execute("select pgq.create_queue('q1')")
        result = run(ctx, "start consumer c1 on q1 using print with exception_sleep=0.2")
        assert any("password typed at CONNECT does not reach daemons" in n for n in result.notes)
        ini = (state_dir / "c1.ini").read_text()
        assert "secret" not in ini and f"user={password_user}" in ini
        # the daemon cannot log in: its error shows
        wait_for(lambda: daemons(ctx)["c1"]["last_error"], what="the daemon's error")
        assert "password" in daemons(ctx)["c1"]["last_error"]
    finally:
        stop_all_daemons(state_dir)
        conn.close()


def test_the_first_catalog_has_the_daemon_names_even_before_the_shell_loads_commands(db, state_dir):
    # the console's refresh thread may fetch before anything imported the command modules
    fields = ("daemons", "handlers", "ticker_keys", "consumer_keys")
    code = (
        "import json, sys, psycopg2\n"
        "from qadmin.refresher import fetch_catalog\n"
        "conn = psycopg2.connect(sys.argv[1])\n"
        "cat = fetch_catalog(conn)\n"
        f"print(json.dumps({{k: list(getattr(cat, k)) for k in {fields!r}}}))\n"
    )
    state_dir.mkdir()
    (state_dir / "old_job.json").write_text("{}")
    proc = subprocess.run(
        [sys.executable, "-c", code, db.dsn],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=True,
    )
    extra = json.loads(proc.stdout)
    assert extra["daemons"] == ["old_job"]
    assert extra["handlers"] == list(HANDLER_NAMES)
    assert "ticker_period" in extra["ticker_keys"] and "pgq_keep_lag" in extra["consumer_keys"]
