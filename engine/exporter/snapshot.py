"""What one scrape read from one database: plain frozen records, no connection attached."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ConsumerRow", "DatabaseSnapshot", "NodeRow", "QueueRow", "TableRow"]


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A queue: its ticker lag and how many events were ever inserted."""

    queue: str
    ticker_lag: float | None
    events: float
    retry_events: int
    paused: bool
    ev_per_sec: float | None


@dataclass(frozen=True, slots=True)
class ConsumerRow:
    """A consumer of a queue, as pgq.get_consumer_info() describes it."""

    queue: str
    consumer: str
    lag: float | None
    last_seen: float | None
    pending_events: int | None


@dataclass(frozen=True, slots=True)
class NodeRow:
    """A cascade node whose lag this database can tell: itself (root) or a subscriber."""

    queue: str
    node: str
    node_type: str | None  # root | branch | leaf; None: a subscriber (its database says)
    lag: float | None
    local: bool  # the node of this database, or one it feeds


@dataclass(frozen=True, slots=True)
class TableRow:
    """A Londiste table of this node and its merge state."""

    queue: str
    table: str
    state: str


@dataclass(frozen=True, slots=True)
class DatabaseSnapshot:
    """One database at one moment; up=False when it could not be read (error says why)."""

    database: str
    up: bool
    taken: float  # epoch seconds (the exporter's clock)
    duration: float = 0.0
    queries: int = 0
    error: str | None = None
    modules: tuple[str, ...] = ()
    queues: tuple[QueueRow, ...] = ()
    consumers: tuple[ConsumerRow, ...] = ()
    nodes: tuple[NodeRow, ...] = ()
    tables: tuple[TableRow, ...] = ()
    local_nodes: dict[tuple[str, str], str] = field(default_factory=dict)  # (queue, node) -> type
