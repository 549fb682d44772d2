"""One scrape of everything: every watched database (in parallel) and the daemons.

The HTTP scrapes and the background sampler both call ``Scraper.scrape()``; a lock
makes them take turns, so a database never sees two reads from one exporter at
once.  The result also feeds the lag history and remembers each cascade node's
type: a provider names its subscribers but not their types, which only their own
databases know, and a subscriber that died keeps the type it had.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from engine import supervisor
from engine.exporter.history import LagHistory, SeriesKey
from engine.exporter.snapshot import DatabaseSnapshot
from engine.exporter.source import DatabaseSource

__all__ = ["DaemonRow", "ScrapeResult", "Scraper"]


@dataclass(frozen=True, slots=True)
class DaemonRow:
    """A daemon of the supervisor's state directory and whether it runs."""

    name: str
    kind: str
    state: str
    detail: str
    last_error: str | None


@dataclass(frozen=True, slots=True)
class ScrapeResult:
    """Every database's snapshot, the daemons, and the node types known so far."""

    taken: float
    databases: tuple[DatabaseSnapshot, ...]
    daemons: tuple[DaemonRow, ...]
    node_types: dict[tuple[str, str], str]  # (queue, node) -> root | branch | leaf
    duration: float


class Scraper:
    """Reads the sources and the supervisor's state directory; keeps the lag history."""

    def __init__(
        self,
        sources: Sequence[DatabaseSource],
        *,
        state_dir: str | None = None,
        history: LagHistory | None = None,
    ) -> None:
        self.sources = list(sources)
        self.state_dir = state_dir
        self.history = history or LagHistory()
        self.node_types: dict[tuple[str, str], str] = {}
        self.last: ScrapeResult | None = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(8, len(self.sources))), thread_name_prefix="scrape"
        )

    def set_sources(self, sources: Sequence[DatabaseSource]) -> None:
        """Watch other databases from the next scrape on (a reload); the old ones close."""
        with self._lock:
            old, self.sources = self.sources, list(sources)
            self._pool.shutdown(wait=False)
            self._pool = ThreadPoolExecutor(
                max_workers=max(1, min(8, len(self.sources))), thread_name_prefix="scrape"
            )
        for s in old:
            s.close()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for s in self.sources:
            s.close()

    @property
    def queries(self) -> int:
        """Statements run so far, all databases together."""
        return sum(s.queries for s in self.sources)

    def scrape(self) -> ScrapeResult:
        """Read everything now (waits for a scrape in progress to end first)."""
        with self._lock:
            started = time.monotonic()
            if len(self.sources) == 1:
                snaps = [self.sources[0].read()]
            else:
                snaps = list(self._pool.map(lambda s: s.read(), self.sources))
            daemons = self._daemons()
            for snap in snaps:
                self.node_types.update(snap.local_nodes)
            result = ScrapeResult(
                taken=time.time(),
                databases=tuple(snaps),
                daemons=daemons,
                node_types=dict(self.node_types),
                duration=time.monotonic() - started,
            )
            self._record(result)
            self.last = result
            return result

    def _daemons(self) -> tuple[DaemonRow, ...]:
        try:
            infos = supervisor.Supervisor(self.state_dir).status(lag=False)
        except (OSError, supervisor.SupervisorError):
            return ()
        return tuple(DaemonRow(i.name, i.kind, i.state, i.detail, i.last_error) for i in infos)

    def _record(self, result: ScrapeResult) -> None:
        alive: set[SeriesKey] = set()
        points: list[tuple[SeriesKey, float | None]] = []
        answered = set()
        for snap in result.databases:
            if not snap.up:
                continue
            answered.add(snap.database)
            for c in snap.consumers:
                key = (snap.database, c.queue, c.consumer)
                alive.add(key)
                points.append((key, c.lag))
        self.history.add(result.taken, points)
        self.history.forget_except(alive, answered)
