"""Table rotation under writers: the insert code holds each queue's current table, so
step 2 waits for the transactions that may still run the code from before step 1."""

from __future__ import annotations

import psycopg2
import psycopg2.extensions
import pytest

from tests.pgqtools import consume_all, tick

ISOLATION = {
    "read committed": psycopg2.extensions.ISOLATION_LEVEL_READ_COMMITTED,
    "repeatable read": psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ,
}


def rotate(cur: psycopg2.extensions.cursor, queue: str) -> None:
    """Step 1 now, whatever the rotation period says (in cur's transaction, if any)."""
    cur.execute(
        "update pgq.queue set queue_switch_time = now() - interval '1 day' where queue_name = %s",
        (queue,),
    )
    cur.execute("select pgq.maint_rotate_tables_step1(%s)", (queue,))


def switch(db, queue: str) -> dict:
    return db.dicts(
        "select queue_cur_table, queue_switch_step2, queue_switch_wait from pgq.queue"
        " where queue_name = %s",
        (queue,),
    )[0]


def table_of(db, data: str) -> str:
    return db.scalar(
        "select tableoid::regclass::text from pgq.event_template where ev_data = %s", (data,)
    )


@pytest.mark.parametrize("isolation", list(ISOLATION))
def test_writer_that_began_before_step1_loses_nothing(db, isolation):
    """A transaction already running at step 1 runs the code it compiled and fills
    the previous table, with a transaction id it gets after step 2 was first asked
    for. Step 2 waits for it; the batch after the rotation reads that table."""
    db.execute("select pgq.create_queue('rq')")
    db.execute("select pgq.register_consumer('rq', 'c')")
    qid = db.scalar("select queue_id from pgq.queue where queue_name = 'rq'")
    writer = db.connect(autocommit=False)
    writer.set_isolation_level(ISOLATION[isolation])
    cur = writer.cursor()
    cur.execute("select pgq.insert_event('rq', 't', 'warm')")  # the code compiled here
    writer.commit()
    admin = db.conn.cursor()
    tick(admin, "rq")
    assert [e[2] for e in consume_all(admin, "rq", "c")] == ["warm"]

    cur.execute("select 1")  # a transaction, with no id yet
    rotate(db.conn.cursor(), "rq")
    db.execute("select pgq.maint_rotate_tables_step2()")
    state = switch(db, "rq")
    assert state["queue_cur_table"] == 1 and state["queue_switch_step2"] is None
    # asked from here: a query of pg_locks in the writer would take a lock, and with
    # it read the new code
    assert state["queue_switch_wait"] == [
        db.scalar(
            "select virtualxid from pg_locks where locktype = 'virtualxid' and pid = %s",
            (writer.info.backend_pid,),
        )
    ]
    # a tick after step 2 was asked for, with a snapshot past it: were step 2 done,
    # the next batch would read only the new table
    tick(admin, "rq")
    consume_all(admin, "rq", "c")

    cur.execute("select pgq.insert_event('rq', 't', 'late')")
    writer.commit()
    assert table_of(db, "late") == f"pgq.event_{qid}_0", "the code from before step 1 ran"
    db.execute("select pgq.maint_rotate_tables_step2()")
    state = switch(db, "rq")
    assert state["queue_switch_step2"] is not None and state["queue_switch_wait"] is None
    db.execute("select pgq.insert_event('rq', 't', 'after')")
    assert table_of(db, "after") == f"pgq.event_{qid}_1"
    tick(admin, "rq")
    assert [e[2] for e in consume_all(admin, "rq", "c")] == ["late", "after"]


def test_step2_at_once_when_no_other_transaction_runs(db):
    """Idle sessions, autovacuum and other databases' transactions do not hold it up."""
    db.execute("select pgq.create_queue('rq')")
    idle = db.connect()
    idle.cursor().execute("select pgq.insert_event('rq', 't', 'd')")
    elsewhere = psycopg2.connect(db.dsn, dbname="postgres")
    try:
        elsewhere.cursor().execute("select txid_current()")  # open, with an id
        rotate(db.conn.cursor(), "rq")
        db.execute("select pgq.maint_rotate_tables_step2()")
        state = switch(db, "rq")
        assert state["queue_switch_step2"] is not None and state["queue_switch_wait"] is None
    finally:
        elsewhere.close()


def test_step2_leaves_rotations_of_its_own_transaction(db):
    """Before step 1 commits, sessions cannot see the new code: waiting starts later."""
    db.execute("select pgq.create_queue('rq')")
    conn = db.connect(autocommit=False)
    with conn.cursor() as cur:
        rotate(cur, "rq")
        cur.execute("select pgq.maint_rotate_tables_step2()")
        cur.execute("select queue_switch_step2, queue_switch_wait from pgq.queue")
        assert cur.fetchone() == (None, None)
    conn.commit()
    db.execute("select pgq.maint_rotate_tables_step2()")
    assert switch(db, "rq")["queue_switch_step2"] is not None


def test_step2_waits_only_for_transactions_running_at_its_first_look(db):
    """Transactions that begin after the first look run the new code: they do not
    delay the rotation, however many there are."""
    db.execute("select pgq.create_queue('rq')")
    old = db.connect(autocommit=False)
    old.cursor().execute("select 1")
    rotate(db.conn.cursor(), "rq")
    db.execute("select pgq.maint_rotate_tables_step2()")
    assert len(switch(db, "rq")["queue_switch_wait"]) == 1
    new = db.connect(autocommit=False)
    new.cursor().execute("select pgq.insert_event('rq', 't', 'new')")
    db.execute("select pgq.maint_rotate_tables_step2()")
    assert switch(db, "rq")["queue_switch_step2"] is None
    old.rollback()
    db.execute("select pgq.maint_rotate_tables_step2()")
    assert switch(db, "rq")["queue_switch_step2"] is not None
    new.commit()
    qid = db.scalar("select queue_id from pgq.queue")
    assert table_of(db, "new") == f"pgq.event_{qid}_1"


def test_rotation_inside_a_transaction_moves_only_that_queue(db):
    """The rotating session's own next insert goes to the new table; the other
    queues of the same code stay where they are."""
    db.execute("select pgq.create_queue('f' || g) from generate_series(1, 3) g")
    conn = db.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("select pgq.insert_event('f' || g, 't', 'a') from generate_series(1, 3) g")
        rotate(cur, "f2")
        cur.execute("select pgq.insert_event('f' || g, 't', 'b') from generate_series(1, 3) g")
    conn.commit()
    tables = db.execute(
        "select q.queue_name, e.tableoid::regclass::text from pgq.queue q"
        " join pgq.event_template e on e.ev_data = 'b'"
        " and e.tableoid::regclass::text like 'pgq.event_' || q.queue_id || '\\_%'"
        " order by 1"
    )
    ids = dict(db.execute("select queue_name, queue_id from pgq.queue"))
    assert tables == [
        ("f1", f"pgq.event_{ids['f1']}_0"),
        ("f2", f"pgq.event_{ids['f2']}_1"),
        ("f3", f"pgq.event_{ids['f3']}_0"),
    ]
