"""Consumers (python -m engine.consumer) as real processes: handlers, lazy fetch, coop, switches."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

import psycopg2
import pytest

from tests.db.daemon_util import PROJECT_ROOT, Proc, daemon_env, wait_for, write_ini
from tests.pgqtools import tick


def consumer_ini(tmp_path, db, name, handler, **keys):
    values = {
        "db": db.dsn,
        "queue_name": "q1",
        "handler": handler,
        "pidfile": str(tmp_path / f"{name}.pid"),
        "loop_delay": 0.2,
        "exception_sleep": 0.3,
        "stats_period": 0.5,
    }
    values.update(keys)
    return write_ini(tmp_path / f"{name}.ini", "consumer", values)


def start_consumer(tmp_path, db, name, handler, env=None, **keys):
    ini = consumer_ini(tmp_path, db, name, handler, **keys)
    return Proc("engine.consumer", [str(ini)], tmp_path / f"{name}.log", env=env)


def run_cli(*args, check=False):
    return subprocess.run(
        [sys.executable, "-m", "engine.consumer", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=daemon_env(),
        timeout=60,
        check=check,
    )


def consumer_row(db, consumer="c1"):
    rows = db.dicts("select * from pgq.get_consumer_info('q1', %s)", (consumer,))
    return rows[0] if rows else None


def test_exec_feeds_json_lines_and_retries_the_batch_until_exit_0(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    flag, out = tmp_path / "ok", tmp_path / "out.jsonl"
    command = f"test -f {flag} && {{ echo batch=$PGQ_BATCH_ID; cat; }} >> {out}"
    c = start_consumer(tmp_path, db, "c1", "exec", command=command, exception_quiet="ExecError")
    try:
        with db.conn.cursor() as cur:
            cur.execute("select pgq.insert_event('q1', 'ins', 'a', 'x1', null, null, 'x4')")
            cur.execute("select pgq.insert_event('q1', 'upd', 'ünï \"q\"')")
            tick(cur, "q1")
        wait_for(lambda: "exited with status 1" in c.text(), what="failed command")
        # exception_quiet: a warning without a traceback
        assert "WARNING Job c1 got error: command exited with status 1" in c.text()
        assert "Traceback" not in c.text()
        assert consumer_row(db)["current_batch"] is not None, "the batch stays open"
        assert not out.exists()
        flag.touch()
        wait_for(lambda: consumer_row(db)["current_batch"] is None, what="batch finished")
        lines = out.read_text().splitlines()
        assert lines[0].startswith("batch=")
        events = [json.loads(line) for line in lines[1:]]
        assert [e["ev_data"] for e in events] == ["a", 'ünï "q"']
        assert set(events[0]) == {
            "ev_id",
            "ev_time",
            "ev_txid",
            "ev_retry",
            "ev_type",
            "ev_data",
            "ev_extra1",
            "ev_extra2",
            "ev_extra3",
            "ev_extra4",
        }
        assert (events[0]["ev_type"], events[0]["ev_extra1"], events[0]["ev_extra4"]) == (
            "ins",
            "x1",
            "x4",
        )
        assert events[0]["ev_retry"] is None and isinstance(events[0]["ev_txid"], int)
    finally:
        assert c.stop() == 0


def test_lazy_fetch_walks_a_big_batch_into_a_table(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute(
        "create table evs (id serial primary key, ev_id bigint unique, ev_type text,"
        " ev_data text, ev_extra2 text, ev_time timestamptz, note text default 'kept')"
    )
    c = start_consumer(tmp_path, db, "c1", "table_dispatcher", table="public.evs", pgq_lazy_fetch=7)
    try:
        with db.conn.cursor() as cur:
            cur.execute("begin")
            cur.execute(
                "select pgq.insert_event('q1', 't', 'd' || i, null, 'e' || i, null, null)"
                " from generate_series(1, 100) i"
            )
            cur.execute("commit")
            tick(cur, "q1")
        wait_for(lambda: db.scalar("select count(*) from evs") == 100, what="100 rows")
        rows = db.execute("select ev_data, ev_extra2, note from evs order by ev_id")
        assert rows == [(f"d{i}", f"e{i}", "kept") for i in range(1, 101)]
        assert db.scalar("select count(*) from evs where ev_time is null") == 0
        wait_for(lambda: consumer_row(db)["current_batch"] is None, what="finished")
        wait_for(lambda: "count: 100" in c.text(), what="stats line")
        # empty batches are finished too
        last = consumer_row(db)["last_tick"]
        with db.conn.cursor() as cur:
            cur.execute("select pgq.ticker_now(array['q1'])")
        wait_for(lambda: consumer_row(db)["last_tick"] > last, what="empty batch finished")
        assert consumer_row(db)["current_batch"] is None
    finally:
        assert c.stop() == 0


def test_keep_lag_holds_batches_back(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("create table evs (ev_id bigint, ev_data text)")
    c = start_consumer(
        tmp_path, db, "c1", "table_dispatcher", table="evs", pgq_keep_lag="1.5 seconds"
    )
    try:
        wait_for(lambda: "starting" in c.text(), what="start")
        with db.conn.cursor() as cur:
            cur.execute("select pgq.insert_event('q1', 't', 'late')")
            ticked = time.monotonic()
            tick(cur, "q1")
        wait_for(lambda: db.scalar("select count(*) from evs") == 1, what="event", timeout=10)
        assert time.monotonic() - ticked >= 1.4
    finally:
        assert c.stop() == 0


def test_batch_collect_events_waits_for_enough_events(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("create table evs (ev_id bigint, ev_data text)")
    c = start_consumer(
        tmp_path, db, "c1", "table_dispatcher", table="evs", pgq_batch_collect_events=50
    )
    try:
        wait_for(lambda: "starting" in c.text(), what="start")
        with db.conn.cursor() as cur:
            # (force_tick would move the event sequence past 50 by itself)
            cur.execute("select pgq.insert_event('q1', 't', 'a') from generate_series(1, 10)")
            cur.execute("select pgq.ticker_now(array['q1'])")  # no seq bump
            time.sleep(0.6)
            assert db.scalar("select count(*) from evs") == 0, "10 < 50 events: no batch"
            cur.execute("select pgq.insert_event('q1', 't', 'b') from generate_series(1, 45)")
            cur.execute("select pgq.ticker_now(array['q1'])")  # no seq bump
        wait_for(lambda: db.scalar("select count(*) from evs") == 55, what="one big batch")
        wait_for(lambda: "batches: 1," in c.text(), what="stats")
    finally:
        assert c.stop() == 0


def test_coop_workers_share_the_consumer_exactly_once(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("create table evs (ev_id bigint primary key, ev_data text)")
    workers = [
        start_consumer(
            tmp_path,
            db,
            f"w{i}",
            "table_dispatcher",
            table="evs",
            consumer_name="cc",
            subconsumer_name=f"w{i}",
            subconsumer_timeout="1 minute",
        )
        for i in range(3)
    ]
    try:
        wait_for(
            lambda: (
                db.scalar(
                    "select count(*) from pgq.get_consumer_info('q1')"
                    " where consumer_name like 'cc.%'"
                )
                == 3
            ),
            what="3 subconsumers registered",
        )
        with db.conn.cursor() as cur:
            for i in range(30):
                cur.execute(
                    "select pgq.insert_event('q1', 't', %s || '-' || j)"
                    " from generate_series(1, 10) j",
                    (str(i),),
                )
                tick(cur, "q1")
        wait_for(lambda: db.scalar("select count(*) from evs") == 300, what="300 rows")
        time.sleep(0.3)
        assert db.scalar("select count(*) from evs") == 300
    finally:
        for w in workers:
            assert w.stop() == 0
    # the batches went to several workers (their stats lines count them)
    busy = [w for w in workers if re.search(r"batches: [1-9]", w.text())]
    assert len(busy) >= 2


def test_register_unregister_ini_and_stop_switches(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    ini = consumer_ini(tmp_path, db, "c1", "exec", command="sleep 1; cat > /dev/null")
    r = run_cli(ini, "--register")
    assert r.returncode == 0, r.stderr
    assert "registered" in r.stderr
    assert consumer_row(db) is not None
    coop = consumer_ini(tmp_path, db, "w1", "print", consumer_name="cc", subconsumer_name="s1")
    assert run_cli(coop, "--register").returncode == 0
    assert db.scalar("select count(*) from pgq.get_consumer_info('q1', 'cc.s1')") == 1
    assert run_cli(coop, "--unregister").returncode == 0
    assert db.scalar("select count(*) from pgq.get_consumer_info('q1', 'cc.s1')") == 0

    # -s: stops after the current batch, which is finished
    c = Proc("engine.consumer", [str(ini)], tmp_path / "c1.log")
    with db.conn.cursor() as cur:
        cur.execute("select pgq.insert_event('q1', 't', 'x')")
        tick(cur, "q1")
    wait_for(lambda: consumer_row(db)["current_batch"] is not None, what="batch taken")
    assert run_cli(ini, "-s").returncode == 0
    assert c.wait(20) == 0
    assert consumer_row(db)["current_batch"] is None, "batch finished before stopping"
    assert not (tmp_path / "c1.pid").exists()

    # -k: stops now; the batch stays open for the next run
    c = Proc("engine.consumer", [str(ini)], tmp_path / "c1b.log")
    with db.conn.cursor() as cur:
        cur.execute("select pgq.insert_event('q1', 't', 'y')")
        tick(cur, "q1")
    wait_for(lambda: consumer_row(db)["current_batch"] is not None, what="batch taken")
    assert run_cli(ini, "-k").returncode == 0
    assert c.wait(20) == 0
    # the batch is still open: the consumer did not wait for its command to finish it (a
    # time bound said so less surely: under load run_cli's own start took most of it)
    assert consumer_row(db)["current_batch"] is not None
    assert not (tmp_path / "c1.pid").exists()

    assert run_cli(ini, "--unregister").returncode == 0
    assert consumer_row(db) is None

    out = run_cli("--ini", check=True).stdout
    for key in (
        "db =",
        "queue_name =",
        "#consumer_name",
        "#pgq_lazy_fetch",
        "#pgq_batch_collect_events",
        "#pgq_batch_collect_interval",
        "#pgq_keep_lag",
        "#loop_delay",
        "#logfile",
        "#pidfile",
        "#exception_sleep",
        "#exception_quiet",
        "#subconsumer_name",
    ):
        assert key in out, key
    assert "command =" in run_cli("--ini", "--handler", "exec", check=True).stdout
    assert "dst_queue" in run_cli("--ini", "--handler", "queue_mover", check=True).stdout
    bad = run_cli("--handler", "nope", ini)
    assert bad.returncode == 1 and "unknown handler" in bad.stderr


def test_sigterm_kills_the_exec_command_too(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    marker = tmp_path / "child.pid"
    c = start_consumer(tmp_path, db, "c1", "exec", command=f"echo $$ > {marker}; exec sleep 30")
    with db.conn.cursor() as cur:
        cur.execute("select pgq.insert_event('q1', 't', 'x')")
        tick(cur, "q1")
    wait_for(lambda: marker.exists() and marker.read_text().strip(), what="command started")
    child = int(marker.read_text())
    assert c.stop(signal.SIGTERM) == 0
    wait_for(
        lambda: not _alive(child), what="command killed", timeout=20
    )  # < the sleep: only a kill ends it sooner


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_remote_target_needs_qadmin_ext_and_says_how_to_install_it(db, empty_db, tmp_path):
    """Like pgq_ext in Skytools, the admin installs qadmin_ext in the target database."""
    from engine.install import install

    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    empty_db.execute("create table evs (ev_id bigint primary key, ev_type text, ev_data text)")
    c = start_consumer(
        tmp_path, db, "c1", "table_dispatcher", table="public.evs", dst_db=empty_db.dsn
    )
    try:
        with db.conn.cursor() as cur:
            cur.execute("select pgq.insert_event('q1', 't', 'd1')")
            tick(cur, "q1")
        wait_for(lambda: "lacks the qadmin_ext module" in c.text(), what="the error")
        assert f"-d {empty_db.name} qadmin_ext" in c.text()
        assert "Traceback" not in c.text()
        # nothing was created in the target behind the admin's back
        assert empty_db.scalar("select to_regnamespace('qadmin_ext')") is None
        reports = install(empty_db.connect(autocommit=False), ["qadmin_ext"])
        assert [(r.module, r.action) for r in reports] == [("qadmin_ext", "installed")]
        wait_for(lambda: empty_db.scalar("select count(*) from evs") == 1, what="applied")
        assert (
            empty_db.execute("select tracking_key, batch_id from qadmin_ext.completed_batch")[0][0]
            == f"{db.name}/q1/c1"
        )
    finally:
        assert c.stop() == 0


def test_qadmin_ext_records_each_batch_once(empty_db):
    from engine.install import install

    install(empty_db.connect(autocommit=False), ["qadmin_ext"])
    assert empty_db.scalar("select qadmin_ext.version()") == "3.6.0"
    assert empty_db.scalar("select qadmin_ext.set_batch_done('k', 5)") is True
    assert empty_db.scalar("select qadmin_ext.set_batch_done('k', 5)") is False
    assert empty_db.scalar("select qadmin_ext.set_batch_done('other', 5)") is True
    empty_db.execute("select qadmin_ext.set_batch_done('k', 7)")
    assert empty_db.scalar("select qadmin_ext.forget_batches('k', 7)") == 1
    assert empty_db.execute(
        "select tracking_key, batch_id from qadmin_ext.completed_batch order by 1, 2"
    ) == [("k", 7), ("other", 5)]
    # any role may record batches through the functions, none may write the table
    empty_db.execute("create role ext_user login")
    user = empty_db.connect(user="ext_user")
    with user.cursor() as cur:
        cur.execute("select qadmin_ext.set_batch_done('u', 1)")
        with pytest.raises(psycopg2.Error, match="permission denied"):
            cur.execute("delete from qadmin_ext.completed_batch")
    user.close()
