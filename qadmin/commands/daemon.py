"""Daemon commands: start tickers and consumers through engine.supervisor, watch, stop.

The daemons are detached processes (``python -m engine.ticker|engine.consumer``)
that outlive the console; their pidfiles, logs and state live in the supervisor's
state directory ($QADMIN_STATE_DIR, else $XDG_STATE_HOME/qadmin).  The console
only asks the supervisor: it never talks to a daemon itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from lark import Token

from engine import supervisor as sv
from engine.base import Daemon
from engine.db import ConnInfo
from engine.handlers import BUILTIN_HANDLERS, HANDLER_NAMES
from qadmin import ast
from qadmin.catalog import register_names
from qadmin.commands.registry import CommandError, Context, Result, command
from qadmin.complete.match import VERBATIM_KINDS
from qadmin.transform import unquote_name, unquote_string

__all__ = [
    "ReloadDaemon",
    "RestartDaemon",
    "ShowDaemons",
    "ShowLog",
    "StartConsumer",
    "StartConsumerFrom",
    "StartTicker",
    "StopDaemon",
    "consumer_keys",
    "ticker_keys",
]

DEFAULT_TICKER = "ticker"
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

# keys the supervisor writes itself, and keys the statement already gives
_SUPERVISOR_KEYS = ("job_name", "pidfile", "logfile", "statusfile")
_TICKER_STATEMENT_KEYS = {"database_list": "name the databases with FOR <database>, ..."}
_CONSUMER_STATEMENT_KEYS = {
    "queue_name": "the queue is the one after ON",
    "pgq_queue_name": "the queue is the one after ON",
    "consumer_name": "the consumer is the one after START CONSUMER",
    "pgq_consumer_id": "the consumer is the one after START CONSUMER",
    "handler": "the handler is the one after USING",
}
# keys a supervised daemon has no use for: it logs to the supervisor's file, not
# rotated, and pgqd's syslog keys are ignored anyway
_NOT_SETTABLE = {
    *_SUPERVISOR_KEYS,
    "log_size",
    "log_count",
    "syslog",
    "syslog_ident",
    "syslog_facility",
}
_TEMPLATE_KEY = re.compile(r"^#?([A-Za-z_]\w*)\s*=", re.MULTILINE)

_PASSWORD_NOTE = (
    "the password typed at CONNECT does not reach daemons: they need ~/.pgpass or "
    "PGPASSWORD in the environment qadmin was started with"
)

_DAEMON_HELP = """
Daemons run detached and outlive the console: SHOW DAEMONS; lists them, STOP
stops them.  Each has a pidfile and a log (SHOW LOG <name>;) in the state
directory, $QADMIN_STATE_DIR, else $XDG_STATE_HOME/qadmin.  A name that is
running cannot be started again.  Daemons connect as the console does (host,
port, user, database) but without a password typed at CONNECT or -W: give
them one in ~/.pgpass or PGPASSWORD.
"""


def _doc(text: str) -> str:
    """A start command's help with the paragraph every daemon shares (indented alike)."""
    return text.rstrip() + "\n\n" + textwrap.indent(_DAEMON_HELP.strip("\n"), "    ") + "\n"


def _token_text(value: Any) -> Any:
    """A terminal the core transformer left as a token, as its plain value."""
    if not isinstance(value, Token):
        return value
    if value.type in ("STRING", "DOLLAR_STRING"):
        return unquote_string(value)
    if value.type in ("NAME", "QUOTED_NAME"):
        return unquote_name(value)
    return str(value)


def _database_text(value: Any) -> Any:
    """A database name as libpq takes it: a bare one is kept as typed."""
    if isinstance(value, Token) and value.type == "NAME":
        return str(value)
    return _token_text(value)


def _handler_text(value: Any) -> Any:
    """USING print | "Exact" | 'python:m.C' | python:m.C -> the handler spec."""
    if isinstance(value, Token) and value.type == "PYTHON_HANDLER":
        return "python:" + value[len("python:") :]  # module and class keep their case
    text = _token_text(value)
    return text.strip() if isinstance(text, str) else text


def _set(obj: object, field: str, value: Any) -> None:
    object.__setattr__(obj, field, value)  # frozen dataclass: normalise in __post_init__


# -- AST ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartTicker(ast.Command):
    """Start a ticker daemon: start ticker [<name>] [for <database>, ...] [with <key>=<value>, ...];

    Ticks the queues of the databases (default: the current database; names as
    libpq takes them, e.g. MyDb or 'my db') by their settings and runs their
    maintenance and retry queue, as pgqd does.  One ticker per database: a
    second one stands by.  The name defaults to ticker.
    Keys are pgqd's ini keys (seconds unless a unit is given, '2 min'):
        ticker_period    between ticker rounds (1)
        maint_period     between maintenance rounds: rotation, vacuum (120)
        retry_period     between flushes of the retry queue (30)
        check_period     between re-checks of the databases (60)
        stats_period     between stats lines in the log (30)
        use_notify       tick queues with the notify setting at once (1)
        base_connstr     connect string without dbname (default: the console's)
    Example: start ticker for orders_db, billing_db with ticker_period=0.5;
    """

    watchable: ClassVar[bool] = False

    name: str | None
    databases: tuple[str, ...] = ()
    options: tuple[ast.Setting, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "databases", tuple(_database_text(x) for x in self.databases or ()))
        _set(self, "options", tuple(self.options or ()))


