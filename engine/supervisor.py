"""Supervisor: start, stop, reload and watch named daemons as detached processes.

Skytools' scriptmgr reborn.  Every daemon has a name and, in the state directory
(``$QADMIN_STATE_DIR``, else ``$XDG_STATE_HOME/qadmin``, else
``~/.local/state/qadmin``), five files::

    NAME.json     what was started (kind, command, queue, consumer, database)
    NAME.ini      its generated config (not for START ... FROM 'file.ini')
    NAME.pid      written by the daemon while it runs
    NAME.log      its log: the daemon's stderr and stdout (a handler's output too)
    NAME.status   JSON the daemon keeps current: last error, lag, databases

Daemons are ``python -m engine.ticker|engine.consumer`` started with
``Popen(..., start_new_session=True)`` (no shell): they outlive the console.  A
pidfile whose process is gone is reported as ``dead`` (stale pidfile) and removed
when the name is started again; starting a running name is refused.

The console calls the functions below (or a ``Supervisor`` with another state
directory); scripts use the command line::

    python -m engine.supervisor [--state-dir DIR] start-ticker [NAME] [--db DB ...]
        [--base-connstr S] [--set key=value ...]
    python -m engine.supervisor start-exporter [NAME] --db DB [--db DB ...] [--port N]
        [--bind ADDRESS] [--base-connstr S] [--set key=value ...]
    python -m engine.supervisor start-consumer NAME --db DSN --queue Q --handler H
        [--set key=value ...]
    python -m engine.supervisor start INI [--name NAME] [--section S]
    python -m engine.supervisor stop NAME|ALL [--now]
    python -m engine.supervisor restart|reload NAME
    python -m engine.supervisor status [NAME]
    python -m engine.supervisor log NAME [-n LINES]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions

from engine import logformat
from engine.base import pid_alive, read_pidfile
from engine.config import Config, ConfigError

__all__ = [
    "STATE_DIR_ENV",
    "DaemonInfo",
    "Supervisor",
    "SupervisorError",
    "default_state_dir",
    "forget",
    "log_tail",
    "main",
    "names",
    "reload",
    "restart",
    "start_consumer",
    "start_exporter",
    "start_from_ini",
    "start_londiste",
    "start_ticker",
    "start_worker",
    "status",
    "stop",
    "stopped_names",
]

STATE_DIR_ENV = "QADMIN_STATE_DIR"
ALL = "ALL"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$")
_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
_MODULES = {
    "ticker": "engine.ticker",
    "consumer": "engine.consumer",
    "worker": "engine.cascade.worker",
    "londiste": "engine.londiste.worker",
    "exporter": "engine.exporter",
}
# the ini section a cascade worker's generated config has
WORKER_SECTION = "cascade_worker"
# the ini section a Londiste worker's generated config has (the original's)
LONDISTE_SECTION = "londiste3"

# how long START waits after a not-yet-up daemon recorded an error (does it exit?)
_ERROR_GRACE = 1.5

# Popen objects of daemons this process started, so their exit is reaped
_children: dict[int, subprocess.Popen[bytes]] = {}


class SupervisorError(Exception):
    """A daemon could not be started, stopped or found; the message says why."""


@dataclass(frozen=True, slots=True)
class DaemonInfo:
    """One row of SHOW DAEMONS."""

    name: str
    kind: str  # ticker | consumer | worker | londiste | exporter
    pid: int | None
    state: str  # running | stopped | dead
    uptime: float | None  # seconds, while running
    last_error: str | None
    last_error_time: float | None  # epoch seconds
    lag: float | None  # consumer lag in seconds (pgq.get_consumer_info)
    detail: str  # queue/consumer/handler, or the ticker's databases; stale pidfile notes
    notes: tuple[str, ...] = ()  # what start/restart had to do (a stale pidfile removed ...)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_state_dir() -> Path:
    """$QADMIN_STATE_DIR, else $XDG_STATE_HOME/qadmin, else ~/.local/state/qadmin."""
    env = os.environ.get(STATE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "qadmin"


def _ini_value(value: Any) -> str:
    text = "1" if value is True else "0" if value is False else str(value)
    if "\n" in text or "\r" in text:
        raise SupervisorError(f"config values cannot span lines: {text!r}")
    return text.replace("%", "%%")


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _reap() -> None:
    for pid, proc in list(_children.items()):
        if proc.poll() is not None:
            del _children[pid]


def _tail(path: Path, lines: int) -> list[str]:
    """The last lines of a file without reading all of it."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            block, data = 8192, b""
            while size > 0 and data.count(b"\n") <= lines:
                step = min(block, size)
                size -= step
                f.seek(size)
                data = f.read(step) + data
                block *= 2
    except OSError:
        return []
    return data.decode(errors="replace").splitlines()[-lines:] if lines > 0 else []


