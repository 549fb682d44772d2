"""Plot commands: terminal charts of what this console session sampled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from qadmin.ast.base import Command

__all__ = ["PlotLag"]


@dataclass(frozen=True, slots=True)
class PlotLag(Command):
    """Chart a consumer's lag as this session saw it: plot lag <consumer> [on <queue>] [last <interval>];

    PgQ keeps no history of lag, so the chart is of the samples this console
    took: each SHOW CONSUMER, SHOW QUEUE STATS and PLOT LAG records the lags and
    rates it read (WATCH 5 SHOW CONSUMER * ON *; collects a history; SHOW
    CONSUMER and SHOW QUEUE STATS then add lag_trend and rate_trend sparklines).
    PLOT LAG adds a sample of its own; when fewer than two are at hand it samples
    the consumer for a few seconds first.  LAST keeps the newest part, e.g.
        plot lag c1 on q1 last 10 min;
    In CSV or JSON, or when the output is not a terminal, the samples are shown
    as rows (time, lag in seconds) instead of a chart.
    """

    consumer: str
    queue: str | None
    last: dt.timedelta | None
