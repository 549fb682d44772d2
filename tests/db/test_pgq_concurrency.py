"""The batch invariant under concurrency.

Writers keep transactions open across ticks (some begin before their first insert, some
in REPEATABLE READ) and commit or roll back at random, a ticker ticks and rotates
the tables all the time, and a consumer reads batches:
every committed event must be consumed exactly once, and no rolled-back event may
ever appear.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import psycopg2
import psycopg2.extensions
import pytest

RUN_SECONDS = 4.0


def _writer(dsn, n, stop, committed, rolled_back, errors):
    rnd = random.Random(n)
    try:
        conn = psycopg2.connect(dsn)
        if n % 2:
            conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ)
        cur = conn.cursor()
        seq = 0
        while not stop.is_set():
            batch = []
            if rnd.random() < 0.3:
                # a transaction that writes only later, maybe after a rotation: it may
                # run the insert code it saw before (test_pgq_rotation.py)
                cur.execute("select 1")
                time.sleep(rnd.uniform(0, 0.03))
            for _ in range(rnd.randint(1, 5)):
                seq += 1
                data = f"w{n}-{seq}"
                cur.execute("select pgq.insert_event('q', 'ev', %s)", (data,))
                batch.append(data)
                if rnd.random() < 0.3:
                    time.sleep(rnd.uniform(0, 0.03))  # stay open across ticks
            if rnd.random() < 0.2:
                conn.rollback()
                rolled_back.update(batch)
            else:
                conn.commit()
                committed.update(batch)
        conn.close()
    except Exception as err:  # pragma: no cover - reported by the test
        errors.append(err)


def _ticker(dsn, stop, errors, rotate, rotations):
    try:
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        cur = conn.cursor()
        while not stop.is_set():
            cur.execute("select pgq.ticker()")
            if rotate:
                cur.execute("select pgq.maint_rotate_tables_step1('q')")
                cur.execute("select pgq.maint_rotate_tables_step2()")
                cur.execute("select queue_switch_step1 from pgq.queue")
                rotations.add(cur.fetchone()[0])
            time.sleep(0.005)
        conn.close()
    except Exception as err:  # pragma: no cover
        errors.append(err)


def _consumer(dsn, stop, seen, errors, retry):
    rnd = random.Random(99)
    try:
        conn = psycopg2.connect(dsn)
        cur = conn.cursor()
        while not stop.is_set():
            cur.execute("select pgq.next_batch('q', 'c')")
            bid = cur.fetchone()[0]
            if bid is None:
                conn.commit()
                time.sleep(0.003)
                continue
            cur.execute("select ev_id, ev_data from pgq.get_batch_events(%s)", (bid,))
            rows = cur.fetchall()
            again = [r[0] for r in rows if retry and rnd.random() < 0.1]
            if again:
                cur.execute("select pgq.event_retry(%s, %s::bigint[], 0)", (bid, again))
            seen.extend(r[1] for r in rows if r[0] not in again)
            cur.execute("select pgq.finish_batch(%s)", (bid,))
            conn.commit()
            if retry:
                cur.execute("select pgq.maint_retry_events()")
                conn.commit()
        conn.close()
    except Exception as err:  # pragma: no cover
        errors.append(err)


def _drain(db, seen):
    """Tick until the consumer stands on the last tick and nothing is left to retry."""
    cur = db.conn.cursor()
    for _ in range(200):
        cur.execute("select pgq.maint_retry_events()")
        cur.execute("select pgq.force_tick('q')")
        cur.execute("select pgq.ticker('q')")
        last = cur.fetchone()[0]
        conn = db.connect(autocommit=False)
        c = conn.cursor()
        while True:
            c.execute("select pgq.next_batch('q', 'c')")
            bid = c.fetchone()[0]
            if bid is None:
                break
            c.execute("select ev_data from pgq.get_batch_events(%s)", (bid,))
            seen.extend(r[0] for r in c.fetchall())
            c.execute("select pgq.finish_batch(%s)", (bid,))
            conn.commit()
        conn.commit()
        conn.close()
        pending = db.scalar("select count(*) from pgq.retry_queue")
        if (
            pending == 0
            and db.scalar("select last_tick from pgq.get_consumer_info('q', 'c')") == last
        ):
            return
    raise AssertionError("consumer did not catch up")


@pytest.mark.parametrize(
    ("rotate", "retry"),
    [(False, False), (True, False), (True, True)],
    ids=["plain", "rotate", "retry"],
)
def test_every_committed_event_exactly_once(db, rotate, retry):
    db.execute("select pgq.create_queue('q')")
    db.execute("select pgq.set_queue_config('q', 'ticker_max_count', '1')")
    db.execute("select pgq.set_queue_config('q', 'ticker_max_lag', '0')")
    if rotate:
        db.execute("select pgq.set_queue_config('q', 'rotation_period', '0')")
    db.execute("select pgq.register_consumer('q', 'c')")

    stop_writers, stop_others = threading.Event(), threading.Event()
    committed, rolled_back, seen, errors, rotations = set(), set(), [], [], set()
    writers = [
        threading.Thread(
            target=_writer, args=(db.dsn, n, stop_writers, committed, rolled_back, errors)
        )
        for n in range(4)
    ]
    others = [
        threading.Thread(target=_ticker, args=(db.dsn, stop_others, errors, rotate, rotations)),
        threading.Thread(target=_consumer, args=(db.dsn, stop_others, seen, errors, retry)),
    ]
    for t in writers + others:
        t.start()
    time.sleep(RUN_SECONDS)
    stop_writers.set()
    for t in writers:
        t.join()
    time.sleep(0.2)
    stop_others.set()
    for t in others:
        t.join()
    assert not errors, errors
    _drain(db, seen)

    counts = Counter(seen)
    duplicates = {k: v for k, v in counts.items() if v > 1}
    assert not duplicates, f"events consumed twice: {list(duplicates)[:10]}"
    assert not (set(counts) & rolled_back), "rolled-back events appeared"
    missing = committed - set(counts)
    assert not missing, f"{len(missing)} committed events never consumed: {sorted(missing)[:10]}"
    assert set(counts) == committed
    assert len(committed) > 200, "the run should have produced a fair number of events"
    if rotate:
        assert len(rotations) > 3, "the tables should have rotated several times"
