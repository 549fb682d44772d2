"""PgQ ticking, producing and maintenance: ticker rules, limits, rotation, retry moves."""

from __future__ import annotations

import select
import time

import psycopg2
import pytest

from tests.pgqtools import consume_all, tick


@pytest.fixture
def q1(db):
    db.execute("select pgq.create_queue('q1')")
    return db


def wait_notifies(conn, timeout=2.0):
    """Payloads of the notifications that arrive within timeout (stops once some came)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        select.select([conn], [], [], 0.05)
        conn.poll()
        if conn.notifies:
            time.sleep(0.05)
            conn.poll()
            break
    got = [n.payload for n in conn.notifies]
    conn.notifies.clear()
    return got


def age_ticks(db, seconds):
    db.execute("update pgq.tick set tick_time = tick_time - %s * interval '1 second'", (seconds,))


def test_ticker_skips_until_count_or_lag(q1):
    db = q1
    db.execute("select pgq.set_queue_config('q1', 'ticker_max_count', '10')")
    assert db.scalar("select pgq.ticker('q1')") is None, "nothing new, tick is young"
    db.execute("select pgq.insert_event('q1', 't', 'd') from generate_series(1, 5)")
    assert db.scalar("select pgq.ticker('q1')") is None, "4 new < 10 and lag < 3 s"
    db.execute("select pgq.insert_event('q1', 't', 'd') from generate_series(1, 6)")
    assert db.scalar("select pgq.ticker('q1')") == 2, "10 new events"
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    assert db.scalar("select pgq.ticker('q1')") is None
    age_ticks(db, 4)
    assert db.scalar("select pgq.ticker('q1')") == 3, "older than max_lag"


def test_ticker_idle_ticks_thin_out(q1):
    db = q1
    # no events: no tick before idle_period when there is no previous gap
    age_ticks(db, 30)
    assert db.scalar("select pgq.ticker('q1')") is None
    age_ticks(db, 31)
    assert db.scalar("select pgq.ticker('q1')") == 2, "idle period reached"
    # tick 1 is 61 s older than tick 2: the gap doubles, capped by idle_period
    age_ticks(db, 40)
    assert db.scalar("select pgq.ticker('q1')") is None, "lag 40 s < 60 s idle"
    # short gaps: the next idle tick comes after twice the previous gap
    db.execute("delete from pgq.tick")
    db.execute(
        "insert into pgq.tick (tick_queue, tick_id, tick_time, tick_event_seq)"
        " select queue_id, 10, now() - interval '12 seconds', pgq.seq_getval(queue_event_seq)"
        " from pgq.queue"
    )
    db.execute(
        "insert into pgq.tick (tick_queue, tick_id, tick_time, tick_event_seq)"
        " select queue_id, 11, now() - interval '4 seconds', pgq.seq_getval(queue_event_seq)"
        " from pgq.queue"
    )
    assert db.scalar("select pgq.ticker('q1')") is None, "4 s < 2 x 8 s gap"
    age_ticks(db, 13)
    assert db.scalar("select pgq.ticker('q1')") is not None, "17 s > 2 x 8 s"


def test_ticker_errors(q1):
    db = q1
    with pytest.raises(psycopg2.Error, match="no such queue: nope"):
        db.execute("select pgq.ticker('nope')")
    db.execute("select pgq.set_queue_config('q1', 'ticker_paused', 'true')")
    with pytest.raises(psycopg2.Error, match="Ticker has been paused"):
        db.execute("select pgq.ticker('q1')")
    db.execute("select pgq.set_queue_config('q1', 'ticker_paused', 'false')")
    db.execute("select pgq.set_queue_config('q1', 'external_ticker', 'true')")
    with pytest.raises(psycopg2.Error, match="external tick source"):
        db.execute("select pgq.ticker('q1')")


def test_ticker_all_queues_skips_paused_and_external(q1):
    db = q1
    for q in ("q2", "q3"):
        db.execute("select pgq.create_queue(%s)", (q,))
    db.execute("select pgq.set_queue_config('q2', 'ticker_paused', 'true')")
    db.execute("select pgq.set_queue_config('q3', 'external_ticker', 'true')")
    for q in ("q1", "q2", "q3"):
        db.execute("select pgq.force_tick(%s)", (q,))
    assert db.scalar("select pgq.ticker()") == 1
    ticks = dict(
        db.execute(
            "select queue_name, max(tick_id) from pgq.tick join pgq.queue on queue_id = tick_queue"
            " group by 1"
        )
    )
    assert ticks == {"q1": 2, "q2": 1, "q3": 1}


def test_external_ticker(q1):
    db = q1
    db.execute("select pgq.set_queue_config('q1', 'external_ticker', 'true')")
    assert db.scalar("select pgq.ticker('q1', 100, now(), 5000)") == 100
    assert db.scalar("select pgq.seq_getval(queue_tick_seq) from pgq.queue") == 100
    assert db.scalar("select pgq.seq_getval(queue_event_seq) from pgq.queue") == 5000
    # ids in the past never move the sequences back
    db.execute("select pgq.ticker('q1', 101, now(), 10)")
    assert db.scalar("select pgq.seq_getval(queue_event_seq) from pgq.queue") == 5000
    with pytest.raises(psycopg2.Error, match="queue not found or ticker disabled: nope"):
        db.execute("select pgq.ticker('nope', 1, now(), 1)")
    db.execute("select pgq.set_queue_config('q1', 'external_ticker', 'false')")
    with pytest.raises(psycopg2.Error, match="queue not found or ticker disabled: q1"):
        db.execute("select pgq.ticker('q1', 102, now(), 1)")


def test_force_tick(q1):
    db = q1
    assert db.scalar("select pgq.force_tick('q1')") == 1
    assert db.scalar("select pgq.ticker('q1')") == 2
    assert db.scalar("select pgq.force_tick('q1')") == 2
    assert db.scalar("select pgq.force_tick('nope')") is None  # as the original
    # the counter moves as the original's: the next id + 2 * ticker_max_count + 1000
    db.execute("select pgq.insert_event('q1', 'x', 'y')")
    seq = "select pgq.seq_getval(queue_event_seq) from pgq.queue where queue_name = 'q1'"
    before = db.scalar(seq)
    db.execute("select pgq.force_tick('q1')")
    assert db.scalar(seq) == before + 1 + 2 * 500 + 1000
    # paused: no-op
    db.execute("select pgq.set_queue_config('q1', 'ticker_paused', 'true')")
    before = db.scalar("select pgq.seq_getval(queue_event_seq) from pgq.queue")
    db.execute("select pgq.force_tick('q1')")
    assert db.scalar("select pgq.seq_getval(queue_event_seq) from pgq.queue") == before


def test_tick_sends_notify(q1):
    db = q1
    listener = db.connect()
    listener.cursor().execute("listen pgq_tick")
    tick(db.conn.cursor(), "q1")
    assert wait_notifies(listener) == ["q1"]


def test_insert_notify_is_opt_in_and_once_per_transaction(q1):
    db = q1
    listener = db.connect()
    listener.cursor().execute("listen pgq_insert")
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    assert wait_notifies(listener, timeout=0.3) == []
    db.execute("select pgq.set_queue_config('q1', 'notify', 'true')")
    conn = db.connect(autocommit=False)
    with conn.cursor() as cur:
        for _ in range(3):
            cur.execute("select pgq.insert_event('q1', 't', 'd')")
        cur.execute("select pgq.insert_event_bulk('q1', array['a', 'b'], array['1', '2'])")
    conn.commit()
    assert wait_notifies(listener) == ["q1"]


def test_insert_unknown_queue(db):
    with pytest.raises(psycopg2.Error, match="No such event queue: nope"):
        db.execute("select pgq.insert_event('nope', 't', 'd')")
    with pytest.raises(psycopg2.Error, match="No such event queue: nope"):
        db.execute("select pgq.insert_event_bulk('nope', array['t'], array['d'])")
    with pytest.raises(psycopg2.Error, match="Event queue not found: nope"):
        db.execute("select pgq.current_event_table('nope')")


def test_insert_event_raw_keeps_given_fields(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    eid = db.scalar(
        "select pgq.insert_event_raw('q1', 4242, '2020-01-02 03:04:05+00', NULL, 7, 'T', 'D',"
        " '1', '2', '3', '4')"
    )
    assert eid == 4242
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    ev = db.dicts("select * from pgq.get_batch_events(%s)", (bid,))[0]
    assert ev["ev_id"] == 4242 and ev["ev_retry"] == 7
    assert str(ev["ev_time"]) == "2020-01-02 03:04:05+00:00"
    assert [ev[f"ev_extra{i}"] for i in range(1, 5)] == ["1", "2", "3", "4"]


def test_insert_into_queue_created_by_another_session(q1):
    """A session whose generated insert code predates a queue uses the dynamic path."""
    db = q1
    other = db.connect()
    oc = other.cursor()
    oc.execute("select pgq.insert_event('q1', 't', 'd')")  # compiles the code
    db.execute("select pgq.create_queue('q2')")
    oc.execute("select pgq.insert_event('q2', 't', 'd')")
    assert oc.fetchone()[0] is not None
    assert db.scalar("select count(*) from pgq.event_template where ev_type = 't'") == 2


def test_many_queues_use_the_generated_tree(db):
    for i in range(20):
        db.execute("select pgq.create_queue(%s)", (f"q{i}",))
    # the queues' code is in the bucket functions insert_event_raw calls (test_pgq_scale.py)
    code = db.scalar(
        "select string_agg(prosrc, '') from pg_proc where pronamespace = 'pgq'::regnamespace"
        " and (proname = 'insert_event_raw' or proname ~ '^_insert_raw_b[0-9]{2}$')"
    )
    # one INSERT per queue: into its current table
    assert code.count("insert into pgq.event_") == 20
    for i in range(20):
        db.execute("select pgq.insert_event(%s, 't', %s)", (f"q{i}", str(i)))
    rows = db.execute(
        "select q.queue_name, e.ev_data from pgq.queue q"
        " join pgq.event_template e"
        " on e.tableoid::regclass::text ~ ('^' || q.queue_data_pfx || '_[0-9]+$')"
        " order by q.queue_id"
    )
    assert rows == [(f"q{i}", str(i)) for i in range(20)]
    db.execute("select pgq.drop_queue('q5')")
    with pytest.raises(psycopg2.Error, match="No such event queue: q5"):
        db.execute("select pgq.insert_event('q5', 't', 'd')")


def test_per_tx_limit(q1):
    db = q1
    db.execute("select pgq.set_queue_config('q1', 'per_tx_limit', '3')")
    conn = db.connect(autocommit=False)
    cur = conn.cursor()
    for _ in range(3):
        cur.execute("select pgq.insert_event('q1', 't', 'd')")
    with pytest.raises(psycopg2.Error, match="Queue 'q1' allows max 3 events from one TX"):
        cur.execute("select pgq.insert_event('q1', 't', 'd')")
    conn.rollback()
    # the count starts again in a new transaction; a rolled-back savepoint gives back room
    cur.execute("select pgq.insert_event('q1', 't', 'd')")
    cur.execute("savepoint s")
    cur.execute("select pgq.insert_event('q1', 't', 'd')")
    cur.execute("select pgq.insert_event('q1', 't', 'd')")
    cur.execute("rollback to savepoint s")
    cur.execute("select pgq.insert_event_bulk('q1', array['a', 'b'], NULL)")
    with pytest.raises(psycopg2.Error, match="allows max 3 events"):
        cur.execute("select pgq.insert_event_bulk('q1', array['c'], NULL)")
    conn.rollback()
    # bulk over the limit in one call
    with pytest.raises(psycopg2.Error, match="allows max 3 events"):
        cur.execute("select pgq.insert_event_bulk('q1', array['a','b','c','d'], NULL)")
    conn.rollback()
    db.execute("select pgq.set_queue_config('q1', 'per_tx_limit', NULL)")
    cur.execute("select pgq.insert_event('q1', 't', 'd') from generate_series(1, 10)")
    conn.commit()


def test_disable_insert(q1):
    db = q1
    db.execute("select pgq.set_queue_config('q1', 'disable_insert', 'true')")
    with pytest.raises(psycopg2.Error, match="Insert into queue disallowed"):
        db.execute("select pgq.insert_event('q1', 't', 'd')")
    with pytest.raises(psycopg2.Error, match="Insert into queue disallowed"):
        db.execute("select pgq.insert_event_bulk('q1', array['t'], array['d'])")
    with pytest.raises(psycopg2.Error, match="Writing to queue disabled"):
        db.execute("select pgq.current_event_table('q1')")
    # replicas (londiste applying events) may still insert
    conn = db.connect(autocommit=False)
    cur = conn.cursor()
    cur.execute("set local session_replication_role = replica")
    cur.execute("select pgq.insert_event('q1', 't', 'd')")
    cur.execute("select pgq.current_event_table('q1')")
    conn.commit()
    assert db.scalar("select count(*) from pgq.event_template") == 1


def test_insert_event_bulk(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    n = db.scalar(
        "select pgq.insert_event_bulk('q1', %s, %s, %s)",
        (["a", "b", "c"], ["1", None, "3"], ["x"]),
    )
    assert n == 3
    assert db.scalar("select pgq.insert_event_bulk('q1', '{}', NULL)") == 0
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    evs = db.execute(
        "select ev_type, ev_data, ev_extra1, ev_extra2 from pgq.get_batch_events(%s)", (bid,)
    )
    assert evs == [("a", "1", "x", None), ("b", None, None, None), ("c", "3", None, None)]


def test_current_event_table_follows_rotation(q1):
    db = q1
    qid = db.scalar("select queue_id from pgq.queue")
    assert db.scalar("select pgq.current_event_table('q1')") == f"pgq.event_{qid}_0"
    db.execute("update pgq.queue set queue_switch_time = now() - interval '3 hours'")
    db.execute("select pgq.maint_rotate_tables_step1('q1')")
    assert db.scalar("select pgq.current_event_table('q1')") == f"pgq.event_{qid}_1"
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    assert db.scalar(f"select count(*) from pgq.event_{qid}_1") == 1


def rotate(db):
    """Rotation step 1 (once due) and step 2 in a later transaction; True if rotated."""
    db.execute("update pgq.queue set queue_switch_time = now() - interval '3 hours'")
    before = db.scalar("select queue_cur_table from pgq.queue where queue_name = 'q1'")
    db.execute("select pgq.maint_rotate_tables_step1('q1')")
    db.execute("select pgq.maint_rotate_tables_step2()")
    return db.scalar("select queue_cur_table from pgq.queue where queue_name = 'q1'") != before


def test_rotation_never_truncates_unread_events(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'slow')")
    db.execute("select pgq.register_consumer('q1', 'fast')")
    # the slow consumer reads once, then stalls
    tick(cur, "q1")
    consume_all(cur, "q1", "slow")
    sent = []
    for round_no in range(6):
        for i in range(5):
            data = f"{round_no}.{i}"
            db.execute("select pgq.insert_event('q1', 't', %s)", (data,))
            sent.append(data)
        tick(cur, "q1")
        consume_all(cur, "q1", "fast")
        rotate(db)
    # one rotation happened, then the stalled consumer stopped the next one before it
    # could truncate a table with its unread events
    assert db.scalar("select queue_cur_table from pgq.queue") == 1
    got = [e[2] for e in consume_all(cur, "q1", "slow")]
    assert got == sent
    # now it has moved on, so rotation goes on and old ticks are cleaned
    rotated = [rotate(db) for _ in range(4)]
    assert any(rotated)
    assert db.scalar("select count(*) from pgq.tick") < 8


def test_rotation_rules(q1):
    db = q1
    # not due
    db.execute("select pgq.maint_rotate_tables_step1('q1')")
    assert db.scalar("select queue_cur_table from pgq.queue") == 0
    # step 2 still pending: no second rotation
    db.execute("update pgq.queue set queue_switch_time = now() - interval '3 hours'")
    db.execute("select pgq.maint_rotate_tables_step1('q1')")
    assert db.dicts("select queue_cur_table, queue_switch_step2 from pgq.queue")[0] == {
        "queue_cur_table": 1, "queue_switch_step2": None
    }  # fmt: skip
    db.execute("update pgq.queue set queue_switch_time = now() - interval '3 hours'")
    db.execute("select pgq.maint_rotate_tables_step1('q1')")
    assert db.scalar("select queue_cur_table from pgq.queue") == 1
    assert db.scalar("select pgq.maint_rotate_tables_step2()") == 0
    assert db.scalar("select queue_switch_step2 is not null from pgq.queue")
    with pytest.raises(psycopg2.Error, match="No such event queue: nope"):
        db.execute("select pgq.maint_rotate_tables_step1('nope')")


def test_rotation_skips_locked_table(q1):
    db = q1
    qid = db.scalar("select queue_id from pgq.queue")
    locker = db.connect(autocommit=False)
    locker.cursor().execute(f"lock table pgq.event_{qid}_1 in access share mode")
    db.execute("update pgq.queue set queue_switch_time = now() - interval '3 hours'")
    assert db.scalar("select pgq.maint_rotate_tables_step1('q1')") == 0
    assert db.scalar("select queue_cur_table from pgq.queue") == 0
    locker.rollback()
    db.execute("select pgq.maint_rotate_tables_step1('q1')")
    assert db.scalar("select queue_cur_table from pgq.queue") == 1


def test_batches_read_across_rotation(q1):
    """A batch that spans a rotation reads the previous and the current table."""
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    tick(cur, "q1")
    consume_all(cur, "q1", "c1")
    db.execute("select pgq.insert_event('q1', 't', 'before')")
    assert rotate(db)
    db.execute("select pgq.insert_event('q1', 't', 'after')")
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    tables = [r[0] for r in db.execute("select * from pgq.batch_event_tables(%s)", (bid,))]
    assert len(tables) == 2
    assert [r[2] for r in consume_all(cur, "q1", "c1")] == ["before", "after"]


def test_maint_operations(q1):
    db = q1
    db.execute("select pgq.create_queue('q2')")
    # Londiste's periodic maintenance comes last once it is installed (the fixture does)
    londiste = [("londiste.periodic_maintenance", None)]
    assert db.execute("select * from pgq.maint_operations()") == londiste
    db.execute(
        "update pgq.queue set queue_switch_time = now() - interval '3 hours'"
        " where queue_name = 'q2'"
    )
    db.execute("select pgq.set_queue_config('q1', 'extra_maint', '{pgq.my_maint}')")
    assert db.execute("select * from pgq.maint_operations()") == [
        ("pgq.maint_rotate_tables_step1", "q2"),
        ("pgq.maint_rotate_tables_step2", None),
        ("pgq.my_maint", "q1"),
        *londiste,
    ]
    # vacuum entries only when autovacuum is off (it is on in the test cluster)
    assert db.execute("select * from pgq.maint_tables_to_vacuum()") == []
    db.execute("select pgq.maint_rotate_tables_step1('q2')")
    assert ("pgq.maint_rotate_tables_step2", None) in db.execute(
        "select * from pgq.maint_operations()"
    )


def test_maint_tables_to_vacuum_with_autovacuum_off(cluster_factory):
    cluster = cluster_factory(settings={"autovacuum": "off"})
    conn = psycopg2.connect(cluster.dsn("postgres"))
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("select * from pgq.maint_tables_to_vacuum()")
    tables = {r[0] for r in cur.fetchall()}
    # the other modules' busy tables are listed once those modules are installed
    cur.execute(
        "select n.nspname || '.' || c.relname from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where (n.nspname, c.relname) in"
        " (('pgq_node', 'local_state'), ('londiste', 'seq_info'), ('londiste', 'completed'))"
    )
    modules = {r[0] for r in cur.fetchall()}
    assert "pgq_node.local_state" in modules  # installed by the fixture
    assert (
        tables
        == {
            "pgq.subscription",
            "pgq.consumer",
            "pgq.queue",
            "pgq.tick",
            "pgq.retry_queue",
        }
        | modules
    )
    cur.execute("select * from pgq.maint_operations() where func_name = 'vacuum'")
    assert len(cur.fetchall()) == len(tables)
    conn.close()


def test_retry_events_bypass_disable_insert(q1):
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    db.execute("select pgq.batch_retry(%s, 0)", (bid,))
    db.execute("select pgq.finish_batch(%s)", (bid,))
    db.execute("select pgq.set_queue_config('q1', 'disable_insert', 'true')")
    assert db.scalar("select pgq.maint_retry_events()") == 1


def test_first_event_of_a_new_queue_counts(q1):
    """The original ticker missed it (sequence last_value is 1 before and after it)."""
    db = q1
    db.execute("select pgq.set_queue_config('q1', 'ticker_max_count', '1')")
    assert db.scalar("select pgq.ticker('q1')") is None
    assert db.scalar("select ev_new from pgq.get_queue_info('q1')") == 0
    db.execute("select pgq.insert_event('q1', 't', 'first')")
    assert db.scalar("select ev_new from pgq.get_queue_info('q1')") == 1
    assert db.scalar("select pgq.ticker('q1')") == 2


def test_ticks_of_one_queue_are_serialised(q1):
    """A second ticker waits for the first one's transaction (parallel ticks could
    disagree on the order of snapshots and deliver events twice)."""
    db = q1
    db.execute("select pgq.set_queue_config('q1', 'ticker_max_count', '1')")
    first = db.connect(autocommit=False)
    fc = first.cursor()
    db.execute("select pgq.insert_event('q1', 't', 'd')")
    fc.execute("select pgq.ticker('q1')")
    second = db.connect()
    sc = second.cursor()
    sc.execute("set lock_timeout = '200ms'")
    with pytest.raises(psycopg2.errors.LockNotAvailable):
        sc.execute("select pgq.tick_queue('q1')")
    first.commit()
    sc.execute("select pgq.tick_queue('q1')")


def test_insert_code_follows_queue_changes(q1):
    """The generated insert code knows every queue; it follows creation, renaming,
    dropping and direct UPDATEs of pgq.queue, also in replica role."""
    db = q1
    db.execute("select pgq.insert_event('q1', 't', 'a')")
    conn = db.connect(autocommit=False)
    cur = conn.cursor()
    cur.execute("set session_replication_role = replica")
    cur.execute("select pgq.create_queue('made in replica role')")
    conn.commit()
    code = db.scalar(
        "select prosrc from pg_proc where oid = 'pgq.insert_event(text, text, text)'::regprocedure"
    )
    assert "'made in replica role'" in code
    db.execute("update pgq.queue set queue_name = 'q1 renamed' where queue_name = 'q1'")
    db.execute("select pgq.insert_event('q1 renamed', 't', 'b')")
    with pytest.raises(psycopg2.Error, match="No such event queue: q1"):
        db.execute("select pgq.insert_event('q1', 't', 'c')")
    # a direct update of a setting applies to the next transaction
    db.execute("update pgq.queue set queue_disable_insert = true where queue_name = 'q1 renamed'")
    with pytest.raises(psycopg2.Error, match="Insert into queue disallowed"):
        db.execute("select pgq.insert_event('q1 renamed', 't', 'd')")


def test_insert_state_is_read_once_per_transaction(q1):
    """Like a REPEATABLE READ producer of the original: a transaction that started
    filling a table goes on with it after a rotation, and the rotation keeps it."""
    db = q1
    cur = db.conn.cursor()
    db.execute("select pgq.register_consumer('q1', 'c1')")
    tick(cur, "q1")
    consume_all(cur, "q1", "c1")
    producer = db.connect(autocommit=False)
    pc = producer.cursor()
    pc.execute("select pgq.insert_event('q1', 't', 'before')")
    db.execute("update pgq.queue set queue_switch_time = now() - interval '3 hours'")
    db.execute("select pgq.maint_rotate_tables_step1('q1')")
    db.execute("select pgq.maint_rotate_tables_step2()")
    assert db.scalar("select queue_cur_table from pgq.queue") == 1
    pc.execute("select pgq.insert_event('q1', 't', 'after rotation, same transaction')")
    producer.commit()
    pc.execute("select pgq.insert_event('q1', 't', 'next transaction')")
    producer.commit()
    qid = db.scalar("select queue_id from pgq.queue")
    assert db.scalar(f"select count(*) from pgq.event_{qid}_0") == 2
    assert db.scalar(f"select count(*) from pgq.event_{qid}_1") == 1
    # a second rotation must wait: the consumer has not read past the first one
    db.execute("update pgq.queue set queue_switch_time = now() - interval '3 hours'")
    db.execute("select pgq.maint_rotate_tables_step1('q1')")
    assert db.scalar("select queue_cur_table from pgq.queue") == 1
    tick(cur, "q1")
    assert [e[2] for e in consume_all(cur, "q1", "c1")] == [
        "before", "after rotation, same transaction", "next transaction"
    ]  # fmt: skip
