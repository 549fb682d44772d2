"""Fault tests with real processes: kill -9 consumers again and again, restart the server,
a handler that fails on one event.  Nothing committed may be lost; queue_mover and
table_dispatcher must apply every event exactly once."""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
import time
from collections import Counter

import psycopg2
from psycopg2 import sql

from engine.supervisor import Supervisor
from tests.conftest import Database
from tests.db.daemon_util import Proc, base_connstr, ticker_ini, wait_for, write_ini

KILLS_PER_CONSUMER = 50
REMOTE_POINTS = (
    "after_next_batch",
    "after_load",
    "after_dst_commit",
    "after_process",  # processed, before finish_batch
    "after_finish",  # finish_batch done, not committed
    "after_commit",
)
LOCAL_POINTS = ("after_next_batch", "after_load", "after_process", "after_finish", "after_commit")


def queue_data(db: Database, queue: str) -> list[str]:
    """ev_data of every event stored in a queue (the parent table has all data tables)."""
    pfx = db.scalar("select queue_data_pfx from pgq.queue where queue_name = %s", (queue,))
    return [
        r[0]
        for r in db.execute(
            sql.SQL("select ev_data from {}").format(sql.Identifier(*pfx.split(".")))
        )
    ]


class Producer(threading.Thread):
    """Commits small transactions of events until stopped; remembers what it committed."""

    def __init__(self, dsn: str, queue: str) -> None:
        super().__init__(daemon=True)
        self.dsn, self.queue = dsn, queue
        self.committed: list[str] = []
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            conn = psycopg2.connect(self.dsn)
            n = 0
            with conn.cursor() as cur:
                while not self.stopping.is_set():
                    size = random.randint(1, 8)
                    datas = [f"p{n + i}" for i in range(size)]
                    cur.execute(
                        "select pgq.insert_event(%s, 't', d) from unnest(%s::text[]) d",
                        (self.queue, datas),
                    )
                    conn.commit()
                    self.committed.extend(datas)
                    n += size
                    time.sleep(random.uniform(0.002, 0.02))
            conn.close()
        except BaseException as e:
            self.error = e


