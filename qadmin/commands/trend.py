"""Record what SHOW CONSUMER and SHOW QUEUE STATS read into the session's history; trend columns.

PgQ keeps no history of lags or rates, so each of those commands samples what
it fetched (qadmin.history) and, once a series has two samples, gains a
sparkline column beside the sampled one: lag_trend after lag, rate_trend after
rate_1m.  The renderer draws it only on a terminal (qadmin.output); CSV, JSON
and scripts never see it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from engine.admin import Table
from qadmin.charts import SPARK_WIDTH
from qadmin.commands.registry import Context
from qadmin.history import SeriesKey, lag_key, rate_key
from qadmin.output import seconds

__all__ = ["LAG_TREND", "RATE_TREND", "lag_trend", "rate_trend", "source"]

LAG_TREND = "lag_trend"
RATE_TREND = "rate_trend"


def source(ctx: Context) -> str:
    """The database the session is connected to, as history keys name it."""
    conn = ctx.require_conn()
    info = conn.info
    return f"{info.host}:{info.port}/{info.dbname}"


def _rate_value(row: dict[str, Any]) -> float | None:
    """The rate of the last minute, else of all kept ticks (a young queue has no 1m rate)."""
    for column in ("rate_1m", "rate_all"):
        if row.get(column) is not None:
            return float(row[column])
    return None


def _with_trend(
    ctx: Context,
    table: Table,
    *,
    after: str,
    name: str,
    key_of: Callable[[dict[str, Any]], SeriesKey],
    value_of: Callable[[dict[str, Any]], float | None],
) -> Table:
    """Record each row's value; add a sparkline column after `after` if a series has 2 samples."""
    when = time.time()
    keys = []
    for row in table.dicts():
        key = key_of(row)
        ctx.history.record(key, when, value_of(row))
        keys.append(key)
    trends = [ctx.history.values(key, SPARK_WIDTH) for key in keys]
    if after not in table.columns or not any(len(t) >= 2 for t in trends):
        return table
    i = table.columns.index(after) + 1
    columns = (*table.columns[:i], name, *table.columns[i:])
    rows = tuple(
        (*row[:i], trend if len(trend) >= 2 else None, *row[i:])
        for row, trend in zip(table.rows, trends, strict=True)
    )
    return Table(columns, rows)


def lag_trend(ctx: Context, table: Table) -> Table:
    """pgq.get_consumer_info rows, sampled, with lag_trend once there is a history."""
    where = source(ctx)
    return _with_trend(
        ctx,
        table,
        after="lag",
        name=LAG_TREND,
        key_of=lambda r: lag_key(where, r["queue_name"], r["consumer_name"]),
        value_of=lambda r: seconds(r["lag"]),
    )


def rate_trend(ctx: Context, table: Table) -> Table:
    """SHOW QUEUE STATS rows, sampled, with rate_trend once there is a history."""
    where = source(ctx)
    return _with_trend(
        ctx,
        table,
        after="rate_1m",
        name=RATE_TREND,
        key_of=lambda r: rate_key(where, r["queue_name"]),
        value_of=_rate_value,
    )
