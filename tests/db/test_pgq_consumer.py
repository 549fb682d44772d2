"""PgQ consumers and batches: register, next_batch*, events, cursors, finish, retry."""

from __future__ import annotations

import psycopg2
import pytest

from tests.pgqtools import batch_events, consume_all, tick


@pytest.fixture
def q1(db):
    db.execute("select pgq.create_queue('q1')")
    return db


def test_register_and_unregister(q1):
    db = q1
    assert db.scalar("select pgq.register_consumer('q1', 'c1')") == 1
    assert db.scalar("select pgq.register_consumer('q1', 'c1')") == 0
    rows = db.dicts("select * from pgq.get_consumer_info('q1', 'c1')")
    assert rows[0]["last_tick"] == 1 and rows[0]["current_batch"] is None
    assert db.scalar("select pgq.unregister_consumer('q1', 'c1')") == 1
    assert db.scalar("select pgq.unregister_consumer('q1', 'c1')") == 0
    assert db.scalar("select count(*) from pgq.consumer") == 0


def test_consumer_row_shared_between_queues(q1):
    db = q1
    db.execute("select pgq.create_queue('q2')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.register_consumer('q2', 'c1')")
    assert db.scalar("select count(*) from pgq.consumer") == 1
    db.execute("select pgq.unregister_consumer('q1', 'c1')")
    assert db.scalar("select count(*) from pgq.consumer") == 1, "still used by q2"
    db.execute("select pgq.unregister_consumer('q2', 'c1')")
    assert db.scalar("select count(*) from pgq.consumer") == 0


def test_register_errors(db):
    with pytest.raises(psycopg2.Error, match="Event queue not created yet: nope"):
        db.execute("select pgq.register_consumer('nope', 'c1')")
    db.execute("select pgq.create_queue('q1')")
    with pytest.raises(psycopg2.Error, match="Invalid NULL value"):
        db.execute("select pgq.register_consumer('q1', NULL)")
    with pytest.raises(psycopg2.Error, match="cannot reposition, tick not found: 99"):
        db.execute("select pgq.register_consumer_at('q1', 'c1', 99)")
    # no ticks at all (e.g. they were deleted): a clear message
    db.execute("delete from pgq.tick")
    with pytest.raises(psycopg2.Error, match="No ticks for this queue"):
        db.execute("select pgq.register_consumer('q1', 'c1')")
    assert db.scalar("select count(*) from pgq.subscription") == 0


def test_next_batch_errors(q1):
    db = q1
    with pytest.raises(psycopg2.Error, match="Not subscriber to queue: q1/c9"):
        db.execute("select pgq.next_batch('q1', 'c9')")
    with pytest.raises(psycopg2.Error, match="Not subscriber to queue: NULL/NULL"):
        db.execute("select pgq.next_batch(NULL, NULL)")
    with pytest.raises(psycopg2.Error, match="Not subscriber to queue: nope/c1"):
        db.execute("select pgq.next_batch('nope', 'c1')")


