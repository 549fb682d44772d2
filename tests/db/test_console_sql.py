"""The SQL functions added for the console: rename queue/consumer, copy position,
delete event, tick now."""

from __future__ import annotations

import psycopg2
import pytest


def setup_queue(db, name="q"):
    db.execute("select pgq.create_queue(%s)", (name,))


def test_rename_queue_keeps_everything(db):
    setup_queue(db)
    db.execute("select pgq.register_consumer('q', 'c')")
    db.execute("select pgq.insert_event('q', 't', 'd')")
    assert db.scalar("select pgq.rename_queue('q', 'r')") == 1
    assert db.scalar("select pgq.rename_queue('r', 'r')") == 0
    assert db.scalar("select count(*) from pgq.get_consumer_info('r')") == 1
    db.execute("select pgq.insert_event('r', 't', 'd2')")
    db.execute("select pgq.tick_queue('r')")
    batch = db.scalar("select pgq.next_batch('r', 'c')")
    assert [r[0] for r in db.execute("select ev_data from pgq.get_batch_events(%s)", (batch,))] == [
        "d",
        "d2",
    ]
    with pytest.raises(psycopg2.Error, match="No such event queue"):
        db.execute("select pgq.rename_queue('q', 'x')")
    setup_queue(db, "other")
    with pytest.raises(psycopg2.Error, match="already exists"):
        db.execute("select pgq.rename_queue('r', 'other')")


def test_rename_queue_refuses_a_queue_written_by_triggers(db):
    setup_queue(db)
    db.execute(
        "create function pgq.test_trg() returns trigger language plpgsql"
        " as $$ begin return null; end $$"
    )
    db.execute("create table t (id int)")
    db.execute(
        "create trigger t_q after insert on t for each row execute function pgq.test_trg('q')"
    )
    with pytest.raises(psycopg2.Error, match=r"capture triggers: t_q on public\.t") as info:
        db.execute("select pgq.rename_queue('q', 'r')")
    assert info.value.diag.message_hint


def test_rename_consumer_moves_position_batch_retries_and_subconsumers(db):
    setup_queue(db)
    setup_queue(db, "other")
    db.execute("select pgq.register_consumer('q', 'c')")
    db.execute("select pgq.register_consumer('other', 'c')")
    db.execute("select pgq_coop.register_subconsumer('q', 'c', 's1')")
    db.execute("select pgq.insert_event('q', 't', 'd')")
    db.execute("select pgq.tick_queue('q')")
    batch = db.scalar("select pgq.next_batch('q', 'c')")
    ev = db.scalar("select ev_id from pgq.get_batch_events(%s)", (batch,))
    db.execute("select pgq.event_retry(%s, %s, 0)", (batch, ev))
    assert db.scalar("select pgq.rename_consumer('q', 'c', 'd')") == 1
    info = db.dicts("select * from pgq.get_consumer_info() order by 1, 2")
    assert [(r["queue_name"], r["consumer_name"]) for r in info] == [
        ("other", "c"),
        ("q", "d"),
        ("q", "d.s1"),
    ]
    assert info[1]["current_batch"] == batch
    assert db.scalar("select count(*) from pgq.retry_queue") == 1
    assert db.scalar("select pgq.finish_batch(%s)", (batch,)) == 1
    # the old name stays for the other queue only; the sub's old name is gone
    assert db.scalar("select count(*) from pgq.consumer where co_name = 'c.s1'") == 0
    with pytest.raises(psycopg2.Error, match="not registered"):
        db.execute("select pgq.rename_consumer('q', 'c', 'x')")
    db.execute("select pgq.register_consumer('q', 'e')")
    with pytest.raises(psycopg2.Error, match="already registered"):
        db.execute("select pgq.rename_consumer('q', 'd', 'e')")


