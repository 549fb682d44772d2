"""Throwaway clusters do not outlive the process that made them, however it ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.base import pid_alive
from engine.pgcluster import create_cluster
from tests.db.daemon_util import PROJECT_ROOT, daemon_env, wait_for

MAKER = """
import os, signal, sys
from engine.pgcluster import create_cluster
c = create_cluster()
print(c.basedir, c.postmaster_pid(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_cluster_of_a_killed_process_is_stopped_and_removed():
    proc = subprocess.run(
        [sys.executable, "-c", MAKER],
        cwd=PROJECT_ROOT,
        env=daemon_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr
    basedir, pid = Path(proc.stdout.split()[0]), int(proc.stdout.split()[1])
    wait_for(
        lambda: not basedir.exists() and not pid_alive(pid),
        what=f"{basedir} and postmaster {pid} to go",
    )


def test_destroy_ends_the_watchdog():
    cluster = create_cluster()
    watchdog = cluster._watchdog
    assert watchdog is not None and watchdog.poll() is None
    basedir, pid = cluster.basedir, cluster.postmaster_pid()
    assert pid is not None
    cluster.destroy()
    assert watchdog.poll() is not None
    assert not basedir.exists() and not pid_alive(pid)


def test_a_chosen_directory_is_not_watched(tmp_path):
    cluster = create_cluster(basedir=tmp_path / "pg", start=False)
    try:
        assert cluster._watchdog is None
    finally:
        cluster.destroy()
    assert (tmp_path / "pg").exists()  # the caller's directory stays