def test_batch_cycle(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    assert db.scalar("select pgq.next_batch('q1', 'c1')") is None, "no tick yet"
    ids = [db.scalar("select pgq.insert_event('q1', %s, %s)", (f"t{i}", f"d{i}")) for i in range(3)]
    db.execute("select pgq.insert_event('q1', 'x', 'y', 'e1', 'e2', 'e3', 'e4')")
    tick(cur, "q1")
    info = db.dicts("select * from pgq.next_batch_info('q1', 'c1')")[0]
    bid = info["batch_id"]
    assert bid is not None and info["prev_tick_id"] == 1 and info["cur_tick_id"] == 2
    # an open batch is handed out again, with the same ticks
    again = db.dicts("select * from pgq.next_batch_info('q1', 'c1')")[0]
    assert again == info
    assert db.scalar("select pgq.next_batch('q1', 'c1')") == bid
    evs = db.dicts("select * from pgq.get_batch_events(%s)", (bid,))
    assert [e["ev_id"] for e in evs] == [*ids, ids[-1] + 1]
    assert list(evs[0]) == [
        "ev_id", "ev_time", "ev_txid", "ev_retry", "ev_type", "ev_data",
        "ev_extra1", "ev_extra2", "ev_extra3", "ev_extra4",
    ]  # fmt: skip
    assert (evs[3]["ev_type"], evs[3]["ev_extra1"], evs[3]["ev_extra4"]) == ("x", "e1", "e4")
    assert evs[0]["ev_retry"] is None
    binfo = db.dicts("select * from pgq.get_batch_info(%s)", (bid,))[0]
    assert (binfo["queue_name"], binfo["consumer_name"]) == ("q1", "c1")
    assert (binfo["prev_tick_id"], binfo["tick_id"]) == (1, 2)
    assert binfo["seq_end"] >= binfo["seq_start"]
    assert db.scalar("select pgq.finish_batch(%s)", (bid,)) == 1
    assert db.scalar("select pgq.next_batch('q1', 'c1')") is None
    rows = db.dicts("select * from pgq.get_consumer_info('q1', 'c1')")
    assert rows[0]["last_tick"] == 2 and rows[0]["current_batch"] is None


def test_finish_batch_unknown_warns(q1):
    conn = q1.connect()
    cur = conn.cursor()
    cur.execute("select pgq.finish_batch(12345)")
    assert cur.fetchone()[0] == 0
    assert any("batch 12345 not found" in n for n in conn.notices)


def test_closed_batch_errors(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 'a', 'b')")
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    db.execute("select pgq.finish_batch(%s)", (bid,))
    for call in [
        "select * from pgq.get_batch_events(%s)",
        "select pgq.batch_event_sql(%s)",
        "select * from pgq.batch_event_tables(%s)",
        "select * from pgq.get_batch_info(%s)",
        "select pgq.event_retry(%s, 1, 10)",
        "select pgq.batch_retry(%s, 10)",
    ]:
        with pytest.raises(psycopg2.Error, match=r"(?i)batch"):
            db.execute(call, (bid,))


def test_empty_batches_must_be_finished(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    tick(cur, "q1")
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    assert bid is not None
    assert batch_events(cur, bid) == []
    assert db.scalar("select pgq.next_batch('q1', 'c1')") == bid, "stays open until finished"
    db.execute("select pgq.finish_batch(%s)", (bid,))
    bid2 = db.scalar("select pgq.next_batch('q1', 'c1')")
    assert bid2 is not None and bid2 != bid


def test_rolled_back_events_never_appear(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    conn = db.connect(autocommit=False)
    with conn.cursor() as c:
        c.execute("select pgq.insert_event('q1', 'gone', 'x')")
    conn.rollback()
    db.execute("select pgq.insert_event('q1', 'kept', 'x')")
    tick(cur, "q1")
    assert [e[1] for e in consume_all(cur, "q1", "c1")] == ["kept"]


def test_events_of_open_transactions_come_later(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    slow = db.connect(autocommit=False)
    sc = slow.cursor()
    sc.execute("select pgq.insert_event('q1', 'slow', 'x')")
    db.execute("select pgq.insert_event('q1', 'fast', 'x')")
    tick(cur, "q1")
    assert [e[1] for e in consume_all(cur, "q1", "c1")] == ["fast"]
    slow.commit()
    tick(cur, "q1")
    assert [e[1] for e in consume_all(cur, "q1", "c1")] == ["slow"]


def test_register_consumer_at_repositions(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 'a', '1')")
    t2 = tick(cur, "q1")
    db.execute("select pgq.insert_event('q1', 'b', '2')")
    tick(cur, "q1")
    assert [e[2] for e in consume_all(cur, "q1", "c1")] == ["1", "2"]
    # rewind to tick 1: everything again; the open batch is dropped
    assert db.scalar("select pgq.register_consumer_at('q1', 'c1', 1)") == 0
    assert [e[2] for e in consume_all(cur, "q1", "c1")] == ["1", "2"]
    # a new consumer registered at t2 sees only what came after
    assert db.scalar("select pgq.register_consumer_at('q1', 'c2', %s)", (t2,)) == 1
    assert [e[2] for e in consume_all(cur, "q1", "c2")] == ["2"]
    # repositioning closes an open batch
    db.execute("select pgq.register_consumer_at('q1', 'c2', %s)", (t2,))
    bid = db.scalar("select pgq.next_batch('q1', 'c2')")
    assert bid is not None
    db.execute("select pgq.register_consumer_at('q1', 'c2', 1)")
    assert db.scalar("select current_batch from pgq.get_consumer_info('q1', 'c2')") is None


def test_get_batch_cursor_lazy_fetch_and_filter(q1):
    db = q1
    conn = db.connect(autocommit=False)
    cur = conn.cursor()
    cur.execute("select pgq.register_consumer('q1', 'c1')")
    cur.execute(
        "select pgq.insert_event('q1', 'T' || (g % 3), g::text, 'public.t' || (g % 2), null,"
        " null, null) from generate_series(1, 1000) g"
    )
    conn.commit()
    tick(cur, "q1")
    conn.commit()
    cur.execute("select pgq.next_batch('q1', 'c1')")
    bid = cur.fetchone()[0]
    cur.execute("select ev_data from pgq.get_batch_cursor(%s, 'my cursor', 100)", (bid,))
    got = [r[0] for r in cur.fetchall()]
    assert len(got) == 100
    while True:
        cur.execute('fetch 300 from "my cursor"')
        rows = cur.fetchall()
        got.extend(r[5] for r in rows)  # FETCH returns all columns
        if len(rows) < 300:
            break
    cur.execute('close "my cursor"')
    assert got == [str(i) for i in range(1, 1001)]
    # extra where: the Python consumer's table_filter
    cur.execute(
        "select ev_data from pgq.get_batch_cursor(%s, 'c2', 10000, %s)",
        (bid, "ev_extra1 in ('public.t1')"),
    )
    assert [r[0] for r in cur.fetchall()] == [str(i) for i in range(1, 1001, 2)]
    cur.execute("close c2")
    # quick limit 0: cursor only
    cur.execute("select count(*) from pgq.get_batch_cursor(%s, 'c3', 0)", (bid,))
    assert cur.fetchone()[0] == 0
    cur.execute("fetch all from c3")
    assert len(cur.fetchall()) == 1000
    # NULL arguments: nothing
    cur.execute("select count(*) from pgq.get_batch_cursor(%s, NULL, 10, NULL)", (bid,))
    assert cur.fetchone()[0] == 0
    conn.rollback()


def test_event_retry_forms(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.register_consumer('q1', 'other')")
    for i in range(5):
        db.execute("select pgq.insert_event('q1', 't', %s)", (str(i),))
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    evs = batch_events(cur, bid)
    ids = [e[0] for e in evs]
    assert db.scalar("select pgq.event_retry(%s, %s, 0)", (bid, ids[0])) == 1
    assert db.scalar("select pgq.event_retry(%s, %s, 0)", (bid, ids[0])) == 0, "already queued"
    assert db.scalar("select pgq.event_retry(%s, %s, now())", (bid, ids[1])) == 1
    assert db.scalar("select pgq.event_retry(%s, %s::bigint[], 0)", (bid, ids[2:4])) == 2
    with pytest.raises(psycopg2.Error, match="event not found"):
        db.execute("select pgq.event_retry(%s, 999999, 0)", (bid,))
    rq = db.dicts("select * from pgq.retry_queue order by ev_id")
    assert [r["ev_id"] for r in rq] == ids[:4]
    assert all(r["ev_retry"] == 1 and r["ev_txid"] is None for r in rq)
    db.execute("select pgq.finish_batch(%s)", (bid,))
    assert db.scalar("select pgq.maint_retry_events()") == 4
    assert db.scalar("select pgq.maint_retry_events()") == 0
    tick(cur, "q1")
    again = consume_all(cur, "q1", "c1")
    assert [(e[0], e[3]) for e in again] == [(i, 1) for i in ids[:4]], "same ids, retry count 1"
    # the other consumer sees each event once, never the retries of c1
    assert sorted(e[0] for e in consume_all(cur, "q1", "other")) == ids


def test_retry_in_the_future_waits(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    db.execute("select pgq.batch_retry(%s, 3600)", (bid,))
    db.execute("select pgq.finish_batch(%s)", (bid,))
    assert db.scalar("select pgq.maint_retry_events()") == 0
    db.execute("update pgq.retry_queue set ev_retry_after = now() - interval '1 s'")
    assert db.scalar("select pgq.maint_retry_events()") == 1


def test_batch_retry_counts_only_new(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 't', g::text) from generate_series(1, 10) g")
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    first = batch_events(cur, bid)[0][0]
    db.execute("select pgq.event_retry(%s, %s, 0)", (bid, first))
    assert db.scalar("select pgq.batch_retry(%s, 0)", (bid,)) == 9
    assert db.scalar("select pgq.batch_retry(%s, 0)", (bid,)) == 0


def test_retry_count_grows(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    tick(cur, "q1")
    for expected in (None, 1, 2, 3):
        bid = db.scalar("select pgq.next_batch('q1', 'c1')")
        evs = batch_events(cur, bid)
        while not evs:  # empty batches between retries
            db.execute("select pgq.finish_batch(%s)", (bid,))
            tick(cur, "q1")
            bid = db.scalar("select pgq.next_batch('q1', 'c1')")
            evs = batch_events(cur, bid)
        assert evs[0][3] == expected
        db.execute("select pgq.batch_retry(%s, 0)", (bid,))
        db.execute("select pgq.finish_batch(%s)", (bid,))
        db.execute("select pgq.maint_retry_events()")
        tick(cur, "q1")


def test_event_retry_raw(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    eid = db.scalar(
        "select pgq.event_retry_raw('q1', 'c1', now(), NULL, now(), 3, 'rt', 'rd',"
        " 'e1', NULL, NULL, NULL)"
    )
    assert eid is not None
    assert (
        db.scalar(
            "select pgq.event_retry_raw('q1', 'c1', now(), 777, now(), 0, 'rt', 'rd',"
            " NULL, NULL, NULL, NULL)"
        )
        == 777
    )
    with pytest.raises(psycopg2.Error, match="consumer not registered: q1/zz"):
        db.execute(
            "select pgq.event_retry_raw('q1', 'zz', now(), NULL, now(), 0, 't', 'd',"
            " NULL, NULL, NULL, NULL)"
        )
    db.execute("select pgq.maint_retry_events()")
    tick(cur, "q1")
    got = consume_all(cur, "q1", "c1")
    assert sorted(e[0] for e in got) == sorted([eid, 777])


def test_unregister_drops_retry_events(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    db.execute("select pgq.batch_retry(%s, 60)", (bid,))
    assert db.scalar("select count(*) from pgq.retry_queue") == 1
    db.execute("select pgq.unregister_consumer('q1', 'c1')")
    assert db.scalar("select count(*) from pgq.retry_queue") == 0


def test_keep_lag(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    tick(cur, "q1")
    row = db.dicts("select * from pgq.next_batch_custom('q1', 'c1', '1 hour', NULL, NULL)")[0]
    assert all(v is None for v in row.values()), "tick is too young for a 1 hour lag"
    db.execute("update pgq.tick set tick_time = tick_time - interval '2 hours' where tick_id = 2")
    row = db.dicts("select * from pgq.next_batch_custom('q1', 'c1', '1 hour', NULL, NULL)")[0]
    assert row["batch_id"] is not None and row["cur_tick_id"] == 2


def test_batch_collect_by_count_and_interval(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.set_queue_config('q1', 'ticker_max_count', '1')")
    # 5 ticks, 10 events each
    for _ in range(5):
        db.execute("select pgq.insert_event('q1', 't', g::text) from generate_series(1, 10) g")
        tick_id = db.scalar("select pgq.ticker('q1')")
        assert tick_id is not None
    seqs = dict(db.execute("select tick_id, tick_event_seq from pgq.tick order by tick_id"))
    base = seqs[1]
    # want >= 1000 events: not there yet
    row = db.dicts("select * from pgq.next_batch_custom('q1', 'c1', NULL, 1000000000, NULL)")
    assert row[0]["batch_id"] is None
    # want >= N events where the newest tick is within 2x: take the newest
    newest = max(seqs)
    need = (seqs[newest] - base) // 2 + 1
    row = db.dicts("select * from pgq.next_batch_custom('q1', 'c1', NULL, %s, NULL)", (need,))[0]
    assert row["cur_tick_id"] == newest and row["prev_tick_id"] == 1
    db.execute("select pgq.finish_batch(%s)", (row["batch_id"],))
    assert tick_id == newest
    # from tick 1 again, want a small count: the first tick far enough is chosen
    db.execute("select pgq.register_consumer_at('q1', 'c1', 1)")
    need = seqs[3] - base
    row = db.dicts("select * from pgq.next_batch_custom('q1', 'c1', NULL, %s, NULL)", (need,))[0]
    assert row["cur_tick_id"] == 3
    evs = batch_events(cur, row["batch_id"])
    assert len(evs) == 20, "two ticks merged into one batch"
    db.execute("select pgq.finish_batch(%s)", (row["batch_id"],))
    # by interval
    db.execute("update pgq.tick set tick_time = now() - (10 - tick_id) * interval '1 minute'")
    db.execute("select pgq.register_consumer_at('q1', 'c1', 1)")
    row = db.dicts("select * from pgq.next_batch_custom('q1', 'c1', NULL, NULL, '150 seconds')")[0]
    assert row["cur_tick_id"] == 4
    # both: whichever comes first
    db.execute("select pgq.finish_batch(%s)", (row["batch_id"],))
    db.execute("select pgq.register_consumer_at('q1', 'c1', 1)")
    row = db.dicts("select * from pgq.next_batch_custom('q1', 'c1', NULL, 1000000, '90 seconds')")[
        0
    ]
    assert row["cur_tick_id"] == 3


def test_find_tick_helper_direct(q1):
    db = q1
    qid = db.scalar("select queue_id from pgq.queue")
    row = db.dicts("select * from pgq.find_tick_helper(%s, 1, now(), 1, 10, NULL)", (qid,))[0]
    assert row == {"next_tick_id": None, "next_tick_time": None, "next_tick_seq": None}


def test_get_consumer_info_forms(q1):
    db = q1
    db.execute("select pgq.create_queue('q2')")
    db.execute("select pgq.register_consumer('q1', 'b')")
    db.execute("select pgq.register_consumer('q1', 'a')")
    db.execute("select pgq.register_consumer('q2', 'a')")
    assert [tuple(r[:2]) for r in db.execute("select * from pgq.get_consumer_info()")] == [
        ("q1", "a"), ("q1", "b"), ("q2", "a")
    ]  # fmt: skip
    assert len(db.execute("select * from pgq.get_consumer_info('q1')")) == 2
    assert len(db.execute("select * from pgq.get_consumer_info('q2', 'a')")) == 1
    assert len(db.execute("select * from pgq.get_consumer_info('nope')")) == 0
    cur = db.conn.cursor()
    db.execute("select pgq.insert_event('q1', 't', 'd') from generate_series(1, 5)")
    tick(cur, "q1")
    row = db.dicts("select * from pgq.get_consumer_info('q1', 'a')")[0]
    assert row["pending_events"] > 0 and row["lag"] is not None and row["last_seen"] is not None
