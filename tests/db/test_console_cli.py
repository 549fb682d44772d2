"""The qadmin command line: switches, scripts, stdin, exit statuses, output formats."""

from __future__ import annotations

import json

import pytest

from tests.db.test_console_scripts import run_qadmin


def test_command_ok_and_optional_last_terminator(db):
    proc = run_qadmin(db.dsn, "-c", "create queue q1", "-c", "show queue q1")
    assert proc.returncode == 0, proc.stdout
    assert 'Queue "q1"' in proc.stdout


def test_script_error_stops_with_status_3(db, tmp_path):
    script = tmp_path / "s.qa"
    script.write_text("create queue a;\ncreate queue a;\ncreate queue b;\n")
    proc = run_qadmin(db.dsn, "-f", str(script))
    assert proc.returncode == 3
    assert f'qadmin:{script}:2: ERROR:  queue "a" already exists' in proc.stdout
    assert db.scalar("select count(*) from pgq.queue") == 1


def test_on_error_continue(db):
    proc = run_qadmin(
        db.dsn, "--on-error", "continue", "-c", "create queue a; create queue a; create queue b"
    )
    assert proc.returncode == 0
    assert db.scalar("select count(*) from pgq.queue") == 2


def test_single_transaction_rolls_back_on_error(db):
    proc = run_qadmin(db.dsn, "-1", "-c", "create queue a; create queue a;")
    assert proc.returncode == 3
    assert db.scalar("select count(*) from pgq.queue") == 0
    proc = run_qadmin(db.dsn, "-1", "-c", "create queue a", "-c", "create queue b")
    assert proc.returncode == 0
    assert db.scalar("select count(*) from pgq.queue") == 2


def test_piped_stdin_runs_as_a_script_and_dash_f(db):
    proc = run_qadmin(db.dsn, stdin="create queue a;\nshow queue\n  a;\n")
    assert proc.returncode == 0, proc.stdout
    assert 'Queue "a"' in proc.stdout
    proc = run_qadmin(db.dsn, "-c", "create queue b", "-f", "-", stdin="show queue b;")
    assert proc.returncode == 0 and 'Queue "b"' in proc.stdout


def test_json_and_csv_output(db):
    proc = run_qadmin(db.dsn, "--json", "-c", "create queue a; select 1 as n, null as x")
    assert proc.returncode == 0
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [{"n": 1, "x": None}]
    proc = run_qadmin(db.dsn, "--csv", "-Q", "a", "-c", "show consumer")
    assert proc.stdout.splitlines()[0].startswith("queue_name,consumer_name,lag")
    proc = run_qadmin(db.dsn, "-x", "-c", "select 1 as n")
    assert "-[ RECORD 1 ]" in proc.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--bogus"], "unrecognized arguments"),
        (["--on-error", "maybe"], "invalid choice"),
        (["a", "b", "c"], "extra command-line argument"),
    ],
)
def test_bad_switches_exit_1(db, args, words):
    proc = run_qadmin(db.dsn, *args)
    assert proc.returncode == 1
    assert words in proc.stdout


def test_cannot_connect_exits_1(db):
    proc = run_qadmin(db.dsn + " dbname=no_such_db", "-c", "select 1")
    assert proc.returncode == 1
    assert "cannot connect" in proc.stdout and "no_such_db" in proc.stdout


def test_missing_file_exits_1(db):
    proc = run_qadmin(db.dsn, "-f", "/nonexistent/x.qa")
    assert proc.returncode == 1


def test_connection_lost_exits_2(db):
    proc = run_qadmin(
        db.dsn,
        "-c",
        "select pg_terminate_backend(pg_backend_pid())",
        "-c",
        "select 1",
    )
    assert proc.returncode == 2, proc.stdout
    assert "connection to server lost" in proc.stdout


def test_help_and_version():
    proc = run_qadmin("", "--help")
    assert proc.returncode == 0 and "--sandbox" in proc.stdout and "-Q, --queue" in proc.stdout
    proc = run_qadmin("", "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("qadmin ")


def test_exit_stops_a_script(db):
    proc = run_qadmin(db.dsn, "-c", "create queue a; exit; create queue b")
    assert proc.returncode == 0
    assert db.scalar("select count(*) from pgq.queue") == 1


def test_rc_file_is_read_unless_dash_x(db, tmp_path):
    (tmp_path / ".qadminrc").write_text("set format csv;\n")
    import os
    import subprocess
    import sys

    from tests.db.test_console_scripts import ROOT

    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(ROOT), PAGER="")
    out = subprocess.run(
        [sys.executable, "-m", "qadmin", "-d", db.dsn, "-c", "select 1 as n"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "n\n1"
    out = subprocess.run(
        [sys.executable, "-m", "qadmin", "-X", "-d", db.dsn, "-c", "select 1 as n"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "(1 row)" in out.stdout
