"""The console's typed syntax tree: one frozen dataclass per command.

Each command class maps to the grammar rule of the same name in snake_case
(``CreateQueue`` <-> ``create_queue``), wired by ``lark.ast_utils``.  The first
line of a command's docstring is its one-line help; the rest is ``HELP <cmd>``.

A later command family (daemons, cascading) may define its command classes next
to its handlers in ``qadmin/commands/<family>.py``: every subclass of Command is
wired to its rule and listed in HELP, wherever it is defined.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar

from lark import ast_utils

__all__ = [
    "ALL",
    "All",
    "AlterQueue",
    "AtTick",
    "Command",
    "Connect",
    "CopyFrom",
    "CreateQueue",
    "DeleteEvent",
    "DropQueue",
    "Exit",
    "Help",
    "InsertEvent",
    "Install",
    "Pattern",
    "Refresh",
    "RegisterConsumer",
    "RegisterSubconsumer",
    "RenameConsumer",
    "RenameQueue",
    "SetExpanded",
    "SetFormat",
    "SetTiming",
    "Setting",
    "ShowBatchEvents",
    "ShowBatchInfo",
    "ShowConsumer",
    "ShowQueue",
    "ShowQueueStats",
    "ShowSequence",
    "ShowTable",
    "ShowVersion",
    "Sql",
    "Tick",
    "UnregisterConsumer",
    "UnregisterSubconsumer",
    "Watch",
    "command_classes",
    "node_classes",
]


class _Node(ast_utils.Ast):
    """Base of everything the transformer builds from a rule."""


class Command(_Node):
    """Base of every statement; concrete subclasses each have one handler."""

    #: whether WATCH may repeat it (families set False for commands that act once)
    watchable: ClassVar[bool] = True


def node_classes() -> list[type]:
    """Every class the transformer builds (subclasses of the node base, anywhere)."""
    out: set[type] = set()
    todo = list(_Node.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        # dataclass(slots=True) replaces a class by a new one; the old one lingers
        # among the subclasses until collected: keep only what the module holds
        if getattr(sys.modules.get(cls.__module__), cls.__qualname__, None) is cls:
            out.add(cls)
    return sorted(out, key=lambda c: c.__name__)


def command_classes() -> list[type[Command]]:
    """Every concrete command class, core and plug-in families alike."""
    return [c for c in node_classes() if issubclass(c, Command) and c is not Command]


@dataclass(frozen=True, slots=True)
class All:
    """The `*` wildcard: every queue, consumer or subconsumer."""

    def __repr__(self) -> str:
        return "ALL"


ALL = All()


@dataclass(frozen=True, slots=True)
class Pattern:
    """A 'glob*' pattern of names (`*` any text, `?` one character)."""

    text: str


@dataclass(frozen=True, slots=True)
class Setting(_Node):
    """One key=value of a queue setting."""

    key: str
    value: str | None


@dataclass(frozen=True, slots=True)
class AtTick(_Node):
    """Position a consumer at a tick."""

    tick_id: int


@dataclass(frozen=True, slots=True)
class CopyFrom(_Node):
    """Position a consumer where another consumer stands."""

    consumer: str


# -- session ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connect(Command):
    """Connect or switch queue: connect [dbname=D] [host=H] [port=P] [user=U] [queue=Q] [node=N] ...;

    Any libpq key works (password, sslmode, service, application_name ...).
    With libpq keys a new connection replaces the current one, the keys not
    given come from the current connection.  `connect queue=q;` alone only
    switches the default queue.  `node=N` connects to the cascade node N of
    the default queue (needs pgq_node).
    """

    params: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Install(Command):
    """Install or upgrade SQL modules: install pgq | pgq_coop | pgq_node | londiste | qadmin_ext | all [, ...];

    Installs what each module needs first, all in one transaction; running it
    again replaces the functions and keeps queues, consumers and events.
    """

    modules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Help(Command):
    """Show help: help; help <command>;  (also: show help; \\?)"""

    topic: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Exit(Command):
    """Leave the console: exit;  quit;  \\q  (or ^D)"""


@dataclass(frozen=True, slots=True)
class SetFormat(Command):
    """Choose the output format: set format aligned | expanded | csv | json;"""

    format: str


@dataclass(frozen=True, slots=True)
class SetTiming(Command):
    """Show how long each command took: set timing on | off;  \\timing [on|off]"""

    on: bool | None = None


@dataclass(frozen=True, slots=True)
class SetExpanded(Command):
    """Toggle expanded output (one record per block): \\x [on|off]"""

    on: bool | None = None


@dataclass(frozen=True, slots=True)
class Refresh(Command):
    """Reload the names used by tab completion: \\refresh"""


@dataclass(frozen=True, slots=True)
class Watch(Command):
    """Repeat a command every N seconds (default 2) until ^C: watch [N] <command>;

    Example: watch 5 show consumer * on *;
    """

    seconds: float | None
    command: Command


@dataclass(frozen=True, slots=True)
class ShowVersion(Command):
    """Show versions of qadmin, the server and the installed modules: show version;"""


# -- queues -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateQueue(Command):
    """Create a queue: create queue <name> [with <setting>=<value>, ...];

    Settings as in alter queue, e.g.
        create queue q1 with max_count=1000, max_lag='1 second';
    """

    name: str
    settings: tuple[Setting, ...]


@dataclass(frozen=True, slots=True)
class AlterQueue(Command):
    """Change queue settings: alter queue (<queue> | *) set <setting>=<value> [, ...];

    Settings (short name = full name):
        max_count       = ticker_max_count     tick after this many events
        max_lag         = ticker_max_lag       tick when events are this old ('3 s')
        idle_period     = ticker_idle_period   tick at least this often when idle
        paused          = ticker_paused        the ticker skips the queue (true/false)
        rotation_period                        how often event tables rotate ('2 hours')
        external_ticker                        ticks come from elsewhere (cascading)
        per_tx_limit                           max events per transaction (null = no limit)
        disable_insert                         refuse new events (true/false)
        extra_maint                            extra maintenance functions ('{f1,f2}')
        notify                                 producers send NOTIFY pgq_insert
    """

    queue: str | All
    settings: tuple[Setting, ...]


@dataclass(frozen=True, slots=True)
class DropQueue(Command):
    """Drop a queue and its events: drop queue <queue> [force];

    Without FORCE a queue that still has consumers is not dropped; FORCE
    unregisters them first.  Asks for confirmation in the interactive console.
    """

    queue: str
    force: bool


@dataclass(frozen=True, slots=True)
class RenameQueue(Command):
    """Rename a queue: rename queue <queue> to <new_name>;"""

    queue: str
    new_name: str


@dataclass(frozen=True, slots=True)
class ShowQueue(Command):
    """Show queues: show queue [<queue> | * | 'pattern*'];

    Without a name: the default queue, or all queues if there is none.
    """

    queue: str | All | Pattern | None


@dataclass(frozen=True, slots=True)
class ShowQueueStats(Command):
    """Show event counts and rates from the ticks: show queue stats [<queue> | *];

    Counts come from the event sequence positions recorded in each tick, for
    the last minute, 5 minutes, hour and all kept ticks.
    """

    queue: str | All | None


@dataclass(frozen=True, slots=True)
class Tick(Command):
    """Tick a queue now (close the current batch window): tick [<queue> | *];"""

    queue: str | All | None


# -- consumers ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterConsumer(Command):
    """Register a consumer: register consumer <name> [on <queue>] [at <tick_id> | copy <consumer>];

    AT starts it at (or moves it to) a tick; COPY starts it where another
    consumer stands (its last finished tick).
    """

    consumer: str
    queue: str | None
    position: AtTick | CopyFrom | None


@dataclass(frozen=True, slots=True)
class UnregisterConsumer(Command):
    """Unregister a consumer: unregister consumer (<consumer> | *) [from <queue>];

    Its retry events go too.  `*` (every consumer of the queue) asks for
    confirmation in the interactive console.
    """

    consumer: str | All
    queue: str | None


@dataclass(frozen=True, slots=True)
class RenameConsumer(Command):
    """Rename a consumer on a queue: rename consumer <consumer> to <new_name> [on <queue>];

    Keeps its position, open batch, retry events and subconsumers.
    """

    consumer: str
    new_name: str
    queue: str | None


@dataclass(frozen=True, slots=True)
class RegisterSubconsumer(Command):
    """Register a cooperative subconsumer: register subconsumer <sub> for <consumer> [on <queue>];"""

    subconsumer: str
    consumer: str
    queue: str | None


@dataclass(frozen=True, slots=True)
class UnregisterSubconsumer(Command):
    """Unregister subconsumers: unregister subconsumer (<sub> | *) for <consumer> [from <queue>] [close batch];

    CLOSE BATCH drops a batch the subconsumer has open (its events are lost
    for this consumer); without it a subconsumer with an open batch stays.
    """

    subconsumer: str | All
    consumer: str
    queue: str | None
    close_batch: bool


@dataclass(frozen=True, slots=True)
class ShowConsumer(Command):
    """Show consumers: show consumer [(<consumer> | *) [on (<queue> | *)]];

    Without a queue: the default queue, or all queues if there is none.
    """

    consumer: str | All | None
    queue: str | All | None


@dataclass(frozen=True, slots=True)
class ShowBatchInfo(Command):
    """Show where an open batch lies: show batch info (<batch_id> | <consumer>) [on <queue>];"""

    batch: int | str
    queue: str | None


@dataclass(frozen=True, slots=True)
class ShowBatchEvents(Command):
    """Show the events of an open batch: show batch events (<batch_id> | <consumer>) [on <queue>];"""

    batch: int | str
    queue: str | None


# -- events -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InsertEvent(Command):
    """Insert an event: insert event [into <queue>] ('type', 'data' [, 'extra1' ... 'extra4']);

    Values are 'strings', numbers or null; the id of the new event is shown.
    Example: insert event into q1 ('note', 'hello', 'public.t');
    """

    queue: str | None
    values: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class DeleteEvent(Command):
    """Delete a (poison) event: delete event <event_id> [on <queue>];

    Refused while a consumer has a batch open that contains the event.
    Asks for confirmation in the interactive console.
    """

    event_id: int
    queue: str | None


# -- objects ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShowTable(Command):
    """Describe a table (columns, indexes, constraints, triggers): show table <table>;"""

    table: str


@dataclass(frozen=True, slots=True)
class ShowSequence(Command):
    """Describe a sequence and its current value: show sequence <sequence>;"""

    sequence: str


# -- plain SQL ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sql(Command):
    """Run plain SQL on the server: select ... | insert ... | begin | create table ... ;

    Any statement that is not a qadmin command goes to the server as typed;
    rows are shown as a table, other statements show their command tag.
    """

    text: str
