"""Daemon commands: start tickers and consumers through engine.supervisor, watch, stop.

The daemons are detached processes (``python -m engine.ticker|engine.consumer``)
that outlive the console; their pidfiles, logs and state live in the supervisor's
state directory ($QADMIN_STATE_DIR, else $XDG_STATE_HOME/qadmin).  The console
only asks the supervisor: it never talks to a daemon itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine import supervisor as sv
from engine.daemon_keys import (
    CONSUMER_ARGUMENT_KEYS,
    EXPORTER_ARGUMENT_KEYS,
    SUPERVISOR_KEYS,
    TICKER_ARGUMENT_KEYS,
    consumer_keys,
    exporter_keys,
    ticker_keys,
)
from engine.db import ConnInfo
from engine.handlers import BUILTIN_HANDLERS
from qadmin import ast
from qadmin.commands.registry import CommandError, Context, Result, command

__all__: list[str] = []

DEFAULT_TICKER = "ticker"
DEFAULT_EXPORTER = "exporter"
DEFAULT_LOG_LINES = 20
MAX_LOG_LINES = 10_000
# how long STOP waits for the daemons to go (after their round / at once)
STOP_WAIT = 10.0
STOP_NOW_WAIT = 5.0

COLUMNS = ("name", "kind", "state", "pid", "uptime", "lag", "detail", "last_error", "error_time")
# what START, STOP, RESTART and RELOAD answer: the state they left (no lag or uptime yet)
SHORT_COLUMNS = ("name", "kind", "state", "pid", "detail")
TYPES = {"pid": "number", "uptime": "duration", "lag": "duration", "error_time": "time"}
VOLATILE = frozenset({"pid", "uptime", "lag", "error_time"})

# where a statement gives what a key would set (argument of the start function -> syntax)
_GIVEN_BY_STATEMENT = {
    "databases": "name the databases with FOR <database>, ...",
    "queue": "the queue is the one after ON",
    "consumer": "the consumer is the one after START CONSUMER",
    "handler": "the handler is the one after USING",
    "port": "the port is the one after ON PORT",
    "state_dir": "the exporter reports the daemons of the console's state directory",
}
_PASSWORD_NOTE = (
    "the password typed at CONNECT does not reach daemons: they need ~/.pgpass or "
    "PGPASSWORD in the environment qadmin was started with"
)

# -- helpers ------------------------------------------------------------------------------


@contextlib.contextmanager
def _supervisor() -> Iterator[None]:
    """Supervisor failures as command errors (their messages are ready to show)."""
    try:
        yield
    except sv.SupervisorError as e:
        raise CommandError(str(e)) from None
    except OSError as e:  # an unwritable state directory, a full disk ...
        where = sv.default_state_dir()
        raise CommandError(
            f"daemon state directory {where}: {e.strerror or e}",
            hint=f"point ${sv.STATE_DIR_ENV} at a writable directory",
        ) from None


def _options(
    settings: Sequence[ast.Setting],
    known: tuple[str, ...] | None,
    argument_keys: Mapping[str, str],
    what: str,
) -> dict[str, str]:
    """WITH key=value pairs as ini values; unknown keys refused when known is given."""
    out: dict[str, str] = {}
    for s in settings:
        key = s.key
        if key in SUPERVISOR_KEYS:
            raise CommandError(f"{key} is set by the supervisor (the daemon's files are its own)")
        if key in argument_keys:
            given_by = _GIVEN_BY_STATEMENT[argument_keys[key]]
            raise CommandError(f"{key} cannot be given in WITH: {given_by}")
        if known is not None and key not in known:
            raise CommandError(f"unknown {what} key {key!r}", hint="keys: " + ", ".join(known))
        if key in out:
            raise CommandError(f"{key} given twice")
        if s.value is not None:  # null: the daemon's default
            out[key] = s.value
    return out


def _connection(ctx: Context) -> tuple[ConnInfo, list[str]]:
    """The console's connection settings for a daemon (no password), and notes."""
    conn = ctx.require_conn()
    info = ctx.conn_params.for_daemon(conn.get_dsn_parameters())
    notes = []
    if ctx.conn_params.get("password") and conn.info.used_password:
        notes.append("NOTE:  " + _PASSWORD_NOTE)
    return info, notes


