"""Pure: the samples one console session took of consumer lags and queue event rates.

PgQ keeps no history of lag: ``pgq.get_consumer_info`` tells the lag now and
nothing about a minute ago.  So the console remembers what it saw each time
SHOW CONSUMER, SHOW QUEUE STATS or PLOT LAG ran (WATCH runs them every few
seconds), and the sparklines and PLOT LAG draw from that memory.  It lives as
long as the session, keeps a bounded number of samples per series (a WATCH of
every consumer must not grow without end) and never touches a database: the
handlers feed it what they fetched.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["KEEP", "History", "Sample", "SeriesKey", "lag_key", "rate_key"]

# samples kept per series: an hour of WATCH at its default 2 s interval would be
# 1800; 600 (20 minutes at 2 s, 10 hours at a minute) keeps a WATCH of a
# thousand consumers within tens of megabytes
KEEP = 600

#: ("lag", source, queue, consumer) or ("rate", source, queue); source names the
#: database, so that CONNECT to another one does not mix same-named queues
SeriesKey = tuple[str, ...]


def lag_key(source: str, queue: str, consumer: str) -> SeriesKey:
    """The series of one consumer's lag (seconds)."""
    return ("lag", source, queue, consumer)


def rate_key(source: str, queue: str) -> SeriesKey:
    """The series of one queue's event rate (events per second)."""
    return ("rate", source, queue)


@dataclass(frozen=True, slots=True)
class Sample:
    """One value seen at one time (seconds since the epoch)."""

    when: float
    value: float


class History:
    """Samples per series, oldest first, at most `keep` of each."""

    def __init__(self, keep: int = KEEP) -> None:
        if keep < 2:
            raise ValueError("a history keeps at least 2 samples")
        self._keep = keep
        self._series: dict[SeriesKey, deque[Sample]] = {}

    def record(self, key: SeriesKey, when: float, value: float | None) -> None:
        """Remember a value; None (nothing to measure) and a clock that went back are skipped."""
        if value is None:
            return
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = deque(maxlen=self._keep)
        if series and when < series[-1].when:
            return  # the wall clock stepped back: keep the times in order
        series.append(Sample(when, float(value)))

    def series(self, key: SeriesKey, since: float | None = None) -> tuple[Sample, ...]:
        """The samples of a series, oldest first; only those at or after `since` if given."""
        samples = self._series.get(key, ())
        if since is None:
            return tuple(samples)
        return tuple(s for s in samples if s.when >= since)

    def values(self, key: SeriesKey, last: int) -> tuple[float, ...]:
        """The values of the newest `last` samples of a series, oldest first."""
        samples = self._series.get(key, ())
        return tuple(s.value for s in list(samples)[-last:])

    def __len__(self) -> int:
        """How many series have samples."""
        return len(self._series)
