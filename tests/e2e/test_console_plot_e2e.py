"""End to end: lag sparklines and PLOT LAG in the real console (pexpect in a pty)."""

from __future__ import annotations

from tests.db.test_console_plot import HOUR_BACK
from tests.e2e.test_console_e2e import CTRL_C


def test_watch_then_sparkline_and_chart_in_a_terminal(db, console):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute(HOUR_BACK, ["q1"])
    c = console("-Q", "q1")
    c.run("watch 0.2 show consumer c1;")
    c.expect("lag_trend")  # the second run of the watched command has a history
    c.expect("███")  # an hour behind, steadily: full bars
    c.type(CTRL_C, pause=0.3)
    c.run("plot lag c1;")
    c.expect('lag of consumer "c1" on queue "q1" (min)')
    c.expect("└")
    c.run("\\q")
    assert c.close() == 0
