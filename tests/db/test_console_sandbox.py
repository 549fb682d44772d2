"""qadmin --sandbox: a throwaway PostgreSQL with the schemas, removed on exit."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.db.test_console_scripts import ROOT


def test_sandbox_runs_commands_and_cleans_up(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PAGER="", TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "qadmin",
            "-X",
            "--sandbox",
            "-c",
            "create queue demo",
            "-c",
            "show queue demo; show version",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Queue "demo"' in proc.stdout and "pgq_coop" in proc.stdout
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith("qadmin-pg-")]
    assert leftovers == []
