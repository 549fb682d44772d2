"""The readiness every daemon has (engine.base.Daemon): up after its first good round
unless it says so earlier; a first round that fails ends it, in one log line for an
expected error."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.db.daemon_util import PROJECT_ROOT, daemon_env, wait_for, write_ini


def start(tmp_path, kind: str) -> tuple[subprocess.Popen, dict]:
    status = tmp_path / f"{kind}.status"
    ini = write_ini(tmp_path / f"{kind}.ini", "rounds", {"statusfile": status, "loop_delay": 0.1})
    with open(tmp_path / f"{kind}.log", "w") as log:  # the child keeps its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.db.readiness_daemons", kind, str(ini)],
            cwd=PROJECT_ROOT,
            env=daemon_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return proc, {"status": status, "log": tmp_path / f"{kind}.log"}


def test_up_after_the_first_good_round(tmp_path):
    proc, files = start(tmp_path, "rounds")
    try:
        wait_for(
            lambda: (
                files["status"].exists()
                and json.loads(files["status"].read_text()).get("ready") is True
            ),
            timeout=30,
            what="ready in the status file",
        )
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(30)


def test_a_failing_first_round_ends_the_daemon_in_one_line(tmp_path):
    proc, files = start(tmp_path, "bad")
    assert proc.wait(30) == 1
    status = json.loads(files["status"].read_text())
    assert status["ready"] is False and status["last_error"] == "the queue does not exist"
    text = files["log"].read_text()
    errors = [ln for ln in text.splitlines() if " ERROR " in ln]
    assert len(errors) == 1 and errors[0].endswith("failed at start: the queue does not exist")
    assert "Traceback" not in text


def test_a_bug_in_the_first_round_ends_the_daemon_with_its_traceback(tmp_path):
    proc, files = start(tmp_path, "bug")
    assert proc.wait(30) == 1
    text = files["log"].read_text()
    assert "crashed at start: KeyError" in text and "Traceback" in text