StartTicker.__doc__ = _doc(StartTicker.__doc__ or "")


@dataclass(frozen=True, slots=True)
class StartConsumer(ast.Command):
    """Start a consumer daemon: start consumer <consumer> on <queue> using <handler> [as <name>] [with <key>=<value>, ...];

    The consumer (registered at start if it is not) takes the queue's batches
    and hands their events to the handler:
        print              writes each event as a JSON line to the log
        exec               runs command='shell command' per batch, events as
                           JSON lines on its stdin; the batch is retried unless
                           it exits with 0 (exec_timeout, exec_empty_batches)
        queue_mover        copies events to dst_queue (default: the same name)
                           in dst_db='connect string', exactly once
        table_dispatcher   inserts events into table='schema.table' (of dst_db,
                           default this database), exactly once (row_format)
        python:module.Class  your engine.consumer.Consumer subclass
    Other keys are the consumer's ini keys: pgq_lazy_fetch, pgq_batch_collect_events,
    pgq_batch_collect_interval, pgq_keep_lag, pgq_retry_failed_events,
    pgq_retry_delay, table_filter, loop_delay, use_notify, db (another database)
    and subconsumer_name (one worker of a pgq_coop consumer).  The daemon is
    named after the consumer (consumer.subconsumer for a worker) unless AS
    names it.
    Example: start consumer audit on orders using table_dispatcher with table='public.audit';
    """  # noqa: E501 - the syntax line is the help text

    watchable: ClassVar[bool] = False

    consumer: str
    queue: str
    handler: str
    daemon: str | None = None
    options: tuple[ast.Setting, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "handler", _handler_text(self.handler))
        _set(self, "options", tuple(self.options or ()))


StartConsumer.__doc__ = _doc(StartConsumer.__doc__ or "")


@dataclass(frozen=True, slots=True)
class StartConsumerFrom(ast.Command):
    """Start a daemon from an ini file: start consumer from '<file.ini>' [as <name>];

    A Skytools-style config: the section's keys (db, queue_name, handler ...)
    are used as they are, a [pgqd] section starts a ticker.  The name defaults
    to the file's job_name (its base name); the pidfile and log go to the state
    directory.  The file's connect strings are used as written: a password must
    be in them, in ~/.pgpass or in PGPASSWORD.
    """

    watchable: ClassVar[bool] = False

    path: str
    daemon: str | None = None

    def __post_init__(self) -> None:
        _set(self, "path", _token_text(self.path))


@dataclass(frozen=True, slots=True)
class StopDaemon(ast.Command):
    """Stop daemons: stop (<name> | all) [now];

    A daemon stops after its current round (a consumer after its batch); NOW
    terminates it at once.  STOP waits a few seconds and says which are still
    running.
    """

    watchable: ClassVar[bool] = False

    target: str | ast.All
    now: bool = False

    def __post_init__(self) -> None:
        _set(self, "now", bool(self.now))


@dataclass(frozen=True, slots=True)
class RestartDaemon(ast.Command):
    """Stop a daemon (after its round) and start it again as it was: restart <name>;"""

    watchable: ClassVar[bool] = False

    daemon: str


@dataclass(frozen=True, slots=True)
class ReloadDaemon(ast.Command):
    """Make a daemon re-read its config (SIGHUP): reload <name>;"""

    watchable: ClassVar[bool] = False

    daemon: str


@dataclass(frozen=True, slots=True)
class ShowDaemons(ast.Command):
    """Show the daemons and their state: show daemons;

    state is running, stopped (by STOP or on its own) or dead (its pidfile is
    left but the process is gone: a crash or kill -9).  lag is how far a
    consumer is behind its queue; last_error is the newest error it logged.
    """


@dataclass(frozen=True, slots=True)
class ShowLog(ast.Command):
    """Show the end of a daemon's log: show log <name> [lines <n>];  (default 20 lines)"""

    daemon: str
    lines: int | None = None


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


def _template_keys(*texts: str) -> list[str]:
    keys: list[str] = []
    for text in texts:
        for key in _TEMPLATE_KEY.findall(text):
            if key not in keys:
                keys.append(key)
    return keys


def _daemon_keys(*classes: type[Daemon]) -> tuple[str, ...]:
    """Keys of the classes' own templates first, then those every daemon reads."""
    common = _template_keys(Daemon.ini_text())
    own = [k for k in _template_keys(*(c.ini_text() for c in classes)) if k not in common]
    return tuple(k for k in own + common if k not in _NOT_SETTABLE)


