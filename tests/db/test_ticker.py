"""The ticker daemon (python -m engine.ticker) as a real process on real databases."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time

import psycopg2

from engine.base import pid_alive
from tests.db.daemon_util import PROJECT_ROOT, Proc, base_connstr, daemon_env, ticker_ini, wait_for
from tests.pgqtools import tick


def start_ticker(tmp_path, dsn_base, databases, name="ticker", **keys):
    ini = ticker_ini(tmp_path / f"{name}.ini", dsn_base, databases, **keys)
    return Proc("engine.ticker", [str(ini)], tmp_path / f"{name}.log"), ini


def last_tick(db, queue="q1"):
    return db.scalar(
        "select max(tick_id) from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue"
        " where q.queue_name = %s",
        (queue,),
    )


def test_ticks_by_queue_settings_and_at_once_on_notify(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.create_queue('q2')")
    db.execute("select pgq.set_queue_config('q1', 'notify', 'true')")
    # q2: classic queue, ticks by its settings only
    db.execute("select pgq.set_queue_config('q2', 'ticker_max_count', '3')")
    # a lag of 60 s: no tick comes from a round by lag however slowly this test runs, so
    # a tick of q1 can only come from the notify and one of q2 only from its count
    for q in ("q1", "q2"):
        db.execute("select pgq.set_queue_config(%s, 'ticker_max_lag', '60')", (q,))
    tk, _ = start_ticker(tmp_path, base_connstr(db.dsn), [db.name], ticker_period=0.2)
    try:
        wait_for(lambda: f"database {db.name}: ticking" in tk.text(), what="ticking")
        listener = db.connect()
        listener.cursor().execute("listen pgq_tick")
        # notify queue: the insert's commit makes a tick within milliseconds
        t1 = last_tick(db, "q1")
        started = time.monotonic()
        db.execute("select pgq.insert_event('q1', 't', 'x')")
        select.select([listener], [], [], 5)
        elapsed = time.monotonic() - started
        listener.poll()
        assert [n.payload for n in listener.notifies] == ["q1"]
        assert elapsed < 2
        assert last_tick(db, "q1") > t1
        # classic queue: 2 events < ticker_max_count 3 and lag < 3 s: no tick yet ...
        t2 = last_tick(db, "q2")
        db.execute("select pgq.insert_event('q2', 't', 'x') from generate_series(1, 2)")
        time.sleep(0.6)
        assert last_tick(db, "q2") == t2
        # ... the third one makes it tick on the next round
        db.execute("select pgq.insert_event('q2', 't', 'x')")
        wait_for(lambda: last_tick(db, "q2") > t2, timeout=3, what="q2 tick")
        # paused queues are left alone, even when notified
        db.execute("select pgq.set_queue_config('q1', 'ticker_paused', 'true')")
        t1 = last_tick(db, "q1")
        db.execute("select pgq.insert_event('q1', 't', 'x')")
        time.sleep(0.5)
        assert last_tick(db, "q1") == t1
    finally:
        assert tk.stop() == 0
    assert "ERROR" not in tk.text()


def test_maintenance_rotates_and_retry_events_come_back(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.set_queue_config('q1', 'rotation_period', '1 second')")
    db.execute("select pgq.set_queue_config('q1', 'ticker_max_lag', '0')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 't', 'again')")
    with db.conn.cursor() as cur:
        tick(cur, "q1")
    batch = db.scalar("select pgq.next_batch('q1', 'c1')")
    assert db.scalar("select pgq.event_retry(%s, array[1::bigint], 0)", (batch,)) == 1
    db.execute("select pgq.finish_batch(%s)", (batch,))
    cur_table = db.scalar("select queue_cur_table from pgq.queue where queue_name = 'q1'")
    time.sleep(1.1)
    tk, _ = start_ticker(
        tmp_path,
        base_connstr(db.dsn),
        [db.name],
        maint_period=0.3,
        retry_period=0.2,
        stats_period=0.5,
    )
    try:
        wait_for(
            lambda: db.scalar("select count(*) from pgq.retry_queue") == 0,
            what="retry queue flushed",
        )
        wait_for(
            lambda: (
                db.scalar("select queue_cur_table from pgq.queue where queue_name = 'q1'")
                != cur_table
            ),
            what="rotation",
        )

        # the retried event is in the queue again, for c1 only, with ev_retry counted
        def retried():
            b = db.scalar("select pgq.next_batch('q1', 'c1')")
            if b is None:
                return None
            rows = db.execute("select ev_data, ev_retry from pgq.get_batch_events(%s)", (b,))
            db.execute("select pgq.finish_batch(%s)", (b,))
            return rows

        assert wait_for(retried, what="retried event") == [("again", 1)]
        wait_for(lambda: "{ticks:" in tk.text(), what="stats line", timeout=40)
    finally:
        assert tk.stop() == 0


def test_second_ticker_refuses_with_a_clear_message(db, tmp_path):
    first, ini = start_ticker(tmp_path, base_connstr(db.dsn), [db.name])
    try:
        wait_for(lambda: "ticking" in first.text(), what="first ticker")
        second = subprocess.run(
            [sys.executable, "-m", "engine.ticker", str(ini), "--set", "pidfile="],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=PROJECT_ROOT,
            env=daemon_env(),
        )
        assert second.returncode == 1
        assert "another ticker is already running on this database" in second.stderr
        assert f"database {db.name}" in second.stderr
        # and the same config cannot start twice because of the pidfile
        third = subprocess.run(
            [sys.executable, "-m", "engine.ticker", str(ini)],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=PROJECT_ROOT,
            env=daemon_env(),
        )
        assert third.returncode == 1
        assert "already running" in third.stderr
        assert first.alive()
    finally:
        assert first.stop() == 0


def test_signals_reload_stop_and_switches(db, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.set_queue_config('q1', 'ticker_max_lag', '0')")
    # (the first event of a new queue does not move the event sequence's last_value)
    db.execute("select pgq.insert_event('q1', 't', 'x') from generate_series(1, 2)")
    t_created = last_tick(db)
    tk, ini = start_ticker(tmp_path, base_connstr(db.dsn), [db.name], ticker_period=30)
    pidfile = ini.with_suffix(".pid")
    try:
        # the first round ticks the waiting events; the next one is 30 s away (the
        # "ticking" line comes before that first round, so it cannot be the mark)
        wait_for(lambda: last_tick(db) > t_created, what="first round")
        wait_for(pidfile.exists, what="pidfile")
        assert int(pidfile.read_text()) == tk.pid
        db.execute("select pgq.insert_event('q1', 't', 'x') from generate_series(1, 2)")
        t0 = last_tick(db)
        time.sleep(0.5)
        assert last_tick(db) == t0, "ticker_period 30: no round yet"
        # -r: reload picks up the new period, the next round comes at once
        ini.write_text(ini.read_text().replace("ticker_period = 30", "ticker_period = 0.1"))
        run = [sys.executable, "-m", "engine.ticker", str(ini)]
        r = subprocess.run([*run, "-r"], capture_output=True, text=True, cwd=PROJECT_ROOT,
                           env=daemon_env(), timeout=30)  # fmt: skip
        assert r.returncode == 0, r.stderr
        wait_for(lambda: "config reloaded" in tk.text(), what="reload")
        wait_for(lambda: last_tick(db) > t0, timeout=5, what="tick after reload")
        # -s: stops after the current round; the pidfile goes away
        r = subprocess.run([*run, "-s"], capture_output=True, text=True, cwd=PROJECT_ROOT,
                           env=daemon_env(), timeout=30)  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert tk.wait(20) == 0
        assert not pidfile.exists()
        r = subprocess.run([*run, "-s"], capture_output=True, text=True, cwd=PROJECT_ROOT,
                           env=daemon_env(), timeout=30)  # fmt: skip
        assert r.returncode == 1
        assert "not running" in r.stderr
    finally:
        tk.stop()
    # SIGTERM stops at once too
    tk2, _ = start_ticker(tmp_path, base_connstr(db.dsn), [db.name], name="t2")
    wait_for(lambda: "ticking" in tk2.text(), what="ticking")
    assert tk2.stop(signal.SIGTERM) == 0
    assert "stopped" in tk2.text()


def test_ini_template_lists_pgqd_keys():
    out = subprocess.run(
        [sys.executable, "-m", "engine.ticker", "--ini"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=daemon_env(),
        timeout=30,
        check=True,
    ).stdout
    assert out.startswith("[pgqd]")
    for key in (
        "logfile",
        "pidfile",
        "base_connstr",
        "initial_database",
        "database_list",
        "ticker_period",
        "maint_period",
        "retry_period",
        "check_period",
        "stats_period",
        "connection_lifetime",
    ):
        assert f"#{key} =" in out, key


def test_serves_every_database_with_pgq_and_survives_a_restart(cluster_factory, tmp_path):
    cluster = cluster_factory()  # pgq installed in its postgres database
    admin = psycopg2.connect(cluster.dsn("postgres"))
    admin.autocommit = True
    cur = admin.cursor()
    cur.execute("select pgq.create_queue('q1')")
    cur.execute("select pgq.set_queue_config('q1', 'ticker_max_lag', '0')")
    cur.execute("create database plain")  # no pgq: left alone
    base = base_connstr(cluster.dsn("postgres"))
    tk, _ = start_ticker(tmp_path, base, (), initial_database="postgres", check_period=0.3)

    def ticks(dbname="postgres"):
        conn = psycopg2.connect(cluster.dsn(dbname))
        try:
            with conn.cursor() as c:
                c.execute("select count(*) from pgq.tick")
                return c.fetchone()[0]
        finally:
            conn.close()

    try:
        wait_for(lambda: "database postgres: ticking" in tk.text(), what="postgres ticking")
        # a database that gets pgq later is picked up at the next check
        cur.execute("create database late")
        from engine.install import install

        late = psycopg2.connect(cluster.dsn("late"))
        install(late)
        late.autocommit = True
        late.cursor().execute("select pgq.create_queue('lq')")
        late.cursor().execute("select pgq.set_queue_config('lq', 'ticker_max_lag', '0')")
        late.cursor().execute("select pgq.insert_event('lq', 't', 'x') from generate_series(1, 2)")
        late.close()
        wait_for(lambda: "database late: ticking" in tk.text(), what="late database")
        wait_for(lambda: ticks("late") > 1, what="ticks in late")
        # a dropped database is let go
        cur.execute("drop database late with (force)")
        wait_for(lambda: "database late is gone" in tk.text(), what="late let go")
        assert "database plain: ticking" not in tk.text()

        # the server goes away and comes back: the ticker reconnects and ticks on
        admin.close()
        cluster.stop()
        time.sleep(1.0)
        cluster.start()
        before = ticks()
        conn = psycopg2.connect(cluster.dsn("postgres"))
        conn.autocommit = True
        conn.cursor().execute("select pgq.insert_event('q1', 't', 'x') from generate_series(1, 2)")
        conn.close()
        wait_for(lambda: ticks() > before, timeout=30, what="ticks after restart")
        wait_for(lambda: "database postgres: reconnected" in tk.text(), what="reconnect logged")
    finally:
        assert tk.stop() == 0


def test_detach_then_kill_switch(db, tmp_path):
    log = tmp_path / "d.log"
    ini = ticker_ini(tmp_path / "d.ini", base_connstr(db.dsn), [db.name], logfile=str(log))
    run = [sys.executable, "-m", "engine.ticker", str(ini)]
    r = subprocess.run([*run, "-d"], capture_output=True, text=True, cwd=PROJECT_ROOT,
                       env=daemon_env(), timeout=30)  # fmt: skip
    assert r.returncode == 0, r.stderr
    pidfile = ini.with_suffix(".pid")
    wait_for(pidfile.exists, what="pidfile of the detached ticker")
    pid = int(pidfile.read_text())
    wait_for(lambda: log.exists() and "ticking" in log.read_text(), what="detached ticking")
    r = subprocess.run([*run, "-k"], capture_output=True, text=True, cwd=PROJECT_ROOT,
                       env=daemon_env(), timeout=30)  # fmt: skip
    assert r.returncode == 0, r.stderr
    wait_for(lambda: not pidfile.exists(), what="pidfile removed")
    wait_for(lambda: not pid_alive(pid), what="detached ticker gone")
    assert "stopped" in log.read_text()


def test_ticker_now_sql(db):
    """pgq.ticker_now(queues[]): tick at once, skip paused/external/unknown, notify."""
    for q in ("a", "b", "c"):
        db.execute("select pgq.create_queue(%s)", (q,))
    db.execute("select pgq.set_queue_config('b', 'ticker_paused', 'true')")
    db.execute("select pgq.set_queue_config('c', 'external_ticker', 'true')")
    listener = db.connect()
    listener.cursor().execute("listen pgq_tick")
    before = {q: last_tick(db, q) for q in "abc"}
    assert db.scalar("select pgq.ticker_now(array['a', 'b', 'c', 'gone'])") == 1
    assert last_tick(db, "a") == before["a"] + 1
    assert (last_tick(db, "b"), last_tick(db, "c")) == (before["b"], before["c"])
    select.select([listener], [], [], 2)
    listener.poll()
    assert [n.payload for n in listener.notifies] == ["a"]
    # no new events needed: the notification already says a commit happened
    assert db.scalar("select pgq.ticker_now(array['a'])") == 1
    assert db.scalar("select pgq.ticker_now(array[]::text[])") == 0
