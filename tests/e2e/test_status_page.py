"""The exporter's status page in a real browser: Playwright driving the distribution's Chromium.

No browser is downloaded: Playwright launches /usr/bin/chromium (``apt-get install
chromium``; .ci/run installs it and the ``playwright`` package).  The test skips,
saying which is missing, when either is not there.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pytest

from engine import supervisor as sv
from engine.pgcluster import free_port
from tests.db.daemon_util import base_connstr

CHROMIUM = os.environ.get("QADMIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def test_page_shows_the_consumer_and_its_lag_plot_updates(db, daemon_state):
    from playwright.sync_api import sync_playwright

    db.execute("select pgq.create_queue('page_q')")
    db.execute("select pgq.register_consumer('page_q', 'page_consumer')")
    port = free_port()
    sv.start_exporter(
        "page_exporter",
        databases=[db.name],
        base_connstr=base_connstr(db.dsn),
        port=port,
        options={"sample_period": 0.3, "page_refresh": 1},
        state_dir=str(daemon_state),
    )
    plot = 'svg[aria-label="lag of page_consumer on page_q"]'
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # a phone-sized window
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
            consumers = page.locator("#consumers + .scroll table")
            assert "page_consumer" in consumers.inner_text()
            assert page.locator(plot).count() == 1
            before = float(page.locator(plot).get_attribute("data-last") or "0")
            assert before < 60
            # the consumer falls 500 s behind: its last tick moves back in time
            db.execute("select pgq.tick_queue('page_q')")
            db.execute(
                "update pgq.tick t set tick_time = current_timestamp - interval '500 s'"
                " from pgq.subscription s, pgq.consumer c"
                " where c.co_name = 'page_consumer' and s.sub_consumer = c.co_id"
                " and t.tick_queue = s.sub_queue and t.tick_id = s.sub_last_tick"
            )
            # the page reloads itself (meta refresh) and the plot gets the new point
            deadline = time.monotonic() + 20
            last = before
            while time.monotonic() < deadline:
                try:
                    last = float(page.locator(plot).get_attribute("data-last", timeout=2000) or 0)
                except Exception:  # the page is between two loads
                    last = before
                if last >= 500:
                    break
                page.wait_for_timeout(200)
            assert last >= 500, f"the plot's last lag stayed {last}"
            points = int(page.locator(plot).get_attribute("data-points") or "0")
            assert points >= 2
            # readable on the phone: the consumer table scrolls inside its box,
            # the page itself does not get wider than the window
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1
        finally:
            browser.close()
