"""The metric families: one table of names, and the samples of one scrape, in two encodings.

``FAMILIES`` fixes every name, type, help text and label set (dashboards and the
alert rules under contrib/ rely on them; a test checks contrib/ uses no other).
``samples()`` turns one scrape into rows per family; from those rows

- ``PgqCollector`` gives prometheus_client families (``collect()`` scrapes afresh):
  registered in a ``CollectorRegistry`` it serves OpenMetrics and anything else
  the library encodes;
- ``encode_text()`` writes the Prometheus text format directly.  It exists for
  speed: with 1,000 queues and 1,000 consumers (6,000 samples) the library's
  ``generate_latest`` spends 75-200 ms validating and escaping each label of each
  sample, which alone would break the 100 ms scrape goal; here label values are
  escaped once per scrape and label order is fixed per family.  A test checks the
  output is byte for byte what ``generate_latest`` writes for the same scrape.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from engine.exporter.scraper import Scraper, ScrapeResult

__all__ = [
    "FAMILIES",
    "LONDISTE_STATES",
    "METRIC_NAMES",
    "Family",
    "PgqCollector",
    "encode_text",
    "families",
    "samples",
]

#: the merge states a Londiste table goes through, tick ids left out ("new" = null)
LONDISTE_STATES = ("new", "in-copy", "catching-up", "wanna-sync", "do-sync", "ok")


@dataclass(frozen=True, slots=True)
class Family:
    """One metric family: its exposed name (a counter's with _total), type, help, labels."""

    name: str
    kind: str  # gauge | counter
    help: str
    labels: tuple[str, ...]


_DB = ("database",)
_DB_Q = ("database", "queue")
_DB_Q_C = ("database", "queue", "consumer")

FAMILIES = (
    Family("pgq_up", "gauge", "1 if the database answered this scrape", _DB),
    Family(
        "pgq_queue_events_total",
        "counter",
        "Events ever inserted into the queue (its event sequence)",
        _DB_Q,
    ),
    Family("pgq_queue_ticker_lag_seconds", "gauge", "Age of the queue's newest tick", _DB_Q),
    Family(
        "pgq_consumer_lag_seconds", "gauge", "Age of the tick the consumer last finished", _DB_Q_C
    ),
    Family(
        "pgq_consumer_pending_events",
        "gauge",
        "Events between the consumer's last tick and the queue's newest tick",
        _DB_Q_C,
    ),
    Family(
        "pgq_consumer_last_seen_seconds",
        "gauge",
        "Seconds since the consumer last asked for a batch",
        _DB_Q_C,
    ),
    Family("pgq_retry_queue_events", "gauge", "Events waiting in the retry queue", _DB_Q),
    Family("qadmin_daemon_up", "gauge", "1 if the supervised daemon runs", ("name", "kind")),
    Family(
        "pgq_node_lag_seconds",
        "gauge",
        "How far a cascade node is behind: the root's ticker lag, a subscriber's worker lag "
        "as its provider's database sees it",
        ("database", "queue", "node", "type"),
    ),
    Family(
        "londiste_table_state",
        "gauge",
        "1 for the Londiste table's current merge state, 0 for the others",
        ("database", "queue", "table", "state"),
    ),
    Family(
        "qadmin_exporter_scrape_duration_seconds",
        "gauge",
        "How long reading the database took",
        _DB,
    ),
    Family(
        "qadmin_exporter_scrape_queries", "gauge", "Statements the scrape ran in the database", _DB
    ),
)

#: every family the exporter emits, as exposed (counters with _total)
METRIC_NAMES = tuple(f.name for f in FAMILIES)

Rows = dict[str, list[tuple[tuple[str, ...], float]]]


def samples(result: ScrapeResult) -> Rows:
    """The rows (label values in the family's order, value) of every family."""
    out: Rows = {f.name: [] for f in FAMILIES}
    up = out["pgq_up"]
    events = out["pgq_queue_events_total"]
    ticker_lag = out["pgq_queue_ticker_lag_seconds"]
    retry = out["pgq_retry_queue_events"]
    lag = out["pgq_consumer_lag_seconds"]
    pending = out["pgq_consumer_pending_events"]
    seen = out["pgq_consumer_last_seen_seconds"]
    node_lag = out["pgq_node_lag_seconds"]
    table_state = out["londiste_table_state"]
    for snap in result.databases:
        d = snap.database
        up.append(((d,), 1.0 if snap.up else 0.0))
        out["qadmin_exporter_scrape_duration_seconds"].append(((d,), snap.duration))
        out["qadmin_exporter_scrape_queries"].append(((d,), float(snap.queries)))
        for q in snap.queues:
            of_queue = (d, q.queue)
            events.append((of_queue, q.events))
            if q.ticker_lag is not None:
                ticker_lag.append((of_queue, q.ticker_lag))
            retry.append((of_queue, float(q.retry_events)))
        for c in snap.consumers:
            of_consumer = (d, c.queue, c.consumer)
            if c.lag is not None:
                lag.append((of_consumer, c.lag))
            if c.pending_events is not None:
                pending.append((of_consumer, float(c.pending_events)))
            if c.last_seen is not None:
                seen.append((of_consumer, c.last_seen))
        for n in snap.nodes:
            if n.lag is not None:
                kind = n.node_type or result.node_types.get((n.queue, n.node), "unknown")
                node_lag.append(((d, n.queue, n.node, kind), n.lag))
        for t in snap.tables:
            states = LONDISTE_STATES if t.state in LONDISTE_STATES else (*LONDISTE_STATES, t.state)
            for state in states:
                table_state.append(((d, t.queue, t.table, state), 1.0 if state == t.state else 0.0))
    for dm in result.daemons:
        out["qadmin_daemon_up"].append(((dm.name, dm.kind), 1.0 if dm.state == "running" else 0.0))
    return out


def families(result: ScrapeResult) -> list[Metric]:
    """The prometheus_client metric families of one scrape."""
    rows = samples(result)
    metrics: list[Metric] = []
    for f in FAMILIES:
        metric: GaugeMetricFamily | CounterMetricFamily
        if f.kind == "counter":
            metric = CounterMetricFamily(f.name.removesuffix("_total"), f.help, labels=f.labels)
        else:
            metric = GaugeMetricFamily(f.name, f.help, labels=f.labels)
        for labels, value in rows[f.name]:
            metric.add_metric(list(labels), value)
        metrics.append(metric)
    return metrics


def _escape(value: str) -> str:
    if "\\" not in value and "\n" not in value and '"' not in value:
        return value
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _value(value: float) -> str:
    """floatToGoString, with the common case (a plain float repr) done inline."""
    text = repr(float(value))
    if "n" in text or (value > 0 and text.find(".") > 6):  # inf, nan, Go's exponents
        return str(floatToGoString(value))
    return text


def encode_text(result: ScrapeResult) -> bytes:
    """The Prometheus text format (0.0.4) of one scrape, as generate_latest writes it."""
    rows = samples(result)
    escaped: dict[str, str] = {}
    label_text: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
    out: list[str] = []
    for f in FAMILIES:
        doc = f.help.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {f.name} {doc}\n# TYPE {f.name} {f.kind}\n")
        # the library writes labels sorted by name; families with the same label
        # names (the three consumer families ...) share the text of a label set
        order = sorted(range(len(f.labels)), key=lambda i: f.labels[i])
        names = [f.labels[i] for i in order]
        for labels, value in rows[f.name]:
            key = (f.labels, labels)
            text = label_text.get(key)
            if text is None:
                parts = []
                for name, i in zip(names, order, strict=True):
                    v = labels[i]
                    e = escaped.get(v)
                    if e is None:
                        e = escaped[v] = _escape(v)
                    parts.append(f'{name}="{e}"')
                text = label_text[key] = ",".join(parts)
            out.append(f"{f.name}{{{text}}} {_value(value)}\n")
    return "".join(out).encode()


class PgqCollector(Collector):
    """A prometheus_client collector: every collect() is a fresh scrape."""

    def __init__(self, scraper: Scraper) -> None:
        self.scraper = scraper

    def collect(self) -> Iterator[Metric]:
        yield from families(self.scraper.scrape())

    def describe(self) -> Iterator[Metric]:
        return iter(())  # registering must not scrape
