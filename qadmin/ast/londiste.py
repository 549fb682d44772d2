"""Londiste commands: tables and sequences a node replicates, compare, repair, execute.

Every command but START LONDISTE acts on the console's default queue.  Table and
sequence lists hold names (schema ``public`` when none is given), 'glob*' patterns
as they were written, and ``ALL``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lark import Token

from qadmin.ast.base import Command, Setting
from qadmin.literals import unquote_string

__all__ = [
    "LondisteAddSequence",
    "LondisteAddTable",
    "LondisteChangeHandler",
    "LondisteCompare",
    "LondisteExecute",
    "LondisteFkeys",
    "LondisteRemoveSequence",
    "LondisteRemoveTable",
    "LondisteRepair",
    "LondisteResync",
    "LondisteShowMissing",
    "LondisteShowSequences",
    "LondisteShowTables",
    "LondisteStatus",
    "LondisteWaitSync",
    "StartLondiste",
]


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)  # frozen dataclass


@dataclass(frozen=True, slots=True)
class StartLondiste(Command):
    """Start this node's Londiste worker (replay and copy): start londiste [on <queue>] [as <name>] [with <key>=<value>, ...];

    Instead of START WORKER on a node that replicates tables: the worker
    replays the table events of its provider and copies new tables.  It runs
    detached (SHOW DAEMONS, STOP, SHOW LOG); the daemon is named after the
    node's worker unless AS names it.  Keys are the worker's ini keys, e.g.
    loop_delay, parallel_copies, lock_timeout.
    Example: start londiste on orders with parallel_copies=2;
    """

    watchable: ClassVar[bool] = False

    queue: str | None = None
    daemon: str | None = None
    options: tuple[Setting, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "options", tuple(self.options or ()))


@dataclass(frozen=True, slots=True)
class LondisteAddTable(Command):
    """Replicate tables on this node: londiste add table <table>, ... [with <option>, ...];

    On the root the tables join the set and get capture triggers; on a
    subscriber each must be replicated by the provider, and is copied, then
    kept in sync by the worker.  Names, 'glob*' patterns and ALL (every table
    that could be added).  Options (the original's add-table switches): create,
    create_full, expect_sync, skip_truncate, dest_table=<name>,
    handler=<name>, handler_args='k=v&...', trigger_flags=<IUDBAQLS>,
    trigger_args='a,b', no_triggers, copy_condition='<where>',
    copy_node=<node>, max_parallel_copy=<n>, wait_sync, skip_serial,
    from_dump, dump_file='<path>'.  from_dump (a subscriber): no copy; the tables
    are built from a pg_dump of the provider (they must not exist here) and
    replay goes on from the dump's snapshot; dump_file keeps the dump there, or
    restores the one an earlier from_dump kept there (one dump, many subscribers).
    Example: londiste add table public.orders, 'log_*' with create, wait_sync;
    """

    watchable: ClassVar[bool] = False

    tables: tuple[str, ...]
    options: tuple[Setting, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "options", tuple(self.options or ()))


@dataclass(frozen=True, slots=True)
class LondisteRemoveTable(Command):
    """Stop replicating tables on this node: londiste remove table <table>, ...;

    Drops the table's triggers; on the root the table also leaves the set.
    The data stays.
    """

    watchable: ClassVar[bool] = False

    tables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LondisteAddSequence(Command):
    """Replicate sequences on this node: londiste add sequence <sequence>, ...;

    The root publishes its sequences' values ahead of use; subscribers set
    theirs from them and never go back.
    """

    watchable: ClassVar[bool] = False

    sequences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LondisteRemoveSequence(Command):
    """Stop replicating sequences on this node: londiste remove sequence <sequence>, ...;"""

    watchable: ClassVar[bool] = False

    sequences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LondisteShowTables(Command):
    """Show the tables this node replicates: londiste show tables;

    Columns: table, state (ok, copy-needed, in-copy, catching-up,
    wanna-sync:<tick>, do-sync:<tick>), lag (of the tables in sync), handler.
    """


@dataclass(frozen=True, slots=True)
class LondisteShowSequences(Command):
    """Show the sequences of the set: londiste show sequences;"""


@dataclass(frozen=True, slots=True)
class LondisteShowMissing(Command):
    """Show what could be added here: londiste show missing;

    On the root: tables and sequences not in the set; on a subscriber: those
    its provider replicates and this node does not.
    """


@dataclass(frozen=True, slots=True)
class LondisteResync(Command):
    """Copy tables again from the provider: londiste resync <table>, ...;"""

    watchable: ClassVar[bool] = False

    tables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LondisteCompare(Command):
    """Compare tables with the provider: londiste compare [<table>, ...] [count only];

    At a sync point (the provider's table locked briefly, this node caught up
    to the tick after it): row count and a hash of the rows on both sides.
    Without tables: every table in sync here.
    """

    tables: tuple[str, ...] | None = None
    count_only: bool = False

    def __post_init__(self) -> None:
        _set(self, "count_only", bool(self.count_only))


@dataclass(frozen=True, slots=True)
class LondisteRepair(Command):
    """Show (or run) the SQL that makes tables equal to the provider's: londiste repair [<table>, ...] [apply];

    At the same sync point as COMPARE; APPLY runs the statements here.
    """

    watchable: ClassVar[bool] = False

    tables: tuple[str, ...] | None = None
    apply: bool = False

    def __post_init__(self) -> None:
        _set(self, "apply", bool(self.apply))


@dataclass(frozen=True, slots=True)
class LondisteExecute(Command):
    """Run an SQL file on every node in queue order: londiste execute '<file.sql>' [wait [timeout <seconds>]];

    On the root only: the file runs in one transaction and travels as an
    event; each node runs it once (its base name is its id).  WAIT returns
    when every node has applied it.  Header lines ``--*-- Need-Table: t`` and
    the like limit the nodes it runs on.
    """

    watchable: ClassVar[bool] = False

    file: str
    wait: bool = False
    timeout: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.file, Token):
            _set(self, "file", unquote_string(self.file))
        _set(self, "wait", bool(self.wait))
        _set(self, "timeout", _number(self.timeout))


@dataclass(frozen=True, slots=True)
class LondisteFkeys(Command):
    """Show the foreign keys dropped for a copy: londiste fkeys [restore];

    RESTORE recreates those whose tables are both in sync.
    """

    restore: bool = False

    def __post_init__(self) -> None:
        _set(self, "restore", bool(self.restore))


@dataclass(frozen=True, slots=True)
class LondisteChangeHandler(Command):
    """Give a table another handler: londiste change handler <table> to <handler> [with <key>=<value>, ...];

    Example: londiste change handler public.orders to bulk with method=1;
    """

    watchable: ClassVar[bool] = False

    table: str
    handler: str
    args: tuple[Setting, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "args", tuple(self.args or ()))


@dataclass(frozen=True, slots=True)
class LondisteWaitSync(Command):
    """Wait until every table here is in sync: londiste wait sync [timeout <seconds>];"""

    watchable: ClassVar[bool] = False

    timeout: float | None = None

    def __post_init__(self) -> None:
        _set(self, "timeout", _number(self.timeout))


@dataclass(frozen=True, slots=True)
class LondisteStatus(Command):
    """Show the Londiste state of this node: londiste status;

    Modules installed, replay running and its lag, the tables being copied,
    tables in sync and not yet, the worker's last error.
    """
