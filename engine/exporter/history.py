"""The last hour of every consumer's lag, in memory, for the status page's plots.

Samples come from every scrape and from the exporter's own sampler; points closer
than ``min_step`` seconds to the previous one are dropped, so frequent scrapes do
not grow it: an hour at a 5 s step is 720 points per consumer.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

__all__ = ["LagHistory", "SeriesKey"]

#: (database, queue, consumer)
SeriesKey = tuple[str, str, str]


class LagHistory:
    """Time series of lag per consumer, trimmed to a window; safe across threads."""

    def __init__(self, window: float = 3600.0, min_step: float = 1.0) -> None:
        self.window = window
        self.min_step = min_step
        self._series: dict[SeriesKey, deque[tuple[float, float]]] = {}
        self._lock = threading.Lock()

    def add(self, when: float, points: Iterable[tuple[SeriesKey, float | None]]) -> None:
        """Record one sample of many series taken at when (epoch seconds)."""
        horizon = when - self.window
        with self._lock:
            for key, lag in points:
                if lag is None:
                    continue
                series = self._series.setdefault(key, deque())
                if series and when - series[-1][0] < self.min_step:
                    continue
                series.append((when, lag))
                while series and series[0][0] < horizon:
                    series.popleft()

    def forget_except(self, alive: set[SeriesKey], databases: set[str]) -> None:
        """Drop the series of consumers gone from databases that answered."""
        with self._lock:
            for key in [k for k in self._series if k[0] in databases and k not in alive]:
                del self._series[key]

    def series(self, key: SeriesKey) -> list[tuple[float, float]]:
        with self._lock:
            return list(self._series.get(key, ()))

    def all(self) -> dict[SeriesKey, list[tuple[float, float]]]:
        with self._lock:
            return {k: list(v) for k, v in self._series.items()}
