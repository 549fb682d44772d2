"""Handler for PLOT LAG: a chart of one consumer's lag from this session's samples."""

from __future__ import annotations

import datetime as dt
import time

import psycopg2.extensions

from engine.admin import consumer as admin
from engine.admin.queue import require_queue
from qadmin import ast
from qadmin.commands.registry import CommandError, Context, Result, command
from qadmin.commands.trend import source
from qadmin.complete.match import quote_name
from qadmin.history import SeriesKey, lag_key
from qadmin.output import seconds
from qadmin.parser import keywords
from qadmin.result import Chart

__all__ = ["FEW_SAMPLES", "SAMPLES_WHEN_NONE", "SAMPLE_EVERY"]

# with fewer than two samples at hand PLOT LAG samples the consumer itself: this
# many samples, this many seconds apart (^C stops early and plots what it has).
# A short wait beats an empty chart, and reading "history" from the database is
# not possible: pgq keeps each consumer's position, not when it got there.
SAMPLES_WHEN_NONE = 4
SAMPLE_EVERY = 1.0
# below this many points the output says where they came from and how to get more
FEW_SAMPLES = 10


def _sample(ctx: Context, queue: str, consumer: str, key: SeriesKey) -> None:
    """Read the consumer's lag now and add it to the history (errors if it is not registered)."""
    with ctx.cursor() as cur:
        require_queue(cur, queue)
        rows = admin.consumer_info(cur, queue, consumer).dicts()
    if not rows:
        raise CommandError(f'consumer "{consumer}" is not registered on queue "{queue}"')
    ctx.history.record(key, time.time(), seconds(rows[0]["lag"]))


@command(ast.PlotLag)
def plot_lag(ctx: Context, cmd: ast.PlotLag) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    key = lag_key(source(ctx), queue, cmd.consumer)
    since = None if cmd.last is None else time.time() - cmd.last.total_seconds()
    _sample(ctx, queue, cmd.consumer, key)
    names = (quote_name(cmd.consumer, keywords()), quote_name(queue, keywords()))
    watch = "WATCH 2 SHOW CONSUMER {} ON {};".format(*names)
    notes: list[str] = []
    if len(ctx.history.series(key, since)) < 2:
        span = (SAMPLES_WHEN_NONE - 1) * SAMPLE_EVERY
        ctx.say(
            f'sampling the lag of consumer "{cmd.consumer}" for {span:g} s'
            " (this session has no history of it; ^C stops)"
        )
        try:
            for _ in range(SAMPLES_WHEN_NONE - 1):
                time.sleep(SAMPLE_EVERY)
                _sample(ctx, queue, cmd.consumer, key)
        except (KeyboardInterrupt, psycopg2.extensions.QueryCanceledError):
            pass  # ^C between samples, or during one (the console cancels the query)
        taken = len(ctx.history.series(key, since))
        notes.append(
            f"NOTE:  PgQ keeps no lag history: these {taken} samples were taken just now;"
            f" {watch} (^C to stop) builds a longer one"
        )
    samples = ctx.history.series(key, since)
    if len(samples) < FEW_SAMPLES and not notes:
        notes.append(
            f"NOTE:  only {len(samples)} samples, all taken by this session (PgQ keeps no"
            f" lag history); {watch} (^C to stop) collects more"
        )
    rows = tuple((dt.datetime.fromtimestamp(s.when, dt.UTC).astimezone(), s.value) for s in samples)
    title = f'lag of consumer "{cmd.consumer}" on queue "{queue}"'
    return Result(
        title=f'Lag samples of consumer "{cmd.consumer}" on queue "{queue}"',
        columns=("time", "lag"),
        rows=rows,
        types={"lag": "duration", "time": "time"},
        volatile=frozenset({"time", "lag"}),
        notes=tuple(notes),
        chart=Chart(title=title, points=tuple((s.when, s.value) for s in samples)),
    )
