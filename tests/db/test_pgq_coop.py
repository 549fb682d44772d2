"""pgq_coop: cooperative subconsumers share one consumer; each batch goes to one of them."""

from __future__ import annotations

import psycopg2
import pytest

from tests.pgqtools import batch_events, tick


@pytest.fixture
def q1(db):
    db.execute("select pgq.create_queue('q1')")
    return db


def coop_batch(db, sub, dead=None):
    if dead is None:
        return db.scalar("select pgq_coop.next_batch('q1', 'cc', %s)", (sub,))
    return db.scalar("select pgq_coop.next_batch('q1', 'cc', %s, %s)", (sub, dead))


def test_register_and_unregister_subconsumer(q1):
    db = q1
    assert db.scalar("select pgq_coop.register_subconsumer('q1', 'cc', 's1')") == 1
    assert db.scalar("select pgq_coop.register_subconsumer('q1', 'cc', 's1')") == 0
    assert db.scalar("select pgq_coop.register_subconsumer('q1', 'cc', 's2')") == 1
    rows = db.dicts("select consumer_name, last_tick from pgq.get_consumer_info('q1')")
    assert rows == [
        {"consumer_name": "cc", "last_tick": 1},
        {"consumer_name": "cc.s1", "last_tick": None},
        {"consumer_name": "cc.s2", "last_tick": None},
    ]
    assert db.scalar("select count(distinct sub_id) from pgq.subscription") == 1
    assert db.scalar("select pgq_coop.unregister_subconsumer('q1', 'cc', 's1', 0)") == 1
    assert db.scalar("select pgq_coop.unregister_subconsumer('q1', 'cc', 's1', 0)") == 0
    # unregistering a subconsumer through pgq touches only that row
    assert db.scalar("select pgq.unregister_consumer('q1', 'cc.s2')") == 1
    assert [r[0] for r in db.execute("select consumer_name from pgq.get_consumer_info('q1')")] == [
        "cc"
    ]
    with pytest.raises(psycopg2.Error, match="Invalid NULL value"):
        db.execute("select pgq_coop.register_subconsumer('q1', 'cc', NULL)")
    with pytest.raises(psycopg2.Error, match="Event queue not created yet"):
        db.execute("select pgq_coop.register_subconsumer('nope', 'cc', 's1')")


def test_each_batch_goes_to_one_subconsumer(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq_coop.register_subconsumer('q1', 'cc', 's1')")
    db.execute("select pgq_coop.register_subconsumer('q1', 'cc', 's2')")
    assert coop_batch(db, "s1") is None
    db.execute("select pgq.insert_event('q1', 't', 'a')")
    tick(cur, "q1")
    db.execute("select pgq.insert_event('q1', 't', 'b')")
    tick(cur, "q1")
    b1 = coop_batch(db, "s1")
    b2 = coop_batch(db, "s2")
    assert b1 and b2 and b1 != b2
    assert coop_batch(db, "s1") == b1, "open batch is handed out again"
    assert [e[2] for e in batch_events(cur, b1)] == ["a"]
    assert [e[2] for e in batch_events(cur, b2)] == ["b"]
    # out of order completion is fine
    assert db.scalar("select pgq_coop.finish_batch(%s)", (b2,)) == 1
    assert db.scalar("select pgq_coop.finish_batch(%s)", (b1,)) == 1
    assert coop_batch(db, "s1") is None
    assert db.scalar("select last_tick from pgq.get_consumer_info('q1', 'cc')") == 3


def test_active_batch_blocks_unregister_unless_dropped(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.insert_event('q1', 't', 'a')")
    db.execute("select pgq_coop.register_subconsumer('q1', 'cc', 's1')")
    tick(cur, "q1")
    assert coop_batch(db, "s1") is not None
    with pytest.raises(psycopg2.Error, match="subconsumer has active batch"):
        db.execute("select pgq_coop.unregister_subconsumer('q1', 'cc', 's1', 0)")
    assert db.scalar("select pgq_coop.unregister_subconsumer('q1', 'cc', 's1', 1)") == 1


def test_dead_subconsumer_batch_is_taken_over(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq_coop.register_subconsumer('q1', 'cc', 's1')")
    db.execute("select pgq_coop.register_subconsumer('q1', 'cc', 's2')")
    db.execute("select pgq.insert_event('q1', 't', 'a')")
    tick(cur, "q1")
    b1 = coop_batch(db, "s1")
    db.execute(
        "update pgq.subscription set sub_active = now() - interval '1 hour' where sub_batch = %s",
        (b1,),
    )
    assert coop_batch(db, "s2", "10 minutes") == b1
    names = [r[0] for r in db.execute("select consumer_name from pgq.get_consumer_info('q1')")]
    assert names == ["cc", "cc.s2"]
    assert [e[2] for e in batch_events(cur, b1)] == ["a"]
    assert db.scalar("select pgq_coop.finish_batch(%s)", (b1,)) == 1


def test_main_consumer_unregister_removes_subconsumers_and_retries(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq_coop.register_subconsumer('q1', 'cc', 's1')")
    db.execute("select pgq.insert_event('q1', 't', 'a')")
    tick(cur, "q1")
    b1 = coop_batch(db, "s1")
    db.execute("select pgq.batch_retry(%s, 60)", (b1,))
    assert db.scalar("select count(*) from pgq.retry_queue") == 1
    assert db.scalar("select pgq.unregister_consumer('q1', 'cc')") == 2
    assert db.scalar("select count(*) from pgq.subscription") == 0
    assert db.scalar("select count(*) from pgq.retry_queue") == 0
    assert db.scalar("select count(*) from pgq.consumer") == 0


def test_coop_retry_goes_to_the_consumer(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq_coop.register_subconsumer('q1', 'cc', 's1')")
    db.execute("select pgq.insert_event('q1', 't', 'a')")
    tick(cur, "q1")
    b1 = coop_batch(db, "s1")
    db.execute("select pgq.batch_retry(%s, 0)", (b1,))
    db.execute("select pgq_coop.finish_batch(%s)", (b1,))
    db.execute("select pgq.maint_retry_events()")
    tick(cur, "q1")
    b2 = coop_batch(db, "s2")  # registered on the fly
    assert [(e[2], e[3]) for e in batch_events(cur, b2)] == [("a", 1)]


def test_finish_unknown_batch_warns(q1):
    conn = q1.connect()
    cur = conn.cursor()
    cur.execute("select pgq_coop.finish_batch(424242)")
    assert cur.fetchone()[0] == 0
    assert any("424242" in n for n in conn.notices)


def test_next_batch_custom_forms(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq_coop.register_subconsumer('q1', 'cc', 's1')")
    db.execute("select pgq.insert_event('q1', 't', 'a')")
    tick(cur, "q1")
    assert (
        db.scalar("select pgq_coop.next_batch_custom('q1', 'cc', 's1', '1 hour', NULL, NULL)")
        is None
    ), "keep-lag"
    assert (
        db.scalar("select pgq_coop.next_batch_custom('q1', 'cc', 's1', NULL, NULL, NULL, '1 hour')")
        is not None
    )
