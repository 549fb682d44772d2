"""Daemon commands: start tickers and consumers, stop, restart, reload, show them and their logs.

The statements only describe what to start; qadmin.commands.daemon hands them
to engine.supervisor.  Values that arrive as raw tokens (database names as libpq
takes them, handler specs that keep their case) are normalised here.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, ClassVar

from lark import Token

from qadmin.ast.base import All, Command, Setting
from qadmin.literals import unquote_name, unquote_string

__all__ = [
    "ForgetDaemon",
    "ForgetStopped",
    "ReloadDaemon",
    "RestartDaemon",
    "ShowDaemons",
    "ShowLog",
    "StartConsumer",
    "StartConsumerFrom",
    "StartExporter",
    "StartTicker",
    "StopDaemon",
]

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


@dataclass(frozen=True, slots=True)
class StartTicker(Command):
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
    options: tuple[Setting, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "databases", tuple(_database_text(x) for x in self.databases or ()))
        _set(self, "options", tuple(self.options or ()))


StartTicker.__doc__ = _doc(StartTicker.__doc__ or "")


@dataclass(frozen=True, slots=True)
class StartExporter(Command):
    """Start a metrics exporter: start exporter [<name>] [on port <n>] [for <database>, ...] [with <key>=<value>, ...];

    Serves Prometheus metrics of the databases' queues, consumers, cascade
    nodes, Londiste tables and of the supervised daemons at
    http://127.0.0.1:<n>/metrics (default port 9766), and a status page with
    each consumer's lag over the last hour at http://127.0.0.1:<n>/.  The
    databases default to the current one (names as libpq takes them); one that
    does not answer is reported as pgq_up 0.  The name defaults to exporter.
    Keys (seconds unless a unit is given):
        bind_address       address to listen on (127.0.0.1; 0.0.0.0 for every one)
        sample_period      between the lag samples of the page's plots (5)
        history_window     lag history kept in memory (3600)
        page_refresh       between the status page's reloads (10)
        connect_timeout    to connect to a database (2)
        statement_timeout  for each statement of a scrape (5)
        base_connstr       connect string without dbname (default: the console's)
    contrib/ has a Grafana dashboard and alert rules for these metrics.
    Example: start exporter on port 9800 for orders_db, billing_db with bind_address=0.0.0.0;
    """

    watchable: ClassVar[bool] = False

    name: str | None
    port: int | None = None
    databases: tuple[str, ...] = ()
    options: tuple[Setting, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "databases", tuple(_database_text(x) for x in self.databases or ()))
        _set(self, "options", tuple(self.options or ()))


StartExporter.__doc__ = _doc(StartExporter.__doc__ or "")


@dataclass(frozen=True, slots=True)
class StartConsumer(Command):
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
    """

    watchable: ClassVar[bool] = False

    consumer: str
    queue: str
    handler: str
    daemon: str | None = None
    options: tuple[Setting, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "handler", _handler_text(self.handler))
        _set(self, "options", tuple(self.options or ()))


StartConsumer.__doc__ = _doc(StartConsumer.__doc__ or "")


@dataclass(frozen=True, slots=True)
class StartConsumerFrom(Command):
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
class StopDaemon(Command):
    """Stop daemons: stop (<name> | all) [now];

    A daemon stops after its current round (a consumer after its batch); NOW
    terminates it at once.  STOP waits a few seconds and says which are still
    running.
    """

    watchable: ClassVar[bool] = False

    target: str | All
    now: bool = False

    def __post_init__(self) -> None:
        _set(self, "now", bool(self.now))


@dataclass(frozen=True, slots=True)
class RestartDaemon(Command):
    """Stop a daemon (after its round) and start it again as it was: restart <name>;"""

    watchable: ClassVar[bool] = False

    daemon: str


@dataclass(frozen=True, slots=True)
class ReloadDaemon(Command):
    """Make a daemon re-read its config (SIGHUP): reload <name>;"""

    watchable: ClassVar[bool] = False

    daemon: str


@dataclass(frozen=True, slots=True)
class ShowDaemons(Command):
    """Show the daemons and their state: show daemons [all];

    Those of the current database (tickers serving it, consumers of its queues);
    ALL shows every daemon of the state directory, whatever its database.
    state is running, stopped (by STOP or on its own) or dead (its pidfile is
    left but the process is gone: a crash or kill -9).  lag is how far a
    consumer is behind its queue; last_error is the newest error it logged.
    FORGET removes the records of daemons that no longer run.
    """

    every: bool = False

    def __post_init__(self) -> None:
        _set(self, "every", self.every not in (None, False))


@dataclass(frozen=True, slots=True)
class ForgetDaemon(Command):
    """Forget a daemon that does not run: forget <name>;

    It leaves SHOW DAEMONS: its record, config, status and log go; a running
    daemon is refused (STOP it first).  FORGET ALL STOPPED; forgets every daemon that does not run.
    """

    watchable: ClassVar[bool] = False

    daemon: str


@dataclass(frozen=True, slots=True)
class ForgetStopped(Command):
    """Forget every daemon that does not run: forget all stopped;

    Stopped and dead ones, of every database (SHOW DAEMONS ALL lists them):
    their records, configs, status files and logs go; running daemons stay.
    """

    watchable: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class ShowLog(Command):
    """Show the end of a daemon's log: show log <name> [lines <n>];  (default 20 lines)"""

    daemon: str
    lines: int | None = None