def _error_line(text: str | None) -> str | None:
    if not text:
        return None
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= 100 else first[:99] + "…"


def _row(info: sv.DaemonInfo) -> tuple[Any, ...]:
    error_time = dt.datetime.fromtimestamp(info.last_error_time) if info.last_error_time else None
    return (
        info.name,
        info.kind,
        info.state,
        info.pid,
        info.uptime,
        info.lag,
        info.detail,
        _error_line(info.last_error),
        error_time,
    )


def _table(
    infos: Sequence[sv.DaemonInfo],
    *,
    status: str | None = None,
    notes: Sequence[str] = (),
    title: str | None = None,
    columns: tuple[str, ...] = SHORT_COLUMNS,
) -> Result:
    rows = (dict(zip(COLUMNS, _row(i), strict=True)) for i in infos)
    return Result(
        title=title,
        columns=columns,
        rows=tuple(tuple(r[c] for c in columns) for r in rows),
        types=TYPES,
        volatile=VOLATILE,
        status=status,
        notes=tuple(notes),
    )


def _started(info: sv.DaemonInfo, status: str, notes: Sequence[str]) -> Result:
    return _table([info], status=status, notes=[*(f"NOTE:  {n}" for n in info.notes), *notes])


# -- handlers -----------------------------------------------------------------------------


@command(ast.StartTicker, changes_catalog=True)
def start_ticker(ctx: Context, cmd: ast.StartTicker) -> Result:
    params, notes = _connection(ctx)
    options = _options(cmd.options, ticker_keys(), TICKER_ARGUMENT_KEYS, "ticker")
    databases = list(cmd.databases) or [params["dbname"]]
    options.setdefault("base_connstr", params.replace(dbname=None).to_dsn())
    name = cmd.name or DEFAULT_TICKER
    with _supervisor():
        info = sv.start_ticker(
            name, databases=databases, base_connstr=options.pop("base_connstr"), options=options
        )
    return _started(info, "START TICKER", notes)


@command(ast.StartExporter, changes_catalog=True)
def start_exporter(ctx: Context, cmd: ast.StartExporter) -> Result:
    params, notes = _connection(ctx)
    if cmd.port is not None and not 1 <= cmd.port <= 65535:
        raise CommandError(f"port {cmd.port} is not a TCP port (1 to 65535)")
    options = _options(cmd.options, exporter_keys(), EXPORTER_ARGUMENT_KEYS, "exporter")
    databases = list(cmd.databases) or [params["dbname"]]
    options.setdefault("base_connstr", params.replace(dbname=None).to_dsn())
    with _supervisor():
        info = sv.start_exporter(
            cmd.name or DEFAULT_EXPORTER,
            databases=databases,
            base_connstr=options.pop("base_connstr"),
            port=cmd.port,
            options=options,
        )
    return _started(info, "START EXPORTER", notes)


@command(ast.StartConsumer, changes_catalog=True)
def start_consumer(ctx: Context, cmd: ast.StartConsumer) -> Result:
    handler = cmd.handler
    custom = handler.startswith("python:")
    if not custom and handler not in BUILTIN_HANDLERS:
        raise CommandError(
            f"unknown handler {handler!r}",
            hint=f"use one of {', '.join(BUILTIN_HANDLERS)} or python:module.Class",
        )
    known = None if custom else consumer_keys(handler)
    options = _options(cmd.options, known, CONSUMER_ARGUMENT_KEYS, f"{handler} consumer")
    db = options.pop("db", None) or options.pop("src_db", None)
    notes: list[str] = []
    if db is None:
        params, notes = _connection(ctx)
        db = params.to_dsn()
    options["consumer_name"] = cmd.consumer
    name = cmd.daemon
    if name is None:
        sub = options.get("subconsumer_name")
        name = f"{cmd.consumer}.{sub}" if sub else cmd.consumer
    with _supervisor():
        try:
            info = sv.start_consumer(name, cmd.queue, handler, options, db=db)
        except sv.SupervisorError as e:
            if cmd.daemon is None and str(e).startswith("bad daemon name"):
                raise CommandError(str(e), hint="name the daemon with AS <name>") from None
            raise
    return _started(info, "START CONSUMER", notes)


