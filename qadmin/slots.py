"""Pure: the one description of every completion slot (a kind of name the grammar can ask for).

Each entry gives what the grammar's never-lexed ``<KIND>_SLOT`` terminal stands
for: how syntax errors name it, its label in the completion menu, how a name is
quoted when inserted, and where its names are in the Catalog snapshot.  The
parser declares the terminals from this list (no ``%declare`` in the grammar), so
a slot cannot exist in one place and be missing in another.  A new kind of name
is one entry here, one Catalog field and one entry of engine.catalog.fetch_names.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser needs the slots, not the catalog's dataclass (~10 ms)
    from qadmin.catalog import Catalog

__all__ = [
    "CONNECT_KEYS",
    "LONDISTE_OPTIONS",
    "SLOTS",
    "Quoting",
    "Slot",
    "slot_for_kind",
    "slot_for_terminal",
    "slot_terminals",
]

# libpq connection keywords offered after CONNECT (dbname/user/host/queue/node are
# grammar keywords of their own)
CONNECT_KEYS = (
    "port",
    "password",
    "service",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "connect_timeout",
    "options",
    "target_session_attrs",
    "passfile",
    "gssencmode",
)

# the options of LONDISTE ADD TABLE ... WITH (engine.londiste.admin.ADD_TABLE_OPTIONS)
LONDISTE_OPTIONS = (
    "create",
    "create_full",
    "expect_sync",
    "skip_truncate",
    "dest_table",
    "handler",
    "handler_args",
    "trigger_flags",
    "trigger_args",
    "no_triggers",
    "copy_condition",
    "copy_node",
    "max_parallel_copy",
    "wait_sync",
    "skip_serial",
    "from_dump",
    "dump_file",
)


class Quoting(enum.Enum):
    """How a name is written into the statement."""

    NAME = "name"  # an SQL name: bare when it folds to itself, else "quoted"
    QUALIFIED = "qualified"  # schema.name, each part an SQL name
    LIBPQ = "libpq"  # a libpq value: bare when it has no space or quote, else 'quoted'
    VERBATIM = "verbatim"  # as it is (ids, keys, handler specs like python:)


# (catalog, queue the statement names, consumer it names) -> candidate names
NameSource = Callable[["Catalog", "str | None", "str | None"], Sequence[str]]


def _field(name: str) -> NameSource:
    def names(catalog: Catalog, queue: str | None, consumer: str | None) -> Sequence[str]:
        return getattr(catalog, name)

    return names


def _help_topics(catalog: Catalog, queue: str | None, consumer: str | None) -> Sequence[str]:
    from qadmin.help import help_topics

    return tuple(sorted({t[0] for t in help_topics()}))


@dataclass(frozen=True, slots=True)
class Slot:
    """One kind of name: grammar terminal <KIND>_SLOT, error text, menu label, quoting, names."""

    kind: str
    text: str
    label: str
    quoting: Quoting
    names: NameSource

    @property
    def terminal(self) -> str:
        return self.kind.upper() + "_SLOT"


SLOTS: tuple[Slot, ...] = (
    Slot("queue", "a queue name", "queue", Quoting.NAME, _field("queues")),
    Slot(
        "consumer",
        "a consumer name",
        "consumer",
        Quoting.NAME,
        lambda c, q, _: c.consumers_of(q),
    ),
    Slot(
        "subconsumer",
        "a subconsumer name",
        "subconsumer",
        Quoting.NAME,
        lambda c, q, co: c.subconsumers_of(q, co),
    ),
    Slot(
        "batch",
        "a batch id",
        "open batch",
        Quoting.VERBATIM,
        lambda c, q, _: tuple(str(b) for b in c.batches_of(q)),
    ),
    Slot("tick", "a tick id", "tick", Quoting.VERBATIM, lambda c, q, _: c.ticks_of(q)),
    Slot("setting", "a queue setting", "queue setting", Quoting.NAME, _field("settings")),
    Slot("table", "a table name", "table", Quoting.QUALIFIED, _field("tables")),
    Slot("sequence", "a sequence name", "sequence", Quoting.QUALIFIED, _field("sequences")),
    Slot("database", "a database name", "database", Quoting.LIBPQ, _field("databases")),
    Slot("user", "a user name", "user", Quoting.LIBPQ, _field("users")),
    Slot("host", "a host name", "host", Quoting.VERBATIM, _field("hosts")),
    # members of the cascade the statement names (else of the default queue)
    Slot("node", "a node name", "node", Quoting.NAME, lambda c, q, _: c.nodes_of(q)),
    Slot(
        "connect_key",
        "a connection setting",
        "connection setting",
        Quoting.VERBATIM,
        lambda *_: CONNECT_KEYS,
    ),
    Slot("help", "a command", "help topic", Quoting.VERBATIM, _help_topics),
    Slot("daemon", "a daemon name", "daemon", Quoting.NAME, _field("daemons")),
    Slot(
        "stopped_daemon",
        "the name of a daemon that does not run",
        "stopped daemon",
        Quoting.NAME,
        _field("stopped_daemons"),
    ),
    Slot("handler", "a handler name", "handler", Quoting.VERBATIM, _field("handlers")),
    Slot("ticker_key", "a ticker key name", "ticker key", Quoting.NAME, _field("ticker_keys")),
    Slot(
        "consumer_key",
        "a consumer key name",
        "consumer key",
        Quoting.NAME,
        _field("consumer_keys"),
    ),
    Slot(
        "worker_key",
        "a worker key name",
        "worker key",
        Quoting.NAME,
        _field("worker_keys"),
    ),
    Slot(
        "exporter_key",
        "an exporter key name",
        "exporter key",
        Quoting.NAME,
        _field("exporter_keys"),
    ),
    # Londiste (default queue): for REMOVE, RESYNC, COMPARE ... the tables / sequences
    # added on this node; for ADD those that could be added: on a subscriber the queue's
    # set not added here (the tables its provider has, as far as the set tells: one
    # that the provider itself does not replicate is refused by ADD), on the root the
    # database's not added yet
    Slot(
        "londiste_table",
        "an added table",
        "replicated table",
        Quoting.QUALIFIED,
        lambda c, q, _: c.londiste_tables_of(q),
    ),
    Slot(
        "londiste_new_table",
        "a table not yet added",
        "table to add",
        Quoting.QUALIFIED,
        lambda c, q, _: c.londiste_new_tables(q),
    ),
    Slot(
        "londiste_sequence",
        "an added sequence",
        "replicated sequence",
        Quoting.QUALIFIED,
        lambda c, q, _: c.londiste_seqs_of(q),
    ),
    Slot(
        "londiste_new_sequence",
        "a sequence not yet added",
        "sequence to add",
        Quoting.QUALIFIED,
        lambda c, q, _: c.londiste_new_seqs(q),
    ),
    Slot(
        "londiste_option",
        "an add table option",
        "add table option",
        Quoting.VERBATIM,
        lambda *_: LONDISTE_OPTIONS,
    ),
    Slot(
        "londiste_handler",
        "a Londiste handler",
        "londiste handler",
        Quoting.VERBATIM,
        _field("londiste_handlers"),
    ),
)

_BY_TERMINAL: Mapping[str, Slot] = MappingProxyType({s.terminal: s for s in SLOTS})
_BY_KIND: Mapping[str, Slot] = MappingProxyType({s.kind: s for s in SLOTS})


def slot_for_kind(kind: str) -> Slot:
    """The slot of a kind of name (queue, consumer ...)."""
    return _BY_KIND[kind]


def slot_for_terminal(terminal: str) -> Slot | None:
    """The slot a <KIND>_SLOT terminal stands for (None for any other terminal)."""
    return _BY_TERMINAL.get(terminal)


def slot_terminals() -> tuple[str, ...]:
    """Every slot terminal, for the parser's %declare."""
    return tuple(_BY_TERMINAL)