def test_kill9_consumers_at_random_points(db, db2, tmp_path):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.set_queue_config('q1', 'notify', 'true')")
    db2.execute("select pgq.create_queue('dq')")
    db2.execute("create table evs (ev_id bigint, ev_data text)")  # no key: doubles would show
    outdir = tmp_path / "exec-out"
    outdir.mkdir()
    common = {
        "db": db.dsn,
        "queue_name": "q1",
        "loop_delay": 0.2,
        "exception_sleep": 0.2,
        "pgq_lazy_fetch": 5,  # big batches go through the cursor, FETCH by FETCH
    }
    configs = {
        "mover": {"handler": "queue_mover", "dst_db": db2.dsn, "dst_queue": "dq"},
        "disp": {"handler": "table_dispatcher", "dst_db": db2.dsn, "table": "evs"},
        # one file per run: a run killed halfway leaves a partial file, never a torn line
        "exec": {"handler": "exec", "command": f'f=$(mktemp -p {outdir}) && cat > "$f"'},
    }
    inis = {}
    for name, keys in configs.items():
        inis[name] = write_ini(tmp_path / f"{name}.ini", "consumer", {**common, **keys})
        db.execute("select pgq.register_consumer('q1', %s)", (name,))
    tk = Proc(
        "engine.ticker",
        [str(ticker_ini(tmp_path / "tk.ini", base_connstr(db.dsn), [db.name]))],
        tmp_path / "tk.log",
    )
    producer = Producer(db.dsn, "q1")
    producer.start()

    points = {n: REMOTE_POINTS if n != "exec" else LOCAL_POINTS for n in configs}
    runs = Counter()
    kills = Counter()
    logs = []

    def launch(name: str) -> Proc:
        i = runs[name]
        runs[name] += 1
        log = tmp_path / f"{name}.{i}.log"
        logs.append(log)
        if i % 4 == 3:  # every fourth run: SIGKILL from outside at a random moment
            p = Proc("engine.consumer", [str(inis[name])], log)
            p.kill_at = time.monotonic() + random.uniform(0.05, 0.8)
        else:  # die at a named point of the batch loop
            point = points[name][i % len(points[name])]
            env = {"QADMIN_TEST_KILL_AT": point, "QADMIN_TEST_KILL_PROB": "1"}
            p = Proc("engine.consumer", [str(inis[name])], log, env=env)
            p.kill_at = time.monotonic() + 5  # safety net
        return p

    procs = {name: launch(name) for name in configs}
    deadline = time.monotonic() + 150
    try:
        while min(kills[n] for n in configs) < KILLS_PER_CONSUMER:
            assert time.monotonic() < deadline, f"too slow: {dict(kills)}"
            for name, p in procs.items():
                if p.alive() and time.monotonic() < p.kill_at:
                    continue
                if p.alive():
                    p.kill()
                else:
                    p.wait()
                kills[name] += 1
                procs[name] = launch(name)
            time.sleep(0.01)
        producer.stopping.set()
        producer.join(10)
        assert producer.error is None, producer.error
        for p in procs.values():
            p.kill()

        hooks = Counter()
        skipped = 0
        for log in logs:
            text = log.read_text()
            hooks.update(re.findall(r"test hook: SIGKILL at (\w+)", text))
            skipped += text.count("was applied to the target already")
        for point in REMOTE_POINTS:
            assert hooks[point] > 0, f"never killed at {point}: {dict(hooks)}"
        # a batch applied on the target but not finished at the source was not redone
        assert skipped > 0

        # everything committed is processed once the consumers run undisturbed
        produced = producer.committed
        assert len(produced) > 200
        finals = {
            name: Proc("engine.consumer", [str(inis[name])], tmp_path / f"{name}.final.log")
            for name in configs
        }
        try:
            # the backlog of ~30 kills: up to a minute beside the suite's other worker
            # (20 s timed out twice on 2 cores; nothing lost waits in vain)
            catch_up = 60
            wait_for(lambda: len(queue_data(db2, "dq")) >= len(produced), catch_up, what="mover")
            wait_for(
                lambda: db2.scalar("select count(*) from evs") >= len(produced),
                catch_up,
                what="disp",
            )

            def exec_seen():
                seen = Counter()
                for f in outdir.iterdir():
                    for line in f.read_text().splitlines():
                        with contextlib.suppress(ValueError):  # a run killed while writing
                            seen[json.loads(line)["ev_data"]] += 1
                return seen

            wait_for(lambda: set(produced) <= set(exec_seen()), catch_up, what="exec")
            for name in configs:  # every consumer is at the end of the queue
                wait_for(
                    lambda name=name: db.scalar(
                        "select current_batch is null and pending_events = 0"
                        " from pgq.get_consumer_info('q1', %s)",
                        (name,),
                    ),
                    what=f"{name} caught up",
                )
        finally:
            for p in finals.values():
                assert p.stop() == 0
        moved = Counter(queue_data(db2, "dq"))
        dispatched = Counter(r[0] for r in db2.execute("select ev_data from evs"))
        assert sorted(moved) == sorted(produced)
        assert max(moved.values()) == 1, "queue_mover applied an event twice"
        assert sorted(dispatched) == sorted(produced)
        assert max(dispatched.values()) == 1, "table_dispatcher applied an event twice"
        assert set(exec_seen()) == set(produced)
        assert sum(kills.values()) >= 3 * KILLS_PER_CONSUMER
    finally:
        producer.stopping.set()
        for p in procs.values():
            if p.alive():
                p.kill()
        tk.stop()