@command(ast.StartConsumerFrom, changes_catalog=True)
def start_consumer_from(ctx: Context, cmd: ast.StartConsumerFrom) -> Result:
    if not Path(cmd.path).expanduser().is_file():
        raise CommandError(f"no such file: {cmd.path}")
    with _supervisor():
        info = sv.start_from_ini(cmd.path, name=cmd.daemon)
    return _started(info, "START TICKER" if info.kind == "ticker" else "START CONSUMER", ())


@command(ast.StopDaemon)
def stop_daemon(ctx: Context, cmd: ast.StopDaemon) -> Result:
    target = sv.ALL if cmd.target is ast.ALL else str(cmd.target)
    wait = STOP_NOW_WAIT if cmd.now else STOP_WAIT
    with _supervisor():
        was_running = {i.name for i in sv.status(lag=False) if i.state == "running"}
        infos = sv.stop(target, now=cmd.now, timeout=wait)
    infos = [i for i in infos if i.name in was_running]
    left = [i.name for i in infos if i.state == "running"]
    notes = []
    if left:
        how = "after their current round" if len(left) > 1 else "after its current round"
        notes.append(
            f"NOTE:  still running after {wait:g} s: {', '.join(left)}; it stops {how},"
            f" or at once with STOP {left[0] if len(left) == 1 else 'ALL'} NOW;"
        )
    return _table(infos, status=f"STOP {len(infos) - len(left)}", notes=notes)


@command(ast.RestartDaemon)
def restart_daemon(ctx: Context, cmd: ast.RestartDaemon) -> Result:
    with _supervisor():
        info = sv.restart(cmd.daemon)
    return _started(info, "RESTART", ())


@command(ast.ReloadDaemon)
def reload_daemon(ctx: Context, cmd: ast.ReloadDaemon) -> Result:
    with _supervisor():
        info = sv.reload(cmd.daemon)
    return _table([info], status="RELOAD")


@command(ast.ShowDaemons)
def show_daemons(ctx: Context, cmd: ast.ShowDaemons) -> Result:
    conn = ctx.conn
    if cmd.every or conn is None or conn.closed:
        with _supervisor():
            infos = sv.status()
        return _table(infos, title="Daemons", columns=COLUMNS)
    where = conn.get_dsn_parameters()
    with _supervisor():
        infos = sv.status(where=where)
        others = len(sv.names()) - len(infos)
    notes = []
    if others:
        some = "1 daemon" if others == 1 else f"{others} daemons"
        notes.append(f"NOTE:  {some} of other databases not shown: SHOW DAEMONS ALL;")
    return _table(infos, title="Daemons of this database", columns=COLUMNS, notes=notes)


@command(ast.ForgetDaemon, changes_catalog=True)
def forget_daemon(ctx: Context, cmd: ast.ForgetDaemon) -> Result:
    with _supervisor():
        if cmd.daemon in sv.names() and cmd.daemon not in sv.stopped_names():
            raise CommandError(
                f"daemon {cmd.daemon!r} is running: only daemons that do not run are forgotten",
                hint=f"stop it first: STOP {cmd.daemon};",
            )
        sv.forget(cmd.daemon)
    return Result(status="FORGET 1")


@command(ast.ForgetStopped, changes_catalog=True)
def forget_stopped(ctx: Context, cmd: ast.ForgetStopped) -> Result:
    gone = []
    with _supervisor():
        for name in sv.stopped_names():
            with contextlib.suppress(sv.SupervisorError):  # started again meanwhile
                sv.forget(name)
                gone.append(name)
    notes = (f"NOTE:  forgot {', '.join(gone)}",) if gone else ()
    return Result(status=f"FORGET {len(gone)}", notes=notes)


@command(ast.ShowLog)
def show_log(ctx: Context, cmd: ast.ShowLog) -> Result:
    lines = DEFAULT_LOG_LINES if cmd.lines is None else cmd.lines
    if lines > MAX_LOG_LINES:
        raise CommandError(f"SHOW LOG shows at most {MAX_LOG_LINES} lines")
    with _supervisor():
        text = sv.log_tail(cmd.daemon, lines)
    if not text:
        return Result(notes=(f'(the log of daemon "{cmd.daemon}" is empty)',))
    return Result(notes=("\n".join(text),))
