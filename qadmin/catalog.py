"""The catalog snapshot that completion reads: immutable names as they were at one moment.

Pure data: qadmin.refresher fills it from engine.catalog.fetch_names(); tests and
benchmarks build one with Catalog.build().
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

__all__ = ["EMPTY", "Catalog"]

_EMPTY_MAP: Mapping = MappingProxyType({})


def _empty() -> Mapping:
    return _EMPTY_MAP


@dataclass(frozen=True)
class Catalog:
    """Names completion can offer, as they were at one moment (see qadmin.slots)."""

    queues: tuple[str, ...] = ()
    consumers: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)  # queue -> names
    subconsumers: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=_empty)
    batches: Mapping[str, tuple[int, ...]] = field(default_factory=_empty)  # queue -> open ids
    ticks: Mapping[str, tuple[int, ...]] = field(default_factory=_empty)  # queue -> newest first
    tables: tuple[str, ...] = ()
    sequences: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ("localhost",)
    nodes: tuple[str, ...] = ()  # members of every cascaded queue
    queue_nodes: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)  # queue -> members
    settings: tuple[str, ...] = ()
    daemons: tuple[str, ...] = ()
    stopped_daemons: tuple[str, ...] = ()  # of daemons: those that do not run
    handlers: tuple[str, ...] = ()
    ticker_keys: tuple[str, ...] = ()
    consumer_keys: tuple[str, ...] = ()
    worker_keys: tuple[str, ...] = ()  # the cascade worker's (START WORKER ... WITH)
    exporter_keys: tuple[str, ...] = ()  # the exporter's (START EXPORTER ... WITH)
    # Londiste (when installed): queue -> tables / sequences added on this node, and
    # those that could be added (the set's not added here; on the root the database's)
    londiste_tables: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    londiste_seqs: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    londiste_missing_tables: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    londiste_missing_seqs: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    londiste_handlers: tuple[str, ...] = ()
    fetched_at: float | None = None
    all_consumers: tuple[str, ...] = ()

    @classmethod
    def build(cls, **kw) -> Catalog:  # type: ignore[no-untyped-def]
        """A catalog from plain dicts and lists (the fetched names, tests, benchmarks)."""
        maps: dict[str, Any] = {}
        for name in (
            "consumers",
            "subconsumers",
            "batches",
            "ticks",
            "queue_nodes",
            "londiste_tables",
            "londiste_seqs",
            "londiste_missing_tables",
            "londiste_missing_seqs",
        ):
            maps[name] = MappingProxyType({k: tuple(v) for k, v in kw.pop(name, {}).items()})
        every = sorted({c for names in maps["consumers"].values() for c in names})
        kw.update({k: tuple(v) for k, v in kw.items() if isinstance(v, (list, tuple))})
        return cls(**maps, all_consumers=tuple(every), **kw)

    @classmethod
    def field_names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))

    def consumers_of(self, queue: str | None) -> tuple[str, ...]:
        """Consumers of one queue, or of every queue when none is known."""
        if queue is None:
            return self.all_consumers
        return self.consumers.get(queue, ())

    def batches_of(self, queue: str | None) -> tuple[int, ...]:
        if queue is None:
            return tuple(sorted({b for ids in self.batches.values() for b in ids}))
        return self.batches.get(queue, ())

    def subconsumers_of(self, queue: str | None, consumer: str | None) -> tuple[str, ...]:
        """Subconsumers of a consumer (of any queue when none is known)."""
        if consumer is None:
            return ()
        if queue is not None:
            return self.subconsumers.get((queue, consumer), ())
        subs = {n for (_, c), names in self.subconsumers.items() if c == consumer for n in names}
        return tuple(sorted(subs))

    def nodes_of(self, queue: str | None) -> tuple[str, ...]:
        """Members of one cascaded queue, or of every one when no queue is known."""
        if queue is None:
            return self.nodes
        return self.queue_nodes.get(queue, ())

    def ticks_of(self, queue: str | None) -> tuple[str, ...]:
        if queue is None:
            return ()
        return tuple(str(t) for t in self.ticks.get(queue, ()))

    def _londiste(self, added: Mapping[str, tuple[str, ...]], queue: str | None) -> tuple[str, ...]:
        if queue is not None:
            return added.get(queue, ())
        return tuple(sorted({n for names in added.values() for n in names}))

    def londiste_tables_of(self, queue: str | None) -> tuple[str, ...]:
        """Tables added on this node for a queue (every queue when none is known)."""
        return self._londiste(self.londiste_tables, queue)

    def londiste_seqs_of(self, queue: str | None) -> tuple[str, ...]:
        return self._londiste(self.londiste_seqs, queue)

    def londiste_new_tables(self, queue: str | None) -> tuple[str, ...]:
        """Tables that could be added for a queue: on a subscriber those of the queue's
        set (published by the root) not added here, on the root its tables not added."""
        return self._londiste(self.londiste_missing_tables, queue)

    def londiste_new_seqs(self, queue: str | None) -> tuple[str, ...]:
        return self._londiste(self.londiste_missing_seqs, queue)


EMPTY = Catalog()
