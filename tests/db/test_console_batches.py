"""NEXT BATCH, FINISH BATCH and the read-only preview of SHOW BATCH EVENTS; the README's
console examples run as written."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from engine.admin import AdminError
from engine.db import ConnInfo
from qadmin.commands.registry import Context, Settings, dispatch
from qadmin.parser import parse_one
from qadmin.runner import Runner

README = Path(__file__).resolve().parents[2] / "README.md"


def make_ctx(db) -> Context:
    conn = db.connect(autocommit=True)
    return Context(conn=conn, conn_params=ConnInfo.parse(db.dsn), settings=Settings())


def run(ctx: Context, text: str):
    return dispatch(ctx, parse_one(text))


def state(db) -> tuple:
    """Everything a batch opening would change: subscriptions, the batch id sequence."""
    subs = db.execute(
        "select sub_queue, sub_consumer, sub_last_tick, sub_next_tick, sub_batch,"
        " sub_active from pgq.subscription order by 1, 2"
    )
    seq = db.execute("select last_value, is_called from pgq.batch_id_seq")
    return subs, seq


def batch_events(db, batch_id: int) -> list[tuple]:
    return db.execute(
        "select ev_id, ev_type, ev_data from pgq.get_batch_events(%s) order by 1", (batch_id,)
    )


def test_preview_is_read_only_and_equals_the_batch_next_batch_opens(db):
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    run(ctx, "register consumer c1 on q1")
    run(ctx, "register consumer c2 on q1")
    # a transaction open across the tick: its event belongs to a later batch
    late = db.connect(autocommit=False)
    with late.cursor() as cur:
        cur.execute("select pgq.insert_event('q1', 'late', 'L')")
    run(ctx, "insert event into q1 ('a', '1')")
    run(ctx, "insert event into q1 ('b', '2')")
    run(ctx, "tick q1")
    late.commit()
    run(ctx, "insert event into q1 ('c', '3')")
    run(ctx, "tick q1")

    for tick in (1, 2):
        before = state(db)
        shown = run(ctx, "show batch events c1 on q1")
        assert state(db) == before  # nothing opened, nothing moved, no batch id used
        assert "not opened" in shown.title
        assert any("read-only" in n and "NEXT BATCH" in n for n in shown.notes)
        preview = [(r[0], r[4], r[5]) for r in shown.rows]

        opened = run(ctx, "next batch c1 on q1")
        assert opened.status == "NEXT BATCH 1"
        batch_id, prev_tick, cur_tick = opened.rows[0][:3]
        assert (prev_tick, cur_tick) == (tick, tick + 1)
        assert preview == batch_events(db, batch_id)
        # the open batch's events now, the same ones
        again = run(ctx, "show batch events c1 on q1")
        assert again.title == f"Events of batch {batch_id}"
        assert [(r[0], r[4], r[5]) for r in again.rows] == preview
        assert run(ctx, f"finish batch {batch_id} on q1").status == "FINISH BATCH"
    # c2 never took a batch: its preview is the first tick range, with a and b only
    shown = run(ctx, "show batch events c2 on q1")
    assert sorted(r[4] for r in shown.rows) == ["a", "b"]


def test_preview_without_a_next_tick_says_so(db):
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    run(ctx, "register consumer c1 on q1")
    shown = run(ctx, "show batch events c1 on q1")
    assert shown.rows == () and "none yet" in shown.title
    assert any("TICK makes one" in n for n in shown.notes)
    empty = run(ctx, "next batch c1 on q1")
    assert empty.status == "NEXT BATCH 0" and not empty.rows
    assert db.scalar("select sub_batch from pgq.subscription") is None


def test_next_batch_twice_shows_the_open_batch_and_finish_by_consumer(db):
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    run(ctx, "register consumer c1 on q1")
    run(ctx, "tick q1")
    first = run(ctx, "next batch c1 on q1")
    second = run(ctx, "next batch c1 on q1")
    assert first.rows[0][0] == second.rows[0][0]
    assert any("open already" in n for n in second.notes)
    run(ctx, "connect queue=q1")
    assert run(ctx, "finish batch c1").status == "FINISH BATCH"
    assert db.scalar("select sub_batch from pgq.subscription") is None
    assert db.scalar("select sub_last_tick from pgq.subscription") == 2


def test_finish_batch_refusals(db):
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    run(ctx, "create queue q2")
    run(ctx, "register consumer c1 on q1")
    run(ctx, "tick q1")
    batch_id = run(ctx, "next batch c1 on q1").rows[0][0]
    with pytest.raises(AdminError, match="is not open"):
        run(ctx, f"finish batch {batch_id + 100}")
    with pytest.raises(AdminError, match='not a batch of queue "q2"'):
        run(ctx, f"finish batch {batch_id} on q2")
    with pytest.raises(AdminError, match="does not exist"):
        run(ctx, f"finish batch {batch_id} on nosuch")
    with pytest.raises(AdminError, match="not registered"):
        run(ctx, "next batch nobody on q1")
    assert db.scalar("select sub_batch from pgq.subscription") == batch_id
    run(ctx, f"finish batch {batch_id}")
    with pytest.raises(AdminError, match="no open batch"):
        run(ctx, "finish batch c1 on q1")


def test_finish_batch_of_a_cooperative_subconsumer(db):
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    run(ctx, "register subconsumer w1 for c1 on q1")
    run(ctx, "tick q1")
    batch_id = db.scalar("select pgq_coop.next_batch('q1', 'c1', 'w1')")
    assert batch_id is not None
    run(ctx, f"finish batch {batch_id} on q1")
    rows = db.execute(
        "select sub_batch, sub_last_tick from pgq.subscription s"
        " join pgq.consumer c on c.co_id = s.sub_consumer where co_name = 'c1.w1'"
    )
    assert rows == [(None, None)]  # pgq_coop's finish: the worker holds no position


def test_next_and_finish_have_help_and_complete_open_batches(db):
    from qadmin.help import command_help

    assert "next batch <consumer>" in (command_help(("next", "batch")) or "")
    assert "finish batch (<batch_id> | <consumer>)" in (command_help(("finish",)) or "")
    from qadmin.catalog import Catalog
    from qadmin.complete.match import complete

    catalog = Catalog(queues=("q1",), batches={"q1": (7, 9)})
    words = [c.text for c in complete("finish batch ", catalog)]
    assert "7" in words and "9" in words


def readme_examples() -> str:
    """The block of console examples that follows "Inside, keywords are case-insensitive"."""
    text = README.read_text()
    start = text.index("Inside, keywords are case-insensitive")
    block = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("    "):
            block.append(line[4:])
        elif block and line.strip():
            break
    assert len(block) > 5 and block[0].startswith("create queue")
    return "\n".join(block) + "\n"


def test_readme_console_examples_run_as_written(db):
    text = readme_examples()
    ctx = make_ctx(db)
    out, err = io.StringIO(), io.StringIO()
    rounds = []

    def interrupt_watch(seconds: float) -> None:
        rounds.append(seconds)
        raise KeyboardInterrupt  # the ^C the README mentions

    runner = Runner(ctx, out=out, err=err, on_error="stop", watch_sleep=interrupt_watch)
    outcome = runner.run_text(text)
    assert err.getvalue() == ""
    assert outcome.errors == 0 and not outcome.stopped, out.getvalue()
    assert rounds == [5.0]
    output = out.getvalue()
    assert "NEXT BATCH 1" in output and "FINISH BATCH" in output
    assert re.search(r"order\.created", output)
    assert db.scalar("select count(*) from pgq.queue where queue_name = 'orders'") == 1


def test_readme_console_examples_run_as_a_script(db, tmp_path):
    """The same block through `qadmin -f` against a fresh database, ^C ending the WATCH."""
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "readme.qa"
    script.write_text(readme_examples())
    root = README.parent
    env = dict(os.environ, PAGER="", COLUMNS="100", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qadmin", "-X", "-d", db.dsn, "-f", str(script)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    try:
        assert proc.stdout is not None
        watching = False
        for line in proc.stdout:
            seen.append(line)
            watching = watching or "(every 5s)" in line
            if watching and re.fullmatch(r"\(\d+ rows?\)\n", line):
                proc.send_signal(signal.SIGINT)  # WATCH now sleeps: ^C ends it
                break
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(seen) + rest
    assert proc.returncode == 0, output + err
    assert "ERROR" not in err and "Traceback" not in err, err
    assert "FINISH BATCH" in output and output.rstrip().endswith("(1 row)")
