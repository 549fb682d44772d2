"""The handler registry: @command, dispatch(), and the Context handlers work in.

Result, Settings and CommandError are defined in qadmin.result and qadmin.errors
(rendering needs no handler); they are re-exported here for the handler modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg2.extensions

from engine.db import ConnInfo
from qadmin import ast
from qadmin.errors import CommandError
from qadmin.history import History
from qadmin.result import OUTPUT_FORMATS, Result, Settings

__all__ = [
    "OUTPUT_FORMATS",
    "REGISTRY",
    "CommandError",
    "Context",
    "Handler",
    "Result",
    "Settings",
    "command",
    "dispatch",
    "load_handlers",
]


@dataclass
class Context:
    """The session a handler works in: connection, default queue, settings."""

    conn: psycopg2.extensions.connection | None
    conn_params: ConnInfo = field(default_factory=ConnInfo)  # to connect again
    queue: str | None = None
    settings: Settings = field(default_factory=Settings)
    interactive: bool = False
    assume_yes: bool = False
    ask: Callable[[str], bool] | None = None
    on_connect: Callable[[Context], None] | None = None
    # \set variables (qadmin.variables interpolates them into statements)
    variables: dict[str, str] = field(default_factory=dict)
    # prints a line at once while a long command runs (the runner sets it)
    progress: Callable[[str], None] | None = None
    # the lags and rates this session saw (PgQ keeps no history): sparklines, PLOT LAG
    history: History = field(default_factory=History)
    # plain SQL's cursor, kept from statement to statement (qadmin.commands.sql)
    sql_cursor: psycopg2.extensions.cursor | None = field(default=None, repr=False, compare=False)

    def cursor(self) -> psycopg2.extensions.cursor:
        if self.conn is None or self.conn.closed:
            raise CommandError("not connected to a database; use CONNECT")
        return self.conn.cursor()

    def require_conn(self) -> psycopg2.extensions.connection:
        if self.conn is None or self.conn.closed:
            raise CommandError("not connected to a database; use CONNECT")
        return self.conn

    def queue_or_default(self, queue: str | None) -> str:
        """The queue a command names, else the default queue, else an error."""
        if queue is not None:
            return queue
        if self.queue is None:
            raise CommandError(
                "no queue given and no default queue",
                hint="name one with ON <queue> (FROM/INTO for some commands),"
                " or set a default: CONNECT queue=<queue>;",
            )
        return self.queue

    def variable(self, name: str) -> str | None:
        """A \\set variable; DBNAME, HOST, PORT and USER default to the connection's."""
        if name in self.variables:
            return self.variables[name]
        conn = self.conn
        if name in AUTOMATIC_VARIABLES and conn is not None and not conn.closed:
            value = getattr(conn.info, AUTOMATIC_VARIABLES[name])
            return None if value is None else str(value)
        return None

    def say(self, line: str) -> None:
        """Show a progress line now (a long command's steps), not with the result."""
        if self.progress is not None:
            self.progress(line)

    def confirm(self, question: str) -> bool:
        """Ask before destroying something, only in the interactive console."""
        if not self.interactive or self.assume_yes or self.ask is None:
            return True
        return self.ask(question)


# psql's variables that follow the connection: name -> attribute of conn.info
AUTOMATIC_VARIABLES = {"DBNAME": "dbname", "HOST": "host", "PORT": "port", "USER": "user"}

Handler = Callable[[Context, Any], Result]
C = TypeVar("C", bound=ast.Command)


@dataclass(frozen=True, slots=True)
class Registered:
    handler: Handler
    changes_catalog: bool | Callable[[Any], bool]
    name: str


REGISTRY: dict[type[ast.Command], Registered] = {}
# new -> loading -> done; the catalog refresh thread may ask while the shell loads
_load_state = "new"
_load_lock = threading.RLock()


def command(
    cls: type[C], *, changes_catalog: bool | Callable[[C], bool] = False
) -> Callable[[Callable[[Context, C], Result]], Callable[[Context, C], Result]]:
    """Register the handler of one AST command class.

    changes_catalog says whether running it may change the names completion
    offers (a refresh follows); a function decides per statement.
    """

    def deco(fn: Callable[[Context, C], Result]) -> Callable[[Context, C], Result]:
        if cls in REGISTRY:
            raise RuntimeError(f"two handlers for {cls.__name__}")
        REGISTRY[cls] = Registered(fn, changes_catalog, fn.__name__)
        return fn

    return deco


def load_handlers() -> None:
    """Import every module of qadmin.commands, so each registers its handlers.

    Another thread waits until all are loaded (their name fetchers too); the
    loading thread itself may call this again while it imports.
    """
    global _load_state
    if _load_state == "done":
        return
    with _load_lock:
        if _load_state != "new":
            return
        import qadmin.commands as pkg

        _load_state = "loading"
        for mod in pkgutil.iter_modules(pkg.__path__):
            if mod.name != "registry":
                importlib.import_module(f"qadmin.commands.{mod.name}")
        _load_state = "done"


def _entry(cmd: ast.Command) -> Registered | None:
    """The handler entry of a command, importing only its family's module.

    Commands of qadmin.ast.<family> have their handlers in
    qadmin.commands.<family>: a one-liner (`qadmin -c`) then loads one handler
    module and what it needs, not the engine of every family.  Anything not
    found that way loads every module.
    """
    entry = REGISTRY.get(type(cmd))
    if entry is None and _load_state == "new":
        family = type(cmd).__module__.rpartition(".")[2]
        with _load_lock:
            if importlib.util.find_spec(f"qadmin.commands.{family}") is not None:
                importlib.import_module(f"qadmin.commands.{family}")
        entry = REGISTRY.get(type(cmd))
    if entry is None:
        load_handlers()
        entry = REGISTRY.get(type(cmd))
    return entry


def dispatch(ctx: Context, cmd: ast.Command) -> Result:
    """Run the handler registered for the command's type."""
    entry = _entry(cmd)
    if entry is None:
        raise CommandError(f"no handler for {type(cmd).__name__}")
    return entry.handler(ctx, cmd)


def changes_catalog(cmd: ast.Command) -> bool:
    """Whether running the command may change names that completion offers."""
    entry = _entry(cmd)
    if entry is None or isinstance(cmd, ast.Watch):
        return False
    if callable(entry.changes_catalog):
        return entry.changes_catalog(cmd)
    return entry.changes_catalog