def test_register_consumer_copy(db):
    setup_queue(db)
    db.execute("select pgq.register_consumer('q', 'a')")
    db.execute("select pgq.tick_queue('q')")
    db.execute("select pgq.register_consumer('q', 'b')")
    assert db.scalar("select pgq.register_consumer_copy('q', 'c', 'a')") == 1
    assert db.scalar("select pgq.register_consumer_copy('q', 'b', 'a')") == 0
    ticks = dict(db.execute("select consumer_name, last_tick from pgq.get_consumer_info('q')"))
    assert ticks == {"a": 1, "b": 1, "c": 1}
    with pytest.raises(psycopg2.Error, match='consumer "x" is not registered'):
        db.execute("select pgq.register_consumer_copy('q', 'c', 'x')")
    db.execute("select pgq_coop.register_subconsumer('q', 'a', 's')")
    with pytest.raises(psycopg2.Error, match="no position of its own"):
        db.execute("select pgq.register_consumer_copy('q', 'z', 'a.s')")


def test_delete_event_refuses_open_batch_and_removes_every_copy(db):
    setup_queue(db)
    db.execute("select pgq.register_consumer('q', 'c')")
    db.execute("select pgq.register_consumer('q', 'late')")
    e1 = db.scalar("select pgq.insert_event('q', 't', 'poison')")
    e2 = db.scalar("select pgq.insert_event('q', 't', 'fine')")
    db.execute("select pgq.tick_queue('q')")
    batch = db.scalar("select pgq.next_batch('q', 'c')")
    with pytest.raises(
        psycopg2.Error, match=f'event {e1} is in an open batch: batch {batch} of consumer "c"'
    ):
        db.execute("select pgq.delete_event('q', %s)", (e1,))
    db.execute("select pgq.event_retry(%s, %s, 3600)", (batch, e1))
    db.execute("select pgq.finish_batch(%s)", (batch,))
    assert db.scalar("select pgq.delete_event('q', %s)", (e1,)) == 2  # table + retry queue
    with pytest.raises(psycopg2.Error, match="not found"):
        db.execute("select pgq.delete_event('q', %s)", (e1,))
    # the other consumer's next batch has only the good event
    batch2 = db.scalar("select pgq.next_batch('q', 'late')")
    assert [r[0] for r in db.execute("select ev_id from pgq.get_batch_events(%s)", (batch2,))] == [
        e2
    ]


def test_delete_event_ignores_batches_that_do_not_hold_it(db):
    setup_queue(db)
    db.execute("select pgq.register_consumer('q', 'c')")
    db.execute("select pgq.tick_queue('q')")
    batch = db.scalar("select pgq.next_batch('q', 'c')")
    assert batch is not None
    e1 = db.scalar("select pgq.insert_event('q', 't', 'later')")
    assert db.scalar("select pgq.delete_event('q', %s)", (e1,)) == 1


def test_tick_queue_ticks_without_moving_the_event_sequence(db):
    setup_queue(db)
    before = db.scalar("select last_value from pgq.event_1_id_seq")
    t1 = db.scalar("select pgq.tick_queue('q')")
    t2 = db.scalar("select pgq.tick_queue('q')")
    assert (t1, t2) == (2, 3)
    assert db.scalar("select last_value from pgq.event_1_id_seq") == before
    db.execute("select pgq.set_queue_config('q', 'ticker_paused', 'true')")
    with pytest.raises(psycopg2.Error, match="paused"):
        db.execute("select pgq.tick_queue('q')")
    db.execute("select pgq.set_queue_config('q', 'ticker_paused', 'false')")
    db.execute("select pgq.set_queue_config('q', 'external_ticker', 'true')")
    with pytest.raises(psycopg2.Error, match="external tick source"):
        db.execute("select pgq.tick_queue('q')")


def test_console_functions_are_granted_to_pgq_roles(db):
    rows = db.execute(
        "select p.proname, has_function_privilege('pgq_admin', p.oid, 'execute'),"
        " has_function_privilege('public', p.oid, 'execute')"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'pgq' and p.proname in"
        " ('rename_queue', 'rename_consumer', 'delete_event', 'tick_queue',"
        "  'register_consumer_copy', '_consumer_id')"
    )
    assert len(rows) == 6
    assert all(admin and not public for _, admin, public in rows)
