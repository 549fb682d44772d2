"""A handler ported from Skytools runs unchanged: the original pgq.Event's spellings,
mapping access, tag_retry/tag_done, self.cf and self.log (docs/handlers.md)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.consumer import EV_DONE, EV_RETRY, EVENT_FIELDS, Batch, Event
from engine.db import ConnInfo
from qadmin.commands.registry import Context, Result, Settings, dispatch
from qadmin.parser import parse_one
from tests.db.daemon_util import PROJECT_ROOT, wait_for
from tests.supervised import daemon_pids, stop_all_daemons

ROW = (7, dt.datetime(2026, 1, 2, 3, 4, 5), 900, 2, "t", "d", "e1", "e2", None, "e4")


def test_event_offers_the_original_spellings():
    batch = Batch(1, 2, 1, None, None, "q1")
    ev = Event(ROW, batch)
    for field, value in zip(EVENT_FIELDS, ROW, strict=True):
        assert getattr(ev, field) == value  # ev.ev_id ...
        assert ev[field] == value  # ev["ev_id"] ...
        assert getattr(ev, field.removeprefix("ev_")) == value  # ev.id ...
    assert list(ev) == list(EVENT_FIELDS) == list(ev.keys()) and len(ev) == 10
    assert dict(ev.items())["ev_extra4"] == "e4" and list(ev.values()) == list(ROW)
    assert "ev_data" in ev and ev.has_key("ev_type") and "id" not in ev
    assert ev.get("ev_extra3", "none") is None and ev.get("nosuch", "x") == "x"
    with pytest.raises(KeyError):
        ev["data"]
    with pytest.raises(AttributeError):
        ev.nosuch  # noqa: B018
    assert ev.queue_name == "q1"
    assert str(ev) == "<id=7 type=t data=d e1=e1 e2=e2 e3=None e4=e4>"
    assert ev.get_status() == EV_DONE and ev.retry_time == 60
    ev.tag_retry(15)
    assert ev.get_status() == EV_RETRY and ev.retry_time == 15 and batch.retries == {7: 15}
    ev.tag_done()
    assert ev.get_status() == EV_DONE and batch.retries == {}
    assert ev != Event(ROW, batch) and len({ev, Event(ROW, batch)}) == 2  # identity


@pytest.fixture
def state_dir(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    state = tmp_path / "state"
    monkeypatch.setenv("QADMIN_STATE_DIR", str(state))
    try:
        yield state
    finally:
        stop_all_daemons(state)
    assert daemon_pids(state) == {}


def make_ctx(db) -> Context:
    conn = db.connect(autocommit=True)
    return Context(conn=conn, conn_params=ConnInfo.parse(db.dsn), settings=Settings())


def run(ctx: Context, text: str) -> Result:
    return dispatch(ctx, parse_one(text))


def test_ported_process_event_handler(db, state_dir):
    ctx = make_ctx(db)
    db.execute(
        "create table my_audit (ev_id bigint, ev_type text, ev_data text, ev_extra1 text,"
        " ev_retry int, queue_name text, as_text text)"
    )
    run(ctx, "create queue q1")
    run(
        ctx,
        "start consumer audit on q1 using python:tests.db.ported_handler.PortedAudit"
        " with audit_table='my_audit'",
    )
    run(ctx, "insert event into q1 ('order', 'one', 'public.orders')")
    run(ctx, "insert event into q1 ('flaky', 'two')")
    run(ctx, "tick q1")
    wait_for(lambda: db.scalar("select count(*) from my_audit") == 1, timeout=60, what="event 1")
    # the flaky one was tagged for retry: back after a second, through the retry queue
    wait_for(
        lambda: db.scalar("select count(*) from pgq.retry_queue") == 1, timeout=60, what="retry"
    )

    def flush_retry_and_tick() -> bool:
        db.execute("select pgq.maint_retry_events()")
        run(ctx, "tick q1")
        return db.scalar("select count(*) from my_audit") == 2

    wait_for(flush_retry_and_tick, timeout=60, interval=0.5, what="the retried event")
    rows = db.execute(
        "select ev_type, ev_data, ev_extra1, ev_retry, queue_name, as_text from my_audit"
        " order by ev_id"
    )
    assert rows[0][:5] == ("order", "one", "public.orders", None, "q1")
    assert rows[0][5].startswith("<id=1 type=order data=one e1=public.orders")
    assert rows[1][:5] == ("flaky", "two", None, 1, "q1")
    log = (state_dir / "audit.log").read_text()
    assert "event 2 not ready yet" in log and "Traceback" not in log


def test_ported_process_batch_handler(db, state_dir):
    ctx = make_ctx(db)
    db.execute("create table audit (ev_id bigint, ev_type text, ev_data text, batch_id bigint)")
    run(ctx, "create queue q1")
    run(ctx, "start consumer b on q1 using python:tests.db.ported_handler.PortedBatch")
    for data in ("a", "skip", "c"):
        run(ctx, f"insert event into q1 ('x', '{data}')")
    run(ctx, "tick q1")
    wait_for(lambda: db.scalar("select count(*) from audit") == 2, timeout=60, what="the batch")
    assert db.execute("select ev_data from audit order by ev_id") == [("a",), ("c",)]
    assert db.scalar("select count(distinct batch_id) from audit") == 1


def test_the_documented_example_handler_runs(db, state_dir, tmp_path, monkeypatch):
    """The example of docs/handlers.md, as written, as a python: handler."""
    doc = (PROJECT_ROOT / "docs" / "handlers.md").read_text()
    code = doc.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "doc_audit.py").write_text(code)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    )
    ctx = make_ctx(db)
    db.execute("create table public.audit (id bigint, data text)")
    run(ctx, "create queue orders")
    run(
        ctx,
        "start consumer audit on orders using python:doc_audit.Audit"
        " with audit_table='public.audit'",
    )
    run(ctx, "insert event into orders ('order.draft', 'later')")
    run(ctx, "insert event into orders ('order.created', 'now')")
    run(ctx, "tick orders")
    wait_for(lambda: db.scalar("select count(*) from audit") == 1, timeout=60, what="stored")
    assert db.execute("select data from audit") == [("now",)]
    wait_for(
        lambda: db.scalar("select count(*) from pgq.retry_queue") == 1, timeout=60, what="retry"
    )
    assert "stored event 2" in (state_dir / "audit.log").read_text()
