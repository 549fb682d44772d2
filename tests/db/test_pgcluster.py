"""Throwaway clusters do not outlive the process that made them, however it ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from engine.base import pid_alive
from engine.pgcluster import create_cluster

ROOT = Path(__file__).resolve().parents[2]

MAKER = """
import os, signal, sys
from engine.pgcluster import create_cluster
c = create_cluster()
print(c.basedir, c.postmaster_pid(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _gone(path: Path, pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not path.exists() and not pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_cluster_of_a_killed_process_is_stopped_and_removed():
    proc = subprocess.run(
        [sys.executable, "-c", MAKER],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr
    basedir, pid = proc.stdout.split()
    assert _gone(Path(basedir), int(pid)), f"{basedir} or postmaster {pid} left behind"


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
