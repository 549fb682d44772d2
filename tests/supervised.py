"""Daemons that console tests start: a private state directory each, nothing left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from engine import supervisor as sv
from engine.base import pid_alive, read_pidfile


def daemon_pids(state_dir: Path) -> dict[str, int]:
    """Name -> pid of every daemon of the state directory whose process runs."""
    out = {}
    for pidfile in sorted(state_dir.glob("*.pid")):
        pid = read_pidfile(pidfile)
        if pid is not None and pid_alive(pid) and _is_daemon(pid):
            out[pidfile.stem] = pid
    return out


def _is_daemon(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"engine." in f.read()
    except OSError:
        return False


def stop_all_daemons(state_dir: Path, timeout: float = 10) -> None:
    """Stop every daemon started under state_dir; kill -9 those that do not go."""
    if not state_dir.is_dir():
        return
    pids = daemon_pids(state_dir)
    with contextlib.suppress(sv.SupervisorError, OSError):
        sv.stop(sv.ALL, now=True, timeout=timeout, state_dir=str(state_dir))
    for pid in pids.values():
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(pid_alive(p) for p in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.02)
