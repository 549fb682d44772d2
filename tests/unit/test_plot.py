"""The session's lag history, sparklines, the PLOT LAG chart and its grammar: no database."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from qadmin import ast
from qadmin.charts import BARS, SPARK_WIDTH, chart_unit, line_chart, sparkline
from qadmin.history import History, lag_key, rate_key
from qadmin.literals import parse_interval
from qadmin.output import render
from qadmin.parser import QadminSyntaxError, parse_one
from qadmin.result import Chart, Result, Settings
from tests.unit.test_complete import texts

# -- history --------------------------------------------------------------------------


def test_history_keeps_samples_in_order_per_series():
    h = History(keep=3)
    lag, other = lag_key("db", "q1", "c1"), lag_key("db", "q1", "c2")
    for when, value in [(1.0, 5.0), (2.0, 6.0), (3.0, None), (4.0, 7.0), (5.0, 8.0)]:
        h.record(lag, when, value)
    h.record(other, 1.0, 1.0)
    assert [(s.when, s.value) for s in h.series(lag)] == [(2.0, 6.0), (4.0, 7.0), (5.0, 8.0)]
    assert h.values(lag, 2) == (7.0, 8.0)
    assert [s.when for s in h.series(lag, since=4.0)] == [4.0, 5.0]
    assert h.series(lag_key("db", "q1", "nobody")) == ()
    assert h.series(rate_key("db", "q1")) == ()  # a rate is another series than a lag
    assert len(h) == 2


def test_history_skips_a_clock_that_went_back():
    h = History()
    key = rate_key("db", "q1")
    h.record(key, 10.0, 1.0)
    h.record(key, 9.0, 2.0)
    assert h.values(key, 10) == (1.0,)


def test_series_of_other_databases_do_not_mix():
    h = History()
    h.record(lag_key("a:5432/x", "q", "c"), 1.0, 1.0)
    assert h.series(lag_key("a:5432/y", "q", "c")) == ()


def test_history_needs_room_for_two_samples():
    with pytest.raises(ValueError):
        History(keep=1)


# -- sparklines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 1, 2, 3, 4, 5, 6, 7], "▁▂▃▄▅▆▇█"),
        ([0, 0, 0], "▁▁▁"),
        ([5, 5], "██"),  # from zero: a steady lag is a full bar, not the lowest
        ([10.0, 10.5], "██"),
        ([3600, 0.2], "█▁"),
        ([-1, 1], "▁█"),
        ([], ""),
    ],
)
def test_sparkline(values, expected):
    assert sparkline(values) == expected


def test_sparkline_shows_the_newest_values_only():
    line = sparkline(list(range(100)))
    assert len(line) == SPARK_WIDTH and line[-1] == BARS[-1]
    assert sparkline([1, 2, 3], width=2) == "▆█"  # 2 of 3 -> bar 5 of 0..7


# -- chart ----------------------------------------------------------------------------


def test_chart_unit():
    assert chart_unit(30) == ("s", 1.0)
    assert chart_unit(600) == ("min", 60.0)
    assert chart_unit(4 * 3600) == ("h", 3600.0)
    assert chart_unit(5 * 86400) == ("d", 86400.0)


def test_line_chart_has_title_unit_axes_and_size_and_no_colours():
    t0 = 1_700_000_000.0
    points = [(t0, 600.0), (t0 + 30, 900.0), (t0 + 45, 1200.0), (t0 + 90, 30.0)]
    text = line_chart(points, title="lag of c1", width=70, height=14)
    lines = text.split("\n")
    assert lines[0].strip() == "lag of c1 (min)"
    assert len(lines) == 14 and max(len(line) for line in lines) <= 70
    assert "┌" in text and "└" in text and "\x1b" not in text
    assert any(ch in text for ch in "⠁⠂⠄⡀⠈⠐⠠⢀")  # the line itself, in braille dots
    assert "20.0" in text  # 1200 s = 20 min, the top of the y axis


def test_line_chart_of_one_point_and_of_none():
    assert "(s)" in line_chart([(1_700_000_000.0, 2.0)], title="one")
    assert line_chart([], title="nothing") == "nothing"


# -- rendering: sparklines and charts only on a terminal -----------------------------

TREND_RESULT = Result(
    columns=("consumer_name", "lag", "lag_trend"),
    rows=(("c1", dt.timedelta(seconds=3), (9.0, 3.0)), ("c2", None, None)),
    types={"lag": "duration", "lag_trend": "sparkline"},
    volatile=frozenset({"lag", "lag_trend"}),
)


def test_sparkline_column_is_drawn_only_with_charts_on_in_a_text_format():
    result = TREND_RESULT
    on = render(result, Settings(charts=True))
    assert "lag_trend" in on and "█▃" in on
    assert "█▃" in render(result, Settings(format="expanded", charts=True))
    off = render(result, Settings())
    assert "lag_trend" not in off and not set(BARS) & set(off)
    csv = render(result, Settings(format="csv", charts=True)).splitlines()
    assert csv == ["consumer_name,lag", "c1,3", "c2,"]
    rows = json.loads(render(result, Settings(format="json", charts=True)))
    assert rows == [{"consumer_name": "c1", "lag": 3.0}, {"consumer_name": "c2", "lag": None}]
    masked = render(result, Settings(charts=True, mask_volatile=True))
    assert not set(BARS) & set(masked)


def test_chart_replaces_the_table_on_a_terminal_only():
    t0 = 1_700_000_000.0
    when = dt.datetime.fromtimestamp(t0, dt.UTC)
    result = Result(
        title="Lag samples",
        columns=("time", "lag"),
        rows=((when, 2.0), (when + dt.timedelta(seconds=5), 4.0)),
        types={"lag": "duration", "time": "time"},
        notes=("NOTE:  only 2 samples",),
        chart=Chart("lag of c1", ((t0, 2.0), (t0 + 5, 4.0))),
    )
    drawn = render(result, Settings(charts=True))
    assert "lag of c1 (s)" in drawn and "┌" in drawn and "(2 rows)" not in drawn
    assert drawn.startswith("NOTE:  only 2 samples\n")
    plain = render(result, Settings())
    assert "┌" not in plain and "(2 rows)" in plain and "2.0 s" in plain
    assert render(result, Settings(format="csv", charts=True)).splitlines() == [
        "time,lag",
        "2023-11-14T22:13:20+00:00,2",
        "2023-11-14T22:13:25+00:00,4",
    ]


# -- grammar, intervals, completion ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plot lag c1 on q1", ast.PlotLag("c1", "q1", None)),
        ('PLOT LAG "C1"', ast.PlotLag("C1", None, None)),
        ("plot lag c1 last 90", ast.PlotLag("c1", None, dt.timedelta(seconds=90))),
        ("plot lag c1 on q1 last 5 min", ast.PlotLag("c1", "q1", dt.timedelta(minutes=5))),
        ("plot lag c1 last 30s", ast.PlotLag("c1", None, dt.timedelta(seconds=30))),
        ("plot lag c1 last '1 hour 30 min'", ast.PlotLag("c1", None, dt.timedelta(minutes=90))),
        ("watch 2 plot lag c1", ast.Watch(2.0, ast.PlotLag("c1", None, None))),
    ],
)
def test_plot_lag_grammar(text, expected):
    assert parse_one(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plot lag", "expected a consumer name"),
        ("plot lag c1 last 5 parsecs", "unknown unit 'parsecs'"),
        ("plot lag c1 last 0", "not positive"),
        ("plot lag c1 last", "expected"),
    ],
)
def test_plot_lag_errors(text, message):
    with pytest.raises(QadminSyntaxError, match=message):
        parse_one(text)


def test_parse_interval():
    assert parse_interval(".5 h") == dt.timedelta(minutes=30)
    assert parse_interval("2 days") == dt.timedelta(days=2)
    for bad in ("", "soon", "5 min later"):
        with pytest.raises(ValueError):
            parse_interval(bad)


def test_plot_lag_completes_consumers_and_queues():
    assert texts("plot ") == ["lag"]
    assert texts("plot lag ", after=" on orders") == ["billing", "shipping"]
    assert "orders" in texts("plot lag billing on ")
    assert "last" in texts("plot lag billing on orders ")


def test_plotext_is_imported_only_to_draw_a_chart():
    """It costs start-up time: a table, even with sparklines, does not load it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from qadmin.output import render\n"
        "from qadmin.parser import parse_one\n"
        "from qadmin.commands import registry\n"
        "from qadmin.result import Result, Settings\n"
        "registry._entry(parse_one('show consumer'))\n"
        "registry._entry(parse_one('show queue stats'))\n"
        "r = Result(columns=('t',), rows=(((1.0, 2.0),),), types={'t': 'sparkline'})\n"
        "render(r, Settings(charts=True))\n"
        "print('plotext' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