@functools.cache
def ticker_keys() -> tuple[str, ...]:
    """The ini keys START TICKER ... WITH takes (pgqd's, minus those set for it)."""
    from engine.ticker import Ticker

    return tuple(k for k in _daemon_keys(Ticker) if k not in _TICKER_STATEMENT_KEYS)


@functools.cache
def consumer_keys(handler: str | None = None) -> tuple[str, ...]:
    """The ini keys START CONSUMER ... WITH takes with a built-in handler (None: any)."""
    from engine.consumer import Consumer

    if handler in BUILTIN_HANDLERS:
        classes: list[type[Daemon]] = [BUILTIN_HANDLERS[handler]]
    else:
        classes = [Consumer, *BUILTIN_HANDLERS.values()]
    keys = _daemon_keys(*classes)
    return tuple(k for k in keys if k not in _CONSUMER_STATEMENT_KEYS)


def _options(
    settings: Sequence[ast.Setting],
    known: tuple[str, ...] | None,
    statement_keys: dict[str, str],
    what: str,
) -> dict[str, str]:
    """WITH key=value pairs as ini values; unknown keys refused when known is given."""
    out: dict[str, str] = {}
    for s in settings:
        key = s.key
        if key in _SUPERVISOR_KEYS:
            raise CommandError(f"{key} is set by the supervisor (the daemon's files are its own)")
        if key in statement_keys:
            raise CommandError(f"{key} cannot be given in WITH: {statement_keys[key]}")
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


@command(StartTicker, changes_catalog=True)
def start_ticker(ctx: Context, cmd: StartTicker) -> Result:
    params, notes = _connection(ctx)
    options = _options(cmd.options, ticker_keys(), _TICKER_STATEMENT_KEYS, "ticker")
    databases = list(cmd.databases) or [params["dbname"]]
    options.setdefault("base_connstr", params.replace(dbname=None).to_dsn())
    name = cmd.name or DEFAULT_TICKER
    with _supervisor():
        info = sv.start_ticker(
            name, databases=databases, base_connstr=options.pop("base_connstr"), options=options
        )
    return _started(info, "START TICKER", notes)


@command(StartConsumer, changes_catalog=True)
def start_consumer(ctx: Context, cmd: StartConsumer) -> Result:
    handler = cmd.handler
    custom = handler.startswith("python:")
    if not custom and handler not in BUILTIN_HANDLERS:
        raise CommandError(
            f"unknown handler {handler!r}",
            hint=f"use one of {', '.join(BUILTIN_HANDLERS)} or python:module.Class",
        )
    known = None if custom else consumer_keys(handler)
    options = _options(cmd.options, known, _CONSUMER_STATEMENT_KEYS, f"{handler} consumer")
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


@command(StartConsumerFrom, changes_catalog=True)
def start_consumer_from(ctx: Context, cmd: StartConsumerFrom) -> Result:
    if not Path(cmd.path).expanduser().is_file():
        raise CommandError(f"no such file: {cmd.path}")
    with _supervisor():
        info = sv.start_from_ini(cmd.path, name=cmd.daemon)
    return _started(info, "START TICKER" if info.kind == "ticker" else "START CONSUMER", ())


@command(StopDaemon)
def stop_daemon(ctx: Context, cmd: StopDaemon) -> Result:
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


@command(RestartDaemon)
def restart_daemon(ctx: Context, cmd: RestartDaemon) -> Result:
    with _supervisor():
        info = sv.restart(cmd.daemon)
    return _started(info, "RESTART", ())


@command(ReloadDaemon)
def reload_daemon(ctx: Context, cmd: ReloadDaemon) -> Result:
    with _supervisor():
        info = sv.reload(cmd.daemon)
    return _table([info], status="RELOAD")


@command(ShowDaemons)
def show_daemons(ctx: Context, cmd: ShowDaemons) -> Result:
    with _supervisor():
        infos = sv.status()
    return _table(infos, title="Daemons", columns=COLUMNS)


@command(ShowLog)
def show_log(ctx: Context, cmd: ShowLog) -> Result:
    lines = DEFAULT_LOG_LINES if cmd.lines is None else cmd.lines
    if lines > MAX_LOG_LINES:
        raise CommandError(f"SHOW LOG shows at most {MAX_LOG_LINES} lines")
    with _supervisor():
        text = sv.log_tail(cmd.daemon, lines)
    if not text:
        return Result(notes=(f'(the log of daemon "{cmd.daemon}" is empty)',))
    return Result(notes=("\n".join(text),))


# -- completion ---------------------------------------------------------------------------
# The names come from the state directory and the engine, not from the database; the
# cursor the catalog refresh passes is not used.
register_names("daemon", lambda _cur: sv.names())
register_names("handler", lambda _cur: list(HANDLER_NAMES))
register_names("ticker_key", lambda _cur: list(ticker_keys()))
register_names("consumer_key", lambda _cur: list(consumer_keys()))
VERBATIM_KINDS.add("handler")  # python: is typed as it is, not as a "quoted" name