def test_server_restart_under_ticker_and_consumer(cluster_factory, tmp_path, daemon_state):
    cluster = cluster_factory()
    dsn = cluster.dsn("postgres")
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("select pgq.create_queue('q1')")
    cur.execute("select pgq.set_queue_config('q1', 'ticker_max_lag', '0.2')")
    cur.execute("create table evs (ev_id bigint, ev_data text)")
    sv = Supervisor(daemon_state)
    sv.start_ticker(
        "tk",
        databases=["postgres"],
        base_connstr=base_connstr(dsn),
        options={"ticker_period": 0.1},
    )
    sv.start_consumer(
        "disp",
        "q1",
        "table_dispatcher",
        {"table": "evs", "exception_sleep": 2, "loop_delay": 0.2},
        db=dsn,
    )

    def insert(first, n):
        c = psycopg2.connect(dsn)
        c.autocommit = True
        c.cursor().execute(
            "select pgq.insert_event('q1', 't', 'e' || i) from generate_series(%s, %s) i",
            (first, first + n - 1),
        )
        c.close()

    def count():
        c = psycopg2.connect(dsn)
        try:
            with c.cursor() as cr:
                cr.execute("select count(*), count(distinct ev_data) from evs")
                return cr.fetchone()
        finally:
            c.close()

    try:
        insert(1, 50)
        wait_for(lambda: count() == (50, 50), what="first 50")
        insert(51, 50)  # committed just before the server goes away
        conn.close()
        cluster.stop()
        time.sleep(1.5)
        cluster.start()
        insert(101, 50)
        wait_for(lambda: count()[0] >= 150, timeout=40, what="all 150 after the restart")
        time.sleep(0.5)
        assert count() == (150, 150)
        wait_for(lambda: "reconnected" in "\n".join(sv.log_tail("tk", 50)), what="ticker log")
        consumer_log = "\n".join(sv.log_tail("disp", 50))
        assert "reconnecting" in consumer_log
        assert "recovered" in consumer_log
        rows = {r.name: r for r in sv.status()}
        assert rows["tk"].state == rows["disp"].state == "running"
        assert rows["disp"].last_error  # the connection loss was recorded
    finally:
        sv.stop("ALL", now=True)


def test_failing_event_goes_to_retry_and_shows_in_status(db, tmp_path, daemon_state):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.set_queue_config('q1', 'notify', 'true')")
    db.execute("create table good (ev_id bigint, ev_data text)")
    sv = Supervisor(daemon_state)
    sv.start_ticker(
        "tk",
        databases=[db.name],
        base_connstr=base_connstr(db.dsn),
        options={"ticker_period": 0.1, "retry_period": 0.2},
    )
    sv.start_consumer(
        "picky",
        "q1",
        "python:tests.db.daemon_util.FailOnBad",
        {"pgq_retry_delay": 1},
        db=db.dsn,
    )
    try:
        wait_for(lambda: db.scalar("select count(*) from pgq.subscription") == 1, what="register")
        db.execute("select pgq.insert_event('q1', 't', d) from unnest(array['a', 'bad', 'c']) d")
        wait_for(lambda: db.scalar("select count(*) from good") == 2, what="the others")
        assert sorted(r[0] for r in db.execute("select ev_data from good")) == ["a", "c"]
        # the bad one went to retry, came back later and failed again
        wait_for(
            lambda: (
                (db.scalar("select max(ev_retry) from pgq.retry_queue where ev_data = 'bad'") or 0)
                >= 2
            ),
            timeout=15,
            what="second retry",
        )
        row = sv.info("picky")
        assert row.state == "running"
        assert "cannot handle bad event" in (row.last_error or "")
        assert row.lag is not None
        log = "\n".join(sv.log_tail("picky", 200))
        assert "failed, retrying in 1 s" in log
        assert "cannot handle bad event" in log
        db.execute("insert into good values (0, 'more')")
        db.execute("select pgq.insert_event('q1', 't', 'd')")
        wait_for(lambda: db.scalar("select count(*) from good") == 4, what="goes on")
    finally:
        sv.stop("ALL", now=True)
