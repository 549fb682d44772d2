"""Lag history in the console against a real database: sparklines, PLOT LAG, plain output."""

from __future__ import annotations

import io

import pytest

from engine.db import ConnInfo
from qadmin.charts import BARS
from qadmin.commands import plot
from qadmin.commands.registry import Context, Settings
from qadmin.runner import Runner
from tests.db.test_console_scripts import run_qadmin

HOUR_BACK = """
update pgq.tick set tick_time = tick_time - interval '1 hour'
 where tick_queue = (select queue_id from pgq.queue where queue_name = %s)
"""


def console(db, *, charts: bool) -> tuple[Runner, io.StringIO]:
    """A runner as the interactive console has it: charts on when stdout is a terminal."""
    conn = db.connect(autocommit=True)
    ctx = Context(
        conn=conn,
        conn_params=ConnInfo.parse(db.dsn),
        settings=Settings(charts=charts),
        interactive=True,
    )
    out = io.StringIO()
    return Runner(ctx, out=out, err=out, on_error="continue"), out


def output(runner: Runner, out: io.StringIO, text: str) -> str:
    out.seek(0)
    out.truncate()
    outcome = runner.run_text(text)
    assert outcome.errors == 0, out.getvalue()
    return out.getvalue()


def lagging_consumer(db) -> None:
    """q1 with consumer c1 an hour behind (its tick made an hour old)."""
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute(HOUR_BACK, ["q1"])


def test_show_consumer_gains_a_lag_sparkline_and_plot_lag_a_chart(db):
    lagging_consumer(db)
    runner, out = console(db, charts=True)
    first = output(runner, out, "show consumer c1 on q1;")
    assert "1.0 h" in first and "lag_trend" not in first  # one sample: no trend yet

    # the consumer catches up: lag from an hour to about nothing
    output(runner, out, "tick q1; next batch c1 on q1; finish batch c1 on q1;")
    second = output(runner, out, "show consumer c1 on q1;")
    assert "lag_trend" in second and "█▁" in second

    chart = output(runner, out, "plot lag c1 on q1;")
    assert 'lag of consumer "c1" on queue "q1" (min)' in chart
    assert "┌" in chart and "└" in chart and "(3 rows)" not in chart
    assert "only 3 samples, all taken by this session (PgQ keeps no lag history)" in chart

    # SET FORMAT csv in the same session: the same history, plain output
    csv = output(runner, out, "set format csv; show consumer c1 on q1; plot lag c1 on q1;")
    assert not set(BARS) & set(csv) and "┌" not in csv and "lag_trend" not in csv
    assert "queue_name,consumer_name,lag,last_seen" in csv and "time,lag" in csv


def test_watch_builds_the_history_and_queue_stats_gain_a_rate_sparkline(db):
    lagging_consumer(db)
    runner, out = console(db, charts=True)
    runs = []

    def sleep(seconds: float) -> None:
        runs.append(seconds)
        if len(runs) == 3:
            raise KeyboardInterrupt

    runner.watch_sleep = sleep
    watched = output(runner, out, "watch 1 show consumer * on *;")
    last = watched.split("(every 1s)")[-1]
    assert "lag_trend" in last and "███" in last
    # 30 events since the hour-old tick: a rate of 30 per hour
    db.execute("select pgq.insert_event('q1', 'ev', 'x') from generate_series(1, 30)")
    output(runner, out, "tick q1;")
    stats = output(runner, out, "show queue stats q1; show queue stats q1;")
    assert "0.0 ev/s" in stats and "██" in stats.split("rate_trend")[1]
    assert stats.count("rate_trend") == 1  # only once there are two samples
    plain, _ = console(db, charts=False)
    assert "rate_trend" not in output(plain, _, "show queue stats q1; show queue stats q1;")


def test_plot_lag_samples_when_the_session_has_no_history(db, monkeypatch):
    lagging_consumer(db)
    monkeypatch.setattr(plot, "SAMPLE_EVERY", 0.05)
    runner, out = console(db, charts=False)
    text = output(runner, out, "plot lag c1 on q1 last 10 min;")
    assert 'sampling the lag of consumer "c1"' in text
    assert f"these {plot.SAMPLES_WHEN_NONE} samples were taken just now" in text
    assert f"({plot.SAMPLES_WHEN_NONE} rows)" in text and "1.0 h" in text
    assert "┌" not in text  # not a terminal: the samples as a table

    # the hint to WATCH names the consumer as it must be typed
    db.execute("""select pgq.register_consumer('q1', 'Big C')""")
    again = output(runner, out, 'plot lag "Big C" on q1;')
    assert 'WATCH 2 SHOW CONSUMER "Big C" ON q1;' in again

    assert runner.run_text("plot lag nobody on q1;").errors == 1
    assert 'consumer "nobody" is not registered on queue "q1"' in out.getvalue()
    assert runner.run_text("plot lag c1;").errors == 1  # no queue and no default one
    assert "no queue given and no default queue" in out.getvalue()


@pytest.mark.parametrize("fmt", ["--csv", "--json", None])
def test_scripts_and_machine_formats_stay_plain(db, fmt):
    lagging_consumer(db)
    commands = "show consumer c1 on q1; show consumer c1 on q1; plot lag c1 on q1;"
    proc = run_qadmin(db.dsn, *([fmt] if fmt else []), "-c", commands)
    assert proc.returncode == 0, proc.stdout
    assert not set(BARS) & set(proc.stdout) and "┌" not in proc.stdout
    assert "lag_trend" not in proc.stdout
    if fmt == "--csv":
        rows = proc.stdout.split("time,lag\n")[1].splitlines()
        assert len(rows) == 3 and all(float(r.split(",")[1]) > 3500 for r in rows)
    elif fmt is None:
        assert "(3 rows)" in proc.stdout