class Supervisor:
    """Named daemons under one state directory."""

    def __init__(self, state_dir: str | os.PathLike[str] | None = None) -> None:
        self.state_dir = Path(state_dir).expanduser() if state_dir else default_state_dir()

    # -- files ---------------------------------------------------------------------------
    def _path(self, name: str, ext: str) -> Path:
        return self.state_dir / f"{name}.{ext}"

    def _check_name(self, name: str) -> None:
        if not _NAME.match(name) or name.upper() == ALL:
            raise SupervisorError(
                f"bad daemon name {name!r}: letters, digits, _ . @ - (not ALL), up to 63"
            )

    def _meta(self, name: str) -> dict[str, Any]:
        try:
            return json.loads(self._path(name, "json").read_text())
        except FileNotFoundError:
            raise SupervisorError(f"no daemon named {name!r}") from None
        except (OSError, ValueError) as e:
            raise SupervisorError(f"daemon {name!r}: unreadable {name}.json: {e}") from None

    def _status_file(self, name: str) -> dict[str, Any]:
        try:
            return json.loads(self._path(name, "status").read_text())
        except (OSError, ValueError):
            return {}

    def names(self) -> list[str]:
        """Names of every daemon known in the state directory (for completion too)."""
        if not self.state_dir.is_dir():
            return []
        return sorted(p.stem for p in self.state_dir.glob("*.json"))

    def stopped_names(self) -> list[str]:
        """Names of the daemons that do not run (stopped or dead): what FORGET takes."""
        return [n for n in self.names() if self.running_pid(n) is None]

    def serves(self, name: str, where: Mapping[str, str | None]) -> bool:
        """Whether the daemon works on the database of where (libpq host, port, dbname).

        A consumer's database is the one of its db connect string; a ticker serves
        the databases of its list (every database of its server without one).  A
        host or port that one side leaves out matches any.
        """
        meta = self._meta(name)
        return any(_same_database(t, where) for t in _databases_of(meta))

    def running_pid(self, name: str) -> int | None:
        """The daemon's pid if it runs (pidfile, live process, one of ours)."""
        _reap()
        pid = read_pidfile(self._path(name, "pid"))
        if pid is None or not pid_alive(pid):
            return None
        cmd = _cmdline(pid)
        if cmd and "engine." not in cmd:
            return None  # the pid was reused by something else
        return pid

    # -- starting ------------------------------------------------------------------------
    def _prepare(self, name: str) -> list[str]:
        """Refuse a running name; clear a stale pidfile; return notes for the caller."""
        self._check_name(name)
        notes = []
        pid = self.running_pid(name)
        if pid is not None:
            raise SupervisorError(
                f"daemon {name!r} is already running (pid {pid}); stop it first or pick "
                "another name"
            )
        pidfile = self._path(name, "pid")
        stale = read_pidfile(pidfile)
        if pidfile.exists():
            notes.append(f"removed stale pidfile {pidfile} (pid {stale} was not running)")
            with contextlib.suppress(OSError):
                pidfile.unlink()
        with contextlib.suppress(OSError):
            self._path(name, "status").unlink()
        # private: generated configs hold connect strings, maybe passwords
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return notes

    def _spawn(self, name: str, meta: dict[str, Any], wait: float = 15.0) -> DaemonInfo:
        module = _MODULES[meta["kind"]]
        argv = [sys.executable, "-m", module, *meta["args"]]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PROJECT_ROOT, env.get("PYTHONPATH", "")) if p
        )
        logpath = self._path(name, "log")
        meta["started"] = time.time()
        self._path(name, "json").write_text(json.dumps(meta, indent=2))
        with open(logpath, "ab") as logf:
            said = f"starting {name}: {' '.join(argv)}"
            logf.write(logformat.supervisor_line(meta.get("log_format"), said).encode())
            logf.flush()
            start = logf.tell()
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=meta.get("cwd") or None,
                env=env,
            )
        _children[proc.pid] = proc
        notes = [*(meta.get("notes") or ()), *self._wait_ready(name, proc, start, wait)]
        return replace(self.info(name, lag=False), notes=tuple(notes))

    def _wait_ready(
        self, name: str, proc: subprocess.Popen[bytes], log_start: int, wait: float
    ) -> list[str]:
        """Wait until the new daemon is up (its status file says ready) or has exited.

        An exit raises SupervisorError with the daemon's own error (one line); a
        daemon that records an error before it is up (a database it cannot reach
        yet, which it retries) or is not up within wait seconds is left running,
        and the notes say so.
        """
        deadline = time.monotonic() + wait
        error_since: float | None = None
        while True:
            rc = proc.poll()
            if rc is not None:
                _children.pop(proc.pid, None)
                why = self._start_error(name, log_start)
                raise SupervisorError(
                    f"daemon {name!r} exited at start (status {rc})" + (f": {why}" if why else "")
                )
            st = self._status_file(name)
            if st.get("pid") == proc.pid:
                if st.get("ready") or "ready" not in st:  # up (or a daemon that cannot say)
                    if st.get("last_error"):
                        return [f"up, but it reported: {st['last_error']}"]
                    return []
                if st.get("last_error"):
                    # it exits at once if it gives up; else it is retrying
                    error_since = error_since or time.monotonic()
                    if time.monotonic() - error_since > _ERROR_GRACE:
                        return [
                            f"not up yet: {st['last_error']}; it keeps trying"
                            f" (SHOW LOG {name}; STOP {name})"
                        ]
            if time.monotonic() >= deadline:
                return [f"not up after {wait:g} s; it keeps starting (SHOW LOG {name})"]
            time.sleep(0.02)

    def _start_error(self, name: str, log_start: int) -> str:
        """The one line that says why a daemon exited: its recorded error, else its log."""
        st = self._status_file(name)
        if st.get("last_error"):
            return str(st["last_error"]).splitlines()[0]
        try:
            with open(self._path(name, "log"), "rb") as f:
                f.seek(log_start)
                out = f.read().decode(errors="replace").strip().splitlines()
        except OSError:
            return ""
        errors = [ln for ln in out if re.search(r"\b(ERROR|CRITICAL)\b|Error:", ln)]
        line = (errors or out or [""])[-1]
        return logformat.message_of(line)

    def _write_ini(self, name: str, section: str, values: Mapping[str, Any]) -> Path:
        lines = [f"# generated by engine.supervisor for daemon {name}", f"[{section}]"]
        for key, value in values.items():
            if value is None:
                continue
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
                raise SupervisorError(f"bad config key {key!r}")
            lines.append(f"{key} = {_ini_value(value)}")
        path = self._path(name, "ini")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def _own_files(self, name: str) -> dict[str, str]:
        return {
            "job_name": name,
            "pidfile": str(self._path(name, "pid")),
            "statusfile": str(self._path(name, "status")),
            "logfile": "",  # stderr is the log file already
        }

    def _start_with_ini(
        self,
        name: str,
        kind: str,
        section: str,
        values: dict[str, Any],
        notes: list[str],
        job_name: str | None = None,
        **meta: Any,
    ) -> DaemonInfo:
        """Write the daemon's ini file (its own files added) and spawn it; meta is kept.

        job_name, when given, is the job's name instead of the daemon's (a node's worker
        reads its provider under the node's worker name, whatever the daemon is called).
        """
        values.update(self._own_files(name))
        if job_name is not None:
            values["job_name"] = job_name
        ini = self._write_ini(name, section, values)
        record = {"name": name, "kind": kind, "args": [str(ini)], "config": str(ini), **meta}
        record.setdefault("log_format", values.get("log_format") or "text")
        record.update(cwd=os.getcwd(), notes=notes)
        return self._spawn(name, record)

    def start_ticker(
        self,
        name: str = "ticker",
        *,
        databases: Sequence[str] = (),
        base_connstr: str = "",
        options: Mapping[str, Any] | None = None,
    ) -> DaemonInfo:
        """Start a ticker for the given databases (none: every database with pgq)."""
        notes = self._prepare(name)
        values: dict[str, Any] = {
            "base_connstr": base_connstr,
            "database_list": ", ".join(databases) if databases else None,
        }
        values.update(options or {})
        return self._start_with_ini(
            name,
            "ticker",
            "pgqd",
            values,
            notes,
            databases=list(databases),
            base_connstr=base_connstr,
        )

    def start_exporter(
        self,
        name: str = "exporter",
        *,
        databases: Sequence[str],
        base_connstr: str = "",
        port: int | None = None,
        bind_address: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> DaemonInfo:
        """Start a metrics exporter for the databases (python -m engine.exporter).

        Its qadmin_daemon_up reports the daemons of this state directory.
        """
        if not databases:
            raise SupervisorError("an exporter needs at least one database to watch")
        notes = self._prepare(name)
        values: dict[str, Any] = {
            "base_connstr": base_connstr,
            "database_list": ", ".join(databases),
            "port": port,
            "bind_address": bind_address,
            "state_dir": str(self.state_dir),
        }
        values.update(options or {})
        return self._start_with_ini(
            name,
            "exporter",
            "exporter",
            values,
            notes,
            databases=list(databases),
            base_connstr=base_connstr,
            port=values["port"],
            bind_address=values["bind_address"],
        )

    def start_consumer(
        self,
        name: str,
        queue: str,
        handler: str,
        options: Mapping[str, Any] | None = None,
        *,
        db: str,
    ) -> DaemonInfo:
        """Start a consumer of queue with a handler; options are ini keys (dst_db, command ...).

        ``consumer_name`` defaults to the daemon name; ``subconsumer_name`` makes it a
        pgq_coop worker.
        """
        from engine.handlers import HandlerError, resolve_handler

        notes = self._prepare(name)
        if not handler.startswith("python:"):
            try:
                resolve_handler(handler)
            except HandlerError as e:
                raise SupervisorError(str(e)) from None
        values: dict[str, Any] = {"db": db, "queue_name": queue, "handler": handler}
        values.update(options or {})
        values.setdefault("consumer_name", name)
        return self._start_with_ini(
            name,
            "consumer",
            "consumer",
            values,
            notes,
            db=db,
            queue=queue,
            consumer=values["consumer_name"],
            subconsumer=values.get("subconsumer_name"),
            handler=handler,
        )

    def start_worker(
        self,
        name: str,
        queue: str,
        worker: str,
        options: Mapping[str, Any] | None = None,
        *,
        db: str,
    ) -> DaemonInfo:
        """Start the cascade worker of the node in db (python -m engine.cascade.worker).

        worker is the node's worker name: the worker's job_name, whatever the
        daemon is called; options are more ini keys (loop_delay ...).
        """
        return self._start_node_worker(name, "worker", WORKER_SECTION, queue, worker, options, db)

    def start_londiste(
        self,
        name: str,
        queue: str,
        worker: str,
        options: Mapping[str, Any] | None = None,
        *,
        db: str,
    ) -> DaemonInfo:
        """Start the Londiste worker of the node in db (python -m engine.londiste.worker).

        As start_worker: worker is the node's worker name (its job_name); options
        are more ini keys (loop_delay, parallel_copies ...).
        """
        return self._start_node_worker(
            name, "londiste", LONDISTE_SECTION, queue, worker, options, db
        )

    def _start_node_worker(
        self,
        name: str,
        kind: str,
        section: str,
        queue: str,
        worker: str,
        options: Mapping[str, Any] | None,
        db: str,
    ) -> DaemonInfo:
        notes = self._prepare(name)
        values: dict[str, Any] = {"db": db, "queue_name": queue, **(options or {})}
        return self._start_with_ini(
            name, kind, section, values, notes, worker, db=db, queue=queue, consumer=worker
        )

    def start_from_ini(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        section: str | None = None,
    ) -> DaemonInfo:
        """Start a consumer (or, for a [pgqd] file, a ticker) from a Skytools-style ini file.

        The daemon's pidfile and log are moved to the state directory; its other keys
        are used as they are.  The name defaults to the file's job_name.
        """
        from engine.consumer import consumer_section

        path = Path(path).expanduser().resolve()
        sect = consumer_section(str(path), section)
        kind = "ticker" if sect == "pgqd" else "consumer"
        try:
            cf = Config(sect, path, section=sect)
            job = cf.job_name
            name = name or job
            queue = cf.get_first(["queue_name", "pgq_queue_name"], None)
            consumer = cf.get_first(["consumer_name", "pgq_consumer_id"], name)
            db = cf.get_first(["db", "src_db"], None)
            handler = cf.get("handler", sect)
            sub = cf.get("subconsumer_name", None)
            databases = cf.getlist("database_list", []) if kind == "ticker" else []
            base_connstr = cf.get("base_connstr", "") if kind == "ticker" else None
            log_format = cf.get("log_format", "text")
        except ConfigError as e:
            raise SupervisorError(str(e)) from None
        if kind == "consumer" and (queue is None or db is None):
            raise SupervisorError(f"{path}: [{sect}] needs db and queue_name")
        notes = self._prepare(name)
        args = [str(path), "--section", sect] if kind == "consumer" else [str(path)]
        for key, value in self._own_files(name).items():
            if key == "job_name" and name == job:
                continue
            if key == "job_name":  # the consumer name stays the file's unless set
                args += ["--set", f"consumer_name={consumer}"]
            args += ["--set", f"{key}={value}"]
        meta = {
            "name": name,
            "kind": kind,
            "args": args,
            "config": str(path),
            "db": db,
            "queue": queue,
            "consumer": consumer,
            "subconsumer": sub,
            "handler": handler if kind == "consumer" else None,
            "databases": databases,
            "base_connstr": base_connstr,
            "cwd": os.getcwd(),
            "notes": notes,
            "log_format": log_format,
        }
        return self._spawn(name, meta)

    # -- stopping ------------------------------------------------------------------------
    def _targets(self, name: str) -> list[str]:
        if name.upper() == ALL:
            return self.names()
        self._meta(name)  # unknown name -> error
        return [name]

    def stop(self, name: str, now: bool = False, timeout: float | None = None) -> list[DaemonInfo]:
        """Stop a daemon or ALL: after its current round (SIGINT), or now (SIGTERM).

        Waits until they are gone (timeout: 60 s, 15 s with now); a daemon still
        running then is reported as running.
        """
        targets = self._targets(name)
        sig = signal.SIGTERM if now else signal.SIGINT
        waiting: dict[str, int] = {}
        for n in targets:
            pid = self.running_pid(n)
            if pid is None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            waiting[n] = pid
        if not waiting and name.upper() != ALL:
            raise SupervisorError(f"daemon {name!r} is not running")
        deadline = time.monotonic() + (timeout if timeout is not None else 15 if now else 60)
        while waiting and time.monotonic() < deadline:
            _reap()
            for n, pid in list(waiting.items()):
                if not pid_alive(pid):
                    del waiting[n]
            if waiting:
                time.sleep(0.02)
        return [self.info(n, lag=False) for n in targets]

    def restart(self, name: str) -> DaemonInfo:
        """Stop the daemon (after its current round) if it runs, and start it again."""
        meta = self._meta(name)
        if self.running_pid(name) is not None:
            self.stop(name)
            if self.running_pid(name) is not None:
                raise SupervisorError(f"daemon {name!r} did not stop; not restarted")
        meta["notes"] = self._prepare(name)
        return self._spawn(name, meta)

    def reload(self, name: str) -> DaemonInfo:
        """Make the daemon re-read its config (SIGHUP)."""
        self._meta(name)
        pid = self.running_pid(name)
        if pid is None:
            raise SupervisorError(f"daemon {name!r} is not running")
        os.kill(pid, signal.SIGHUP)
        return self.info(name, lag=False)

    def remove(self, name: str) -> None:
        """Forget a daemon that is not running: delete its files, log included."""
        self._meta(name)
        if self.running_pid(name) is not None:
            raise SupervisorError(f"daemon {name!r} is running; stop it first")
        for ext in ("json", "ini", "pid", "status", "log"):
            with contextlib.suppress(FileNotFoundError):
                self._path(name, ext).unlink()

    # -- watching ------------------------------------------------------------------------
    def info(self, name: str, *, lag: bool = True) -> DaemonInfo:
        """The status row of one daemon; lag=True asks the queue's database for the lag."""
        meta = self._meta(name)
        st = self._status_file(name)
        pid = self.running_pid(name)
        pidfile = self._path(name, "pid")
        stale = read_pidfile(pidfile) if pid is None and pidfile.exists() else None
        state = "running" if pid is not None else "dead" if pidfile.exists() else "stopped"
        uptime = None
        if pid is not None:
            started = st.get("started") or meta.get("started")
            with contextlib.suppress(OSError):
                started = started or pidfile.stat().st_mtime
            uptime = max(0.0, time.time() - started) if started else None
        last_error = st.get("last_error")
        last_error_time = st.get("last_error_time")
        if state == "dead" and not last_error:
            tail = _tail(self._path(name, "log"), 30)
            errors = [ln for ln in tail if re.search(r"ERROR|CRITICAL|Error:|Traceback", ln)]
            last_error = "exited unexpectedly" + (f"; log: {errors[-1]}" if errors else "")
        kind = meta.get("kind", "?")
        if kind == "consumer":
            detail = f"{meta.get('queue')}/{meta.get('consumer')}"
            if meta.get("subconsumer"):
                detail += f".{meta['subconsumer']}"
            detail += f" using {meta.get('handler')}"
        elif kind == "worker":
            detail = f"{meta.get('queue')}/{meta.get('consumer')} cascade worker"
        elif kind == "londiste":
            detail = f"{meta.get('queue')}/{meta.get('consumer')} londiste worker"
        elif kind == "exporter":
            url = st.get("url") if state == "running" else None
            watched = ", ".join(meta.get("databases") or [])
            where = url or f"port {meta.get('port') or 'default'}"
            detail = f"{where} for {watched}"
        else:
            dbs = st.get("databases") if state == "running" else None
            if isinstance(dbs, dict) and dbs:
                detail = ", ".join(f"{d}: {s}" for d, s in dbs.items())
            else:
                detail = ", ".join(meta.get("databases") or []) or "all databases"
        if stale is not None or (state == "dead" and pidfile.exists()):
            detail += f" (stale pidfile, pid {stale} not running)"
        lag_s = st.get("lag") if kind == "consumer" else None
        if lag and kind == "consumer" and meta.get("db") and meta.get("queue"):
            lag_s = _consumer_lag(meta["db"], meta["queue"], meta.get("consumer")) or lag_s
        return DaemonInfo(
            name=name,
            kind=kind,
            pid=pid,
            state=state,
            uptime=uptime,
            last_error=last_error,
            last_error_time=last_error_time,
            lag=lag_s,
            detail=detail,
        )

    def status(
        self,
        name: str | None = None,
        *,
        lag: bool = True,
        where: Mapping[str, str | None] | None = None,
    ) -> list[DaemonInfo]:
        """Status rows of every daemon (or one), sorted by name; where: of that database."""
        targets = [name] if name and name.upper() != ALL else self.names()
        if where is not None:
            targets = [n for n in targets if self.serves(n, where)]
        return [self.info(n, lag=lag) for n in targets]

    def log_tail(self, name: str, lines: int = 20) -> list[str]:
        """The last lines of the daemon's log."""
        self._meta(name)
        return _tail(self._path(name, "log"), lines)


def _dsn_params(dsn: str | None) -> dict[str, str]:
    try:
        return psycopg2.extensions.parse_dsn(dsn) if dsn else {}
    except psycopg2.Error:
        return {}


def _databases_of(meta: Mapping[str, Any]) -> list[dict[str, str | None]]:
    """The (host, port, dbname) a daemon works on; dbname None = every database."""
    if meta.get("kind") in ("ticker", "exporter"):
        base = _dsn_params(meta.get("base_connstr"))
        dbs = meta.get("databases") or [None]
        return [{"host": base.get("host"), "port": base.get("port"), "dbname": d} for d in dbs]
    params = _dsn_params(meta.get("db"))
    return [{k: params.get(k) for k in ("host", "port", "dbname")}]


def _host(value: str | None) -> str | None:
    if not value or value.startswith("/"):  # a socket directory: some local server
        return None
    return "127.0.0.1" if value == "localhost" else value


def _same_database(a: Mapping[str, str | None], b: Mapping[str, str | None]) -> bool:
    default_port = os.environ.get("PGPORT") or "5432"
    if str(a.get("port") or default_port) != str(b.get("port") or default_port):
        return False
    ha, hb = _host(a.get("host")), _host(b.get("host"))
    if ha is not None and hb is not None and ha != hb:
        return False
    return a.get("dbname") is None or b.get("dbname") is None or a["dbname"] == b["dbname"]


def _consumer_lag(dsn: str, queue: str, consumer: str | None) -> float | None:
    """pgq.get_consumer_info's lag in seconds, None if the database cannot say."""
    if not consumer:
        return None
    try:
        conn = psycopg2.connect(dsn, connect_timeout=3, application_name="qadmin supervisor")
    except psycopg2.Error:
        return None
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(
                "select extract(epoch from lag)::float8 from pgq.get_consumer_info(%s, %s)",
                (queue, consumer),
            )
            row = cur.fetchone()
            return row[0] if row else None
    except psycopg2.Error:
        return None
    finally:
        conn.close()


# -- module-level API for the console (default state directory) ------------------------
def start_ticker(
    name: str = "ticker",
    *,
    databases: Sequence[str] = (),
    base_connstr: str = "",
    options: Mapping[str, Any] | None = None,
    state_dir: str | None = None,
) -> DaemonInfo:
    """Start a ticker; see Supervisor.start_ticker."""
    return Supervisor(state_dir).start_ticker(
        name, databases=databases, base_connstr=base_connstr, options=options
    )


def start_exporter(
    name: str = "exporter",
    *,
    databases: Sequence[str],
    base_connstr: str = "",
    port: int | None = None,
    bind_address: str | None = None,
    options: Mapping[str, Any] | None = None,
    state_dir: str | None = None,
) -> DaemonInfo:
    """Start a metrics exporter; see Supervisor.start_exporter."""
    return Supervisor(state_dir).start_exporter(
        name,
        databases=databases,
        base_connstr=base_connstr,
        port=port,
        bind_address=bind_address,
        options=options,
    )


def start_consumer(
    name: str,
    queue: str,
    handler: str,
    options: Mapping[str, Any] | None = None,
    *,
    db: str,
    state_dir: str | None = None,
) -> DaemonInfo:
    """Start a consumer; see Supervisor.start_consumer."""
    return Supervisor(state_dir).start_consumer(name, queue, handler, options, db=db)


def start_worker(
    name: str,
    queue: str,
    worker: str,
    options: Mapping[str, Any] | None = None,
    *,
    db: str,
    state_dir: str | None = None,
) -> DaemonInfo:
    """Start a node's cascade worker; see Supervisor.start_worker."""
    return Supervisor(state_dir).start_worker(name, queue, worker, options, db=db)


def start_londiste(
    name: str,
    queue: str,
    worker: str,
    options: Mapping[str, Any] | None = None,
    *,
    db: str,
    state_dir: str | None = None,
) -> DaemonInfo:
    """Start a node's Londiste worker; see Supervisor.start_londiste."""
    return Supervisor(state_dir).start_londiste(name, queue, worker, options, db=db)


def start_from_ini(
    path: str, *, name: str | None = None, section: str | None = None, state_dir: str | None = None
) -> DaemonInfo:
    """Start a daemon from an ini file; see Supervisor.start_from_ini."""
    return Supervisor(state_dir).start_from_ini(path, name=name, section=section)


def stop(
    name: str, now: bool = False, timeout: float | None = None, *, state_dir: str | None = None
) -> list[DaemonInfo]:
    """Stop a daemon or ALL; see Supervisor.stop."""
    return Supervisor(state_dir).stop(name, now=now, timeout=timeout)


def restart(name: str, *, state_dir: str | None = None) -> DaemonInfo:
    """Restart a daemon; see Supervisor.restart."""
    return Supervisor(state_dir).restart(name)


def reload(name: str, *, state_dir: str | None = None) -> DaemonInfo:
    """Make a daemon reload its config; see Supervisor.reload."""
    return Supervisor(state_dir).reload(name)


def status(
    name: str | None = None,
    *,
    lag: bool = True,
    where: Mapping[str, str | None] | None = None,
    state_dir: str | None = None,
) -> list[DaemonInfo]:
    """Status rows; see Supervisor.status."""
    return Supervisor(state_dir).status(name, lag=lag, where=where)


def log_tail(name: str, lines: int = 20, *, state_dir: str | None = None) -> list[str]:
    """Last lines of a daemon's log; see Supervisor.log_tail."""
    return Supervisor(state_dir).log_tail(name, lines)


def names(*, state_dir: str | None = None) -> list[str]:
    """Known daemon names; see Supervisor.names."""
    return Supervisor(state_dir).names()


def stopped_names(*, state_dir: str | None = None) -> list[str]:
    """Names of the daemons that do not run; see Supervisor.stopped_names."""
    return Supervisor(state_dir).stopped_names()


def forget(name: str, *, state_dir: str | None = None) -> None:
    """Remove a daemon that does not run; see Supervisor.remove."""
    Supervisor(state_dir).remove(name)


# -- command line ------------------------------------------------------------------------
def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return ""
    s = int(s)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _print_rows(rows: list[DaemonInfo]) -> None:
    header = ("name", "kind", "pid", "state", "uptime", "lag", "last error", "detail")
    table = [
        (
            r.name,
            r.kind,
            str(r.pid or ""),
            r.state,
            _fmt_seconds(r.uptime),
            "" if r.lag is None else f"{r.lag:.1f}s",
            (r.last_error or "")[:60],
            r.detail,
        )
        for r in rows
    ]
    widths = [max([len(h), *(len(t[i]) for t in table)]) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip())


def _sets(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SupervisorError(f"--set needs key=value, got {item!r}")
        out[key.strip()] = value
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the supervisor."""
    p = argparse.ArgumentParser(
        prog="python -m engine.supervisor", description="Start, stop and watch qadmin daemons."
    )
    state_help = f"state directory (default: ${STATE_DIR_ENV}, else $XDG_STATE_HOME/qadmin)"
    p.add_argument("--state-dir", help=state_help)
    common = argparse.ArgumentParser(add_help=False)  # --state-dir after the command too
    common.add_argument("--state-dir", default=argparse.SUPPRESS, help=state_help)
    sub = p.add_subparsers(dest="cmd", required=True)

    def add(name: str, **kw: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kw)

    t = add("start-ticker", help="start a ticker")
    t.add_argument("name", nargs="?", default="ticker")
    t.add_argument("--db", action="append", default=[], help="database to serve (repeatable)")
    t.add_argument("--base-connstr", default="", help="connect string without dbname")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    x = add("start-exporter", help="start a metrics exporter")
    x.add_argument("name", nargs="?", default="exporter")
    x.add_argument("--db", action="append", default=[], help="database to watch (repeatable)")
    x.add_argument("--port", type=int)
    x.add_argument("--bind", help="address to listen on (default 127.0.0.1)")
    x.add_argument("--base-connstr", default="", help="connect string without dbname")
    x.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    c = add("start-consumer", help="start a consumer")
    c.add_argument("name")
    c.add_argument("--db", required=True, help="connect string of the queue's database")
    c.add_argument("--queue", required=True)
    c.add_argument("--handler", required=True)
    c.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    i = add("start", help="start a daemon from an ini file")
    i.add_argument("ini")
    i.add_argument("--name")
    i.add_argument("--section")
    s = add("stop", help="stop a daemon or ALL")
    s.add_argument("name")
    s.add_argument("--now", action="store_true", help="SIGTERM instead of SIGINT")
    for cmd in ("restart", "reload", "remove"):
        add(cmd).add_argument("name")
    st = add("status", help="status of the daemons")
    st.add_argument("name", nargs="?")
    st.add_argument("--json", action="store_true")
    lg = add("log", help="last lines of a daemon's log")
    lg.add_argument("name")
    lg.add_argument("-n", "--lines", type=int, default=20)
    a = p.parse_args(argv)
    sv = Supervisor(a.state_dir)
    try:
        if a.cmd == "start-ticker":
            rows = [
                sv.start_ticker(
                    a.name, databases=a.db, base_connstr=a.base_connstr, options=_sets(a.set)
                )
            ]
        elif a.cmd == "start-exporter":
            rows = [
                sv.start_exporter(
                    a.name,
                    databases=a.db,
                    base_connstr=a.base_connstr,
                    port=a.port,
                    bind_address=a.bind,
                    options=_sets(a.set),
                )
            ]
        elif a.cmd == "start-consumer":
            rows = [sv.start_consumer(a.name, a.queue, a.handler, _sets(a.set), db=a.db)]
        elif a.cmd == "start":
            rows = [sv.start_from_ini(a.ini, name=a.name, section=a.section)]
        elif a.cmd == "stop":
            rows = sv.stop(a.name, now=a.now)
        elif a.cmd == "restart":
            rows = [sv.restart(a.name)]
        elif a.cmd == "reload":
            rows = [sv.reload(a.name)]
        elif a.cmd == "remove":
            sv.remove(a.name)
            return 0
        elif a.cmd == "log":
            print("\n".join(sv.log_tail(a.name, a.lines)))
            return 0
        else:
            rows = sv.status(a.name)
            if a.json:
                print(json.dumps([r.as_dict() for r in rows], indent=2))
                return 0
    except SupervisorError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    _print_rows(rows)
    return 0


if __name__ == "__main__":
    from engine.supervisor import main as _main  # the importable copy, not __main__'s

    sys.exit(_main())
