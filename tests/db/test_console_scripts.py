"""Script tests: tests/scripts/NAME.qa run through `qadmin -f` against a fresh database,
output (stdout and stderr, in order) compared with tests/expected/NAME.out.

Volatile values (times, lags, rates) are masked by qadmin's own test output mode
(--mask-volatile), not by regular expressions.  A missing expected file fails the
test; QADMIN_REGEN=1 (an explicit switch) writes the expected files from the current
output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.supervised import stop_all_daemons

HERE = Path(__file__).resolve().parent.parent
ROOT = HERE.parent
SCRIPTS = sorted((HERE / "scripts").glob("*.qa"))
EXPECTED = HERE / "expected"


def run_qadmin(dsn: str, *args: str, cwd: Path | None = None, stdin: str | None = None):
    env = dict(os.environ, PAGER="", COLUMNS="100", LC_ALL="C.UTF-8", PYTHONUNBUFFERED="1")
    env.pop("QADMIN_DEBUG", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "qadmin", "-X", "-d", dsn, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script(db, script, tmp_path, monkeypatch):
    # daemons a script starts (daemon.qa) get a private state directory and are stopped
    state = tmp_path / "state"
    monkeypatch.setenv("QADMIN_STATE_DIR", str(state))
    try:
        args = ("--mask-volatile", "--on-error", "continue", "-f", script.name)
        proc = run_qadmin(db.dsn, *args, cwd=script.parent)
    finally:
        stop_all_daemons(state)
    expected_file = EXPECTED / f"{script.stem}.out"
    if os.environ.get("QADMIN_REGEN"):
        expected_file.write_text(proc.stdout)
    if not expected_file.exists():
        pytest.fail(f"no expected output {expected_file}; write it with QADMIN_REGEN=1")
    assert proc.stdout == expected_file.read_text()
    assert "Traceback" not in proc.stdout
