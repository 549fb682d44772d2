"""Helpers for daemon tests: ini files, real daemon processes, waiting, test handlers.

The handler classes at the bottom are loaded by daemons as
``python:tests.db.daemon_util.<Class>`` (the project root is on their PYTHONPATH).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import psycopg2

from engine.consumer import Consumer, Event

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def write_ini(path: Path, section: str, values: Mapping[str, Any]) -> Path:
    lines = [f"[{section}]"]
    lines += [f"{k} = {str(v).replace('%', '%%')}" for k, v in values.items() if v is not None]
    path.write_text("\n".join(lines) + "\n")
    return path


def daemon_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


#: every Proc started in this process, so a failing test leaves no daemon behind
STARTED: list[Proc] = []


def reap_started() -> None:
    """Kill every Proc that is still running (called after each test)."""
    while STARTED:
        proc = STARTED.pop()
        if proc.alive():
            proc.kill()


class Proc:
    """A daemon subprocess whose stderr/stdout go to a log file."""

    def __init__(
        self,
        module: str,
        args: Iterable[str],
        log: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.log = log
        self.kill_at = 0.0
        with open(log, "ab") as logf:  # the child keeps its own copy of the descriptor
            self.popen = subprocess.Popen(
                [sys.executable, "-m", module, *args],
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                cwd=str(PROJECT_ROOT),
                env=daemon_env(env),
            )
        STARTED.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def send(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.popen.send_signal(sig)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> int:
        if self.alive():
            self.send(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(5)

    def wait(self, timeout: float = 20) -> int:
        return self.popen.wait(timeout)

    def kill(self) -> None:
        self.send(signal.SIGKILL)
        self.popen.wait(10)

    def text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


def wait_for(
    cond: Callable[[], Any], timeout: float = 20, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll cond() until it is truthy; fail the test after timeout."""
    deadline = time.monotonic() + timeout
    last_err: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = cond()
            if value:
                return value
        except psycopg2.OperationalError as e:  # a database restarting
            last_err = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or cond}: {last_err}")


def ticker_ini(path: Path, base_connstr: str, databases: Iterable[str] = (), **keys: Any) -> Path:
    values: dict[str, Any] = {
        "base_connstr": base_connstr,
        "database_list": ", ".join(databases) or None,
        "ticker_period": 0.1,
        "check_period": 1,
        "maint_period": 1,
        "retry_period": 0.5,
        "pidfile": str(path.with_suffix(".pid")),
    }
    values.update(keys)
    return write_ini(path, "pgqd", values)


def base_connstr(dsn: str) -> str:
    """The dsn without its dbname (pgqd's base_connstr)."""
    return " ".join(p for p in dsn.split() if not p.startswith("dbname="))


# -- handlers for daemon tests -------------------------------------------------------------
class FailOnBad(Consumer):
    """Copies events into table 'good' except those whose data is 'bad': those raise."""

    def process_event(self, db: psycopg2.extensions.connection, ev: Event) -> None:
        if ev.data == "bad":
            raise ValueError(f"cannot handle bad event {ev.id}")
        with db.cursor() as cur:
            cur.execute("insert into good (ev_id, ev_data) values (%s, %s)", (ev.id, ev.data))


def run_sql(dsn: str, query: str, args: object = None) -> list[tuple]:
    """One statement on a connection of its own, committed; its rows ([] when none)."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()
