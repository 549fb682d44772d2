"""The generated insert code: the current table and the insert settings as constants,
regenerated when they change (rotation under writers: test_pgq_rotation.py)."""

from __future__ import annotations

import psycopg2
import pytest


def test_flag_bits_are_disjoint(db):
    bits = dict(
        db.execute(
            "select n, pgq._insert_state_bit(n)"
            " from unnest(array['disable_insert', 'notify', 'per_tx_limit']) n"
        )
    )
    flags = list(bits.values())
    assert all(f & (f - 1) == 0 for f in flags) and len(set(flags)) == 3
    for gone in ("nope", "table_bits"):
        with pytest.raises(psycopg2.Error, match="unknown name"):
            db.execute("select pgq._insert_state_bit(%s)", (gone,))


def code(db) -> str:
    return db.scalar(
        "select prosrc from pg_proc where oid = 'pgq.insert_event(text,text,text)'::regprocedure"
    )


def test_current_table_and_settings_are_constants_of_the_code(db):
    """The code names the queue's current table and checks only the settings that are
    on; changing either regenerates the code, so no insert reads the queue row."""
    db.execute("select pgq.create_queue('q')")
    qid = db.scalar("select queue_id from pgq.queue where queue_name = 'q'")
    assert f"insert into pgq.event_{qid}_0 " in code(db)
    db.execute("update pgq.queue set queue_cur_table = 2 where queue_id = %s", (qid,))
    assert f"insert into pgq.event_{qid}_2 " in code(db)
    assert f"pgq.event_{qid}_0" not in code(db)
    assert "_insert_checks" not in code(db) and "pgq.queue" not in code(db)
    db.execute("select pgq.set_queue_config('q', 'notify', '1')")
    db.execute("select pgq.set_queue_config('q', 'disable_insert', '1')")
    flags = db.scalar(
        "select pgq._insert_state_bit('notify') | pgq._insert_state_bit('disable_insert')"
    )
    assert f"pgq._insert_checks({qid}, $1, {flags})" in code(db)
    with pytest.raises(psycopg2.Error, match="Insert into queue disallowed"):
        db.execute("select pgq.insert_event('q', 't', 'd')")
    db.execute("select pgq.set_queue_config('q', 'disable_insert', '0')")
    db.execute("select pgq.set_queue_config('q', 'notify', '0')")
    assert "_insert_checks" not in code(db)
    assert db.scalar("select pgq.insert_event('q', 't', 'd')") > 0
    assert db.scalar("select tableoid::regclass::text from pgq.event_template") == (
        f"pgq.event_{qid}_2"
    )


def test_named_bits_cost_what_literals_cost(db):
    """An immutable call with a literal is a constant in the plan: the hot path stays fast."""
    plan = "\n".join(
        r[0]
        for r in db.execute(
            "explain (verbose, costs off)"
            " select x & pgq._insert_state_bit('disable_insert'),"
            " x & pgq._insert_state_bit('notify')"
            " from generate_series(1, 2) x"
        )
    )
    assert "_insert_state_bit" not in plan and "1048576" in plan and "2097152" in plan


def test_generic_path_for_a_queue_the_code_does_not_know(db):
    """The lookup path (queue newer than the generated tree) behaves as the tree does."""
    db.execute("select pgq.create_queue('known')")
    db.execute("alter table pgq.queue disable trigger queue_code_refresh")
    db.execute("select pgq.create_queue('newer')")
    db.execute("alter table pgq.queue enable always trigger queue_code_refresh")
    src = db.scalar(
        "select string_agg(prosrc, '') from pg_proc where pronamespace = 'pgq'::regnamespace"
        " and proname in ('insert_event',"
        " '_insert_3_b' || lpad(pgq._insert_bucket('known')::text, 2, '0'),"
        " '_insert_3_b' || lpad(pgq._insert_bucket('newer')::text, 2, '0'))"
    )
    assert "'known'" in src and "'newer'" not in src
    first = db.scalar("select pgq.insert_event('newer', 't', 'd')")
    db.execute("update pgq.queue set queue_disable_insert = true where queue_name = 'newer'")
    with pytest.raises(psycopg2.Error, match="Insert into queue disallowed"):
        db.execute("select pgq.insert_event('newer', 't', 'd')")
    db.execute("update pgq.queue set queue_disable_insert = false where queue_name = 'newer'")
    # a given id is used, and the sequence moves all the same (as in the original)
    assert (
        db.scalar(
            "select pgq.insert_event_raw('newer', 99, now(), null, null, 't', 'd',"
            " null, null, null, null)"
        )
        == 99
    )
    last = db.scalar("select pgq.insert_event('newer', 't', 'd', 'e1', null, null, null)")
    assert last - first == 3
    assert db.execute(
        "select ev_id, ev_extra1 from pgq.event_template where ev_id in (%s, %s, 99)"
        " order by ev_id",
        (first, last),
    ) == [(first, None), (last, "e1"), (99, None)]


def test_few_queues_inline_more_go_through_buckets(db):
    """Up to 8 queues the functions writers call hold every queue's code (a call less);
    from the 9th on they call the bucket's function; either way every queue works."""

    def shape() -> str:
        src = code(db)
        if "pgq._insert_bucket($1)" in src:
            assert "'q1'" not in src
            return "buckets"
        assert all(f"'q{i}'" in src for i in range(1, count + 1))
        return "inline"

    for count in range(1, 10):
        db.execute("select pgq.create_queue(%s)", (f"q{count}",))
        assert shape() == ("inline" if count <= 8 else "buckets")
        ids = db.execute(
            "select pgq.insert_event(q.queue_name, 't', 'd') from pgq.queue q order by 1"
        )
        assert len(ids) == count
    db.execute("select pgq.drop_queue('q9')")
    count = 8
    assert shape() == "inline"
    assert db.scalar("select pgq.insert_event('q8', 't', 'd', null, null, null, null)") == 3


def test_per_tx_counts_of_finished_transactions_are_removed(db):
    """The counts of queues with per_tx_limit are rows; later counts clear old ones."""
    db.execute("select pgq.create_queue('counted')")
    db.execute("select pgq.set_queue_config('counted', 'per_tx_limit', '3')")
    db.execute("insert into pgq.tx_event_count select g, 1, 5 from generate_series(1, 10) g")
    conn = db.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("select pgq.insert_event('counted', 't', 'd') from generate_series(1, 3)")
        cur.execute("select tx_txid = txid_current(), tx_events from pgq.tx_event_count")
        assert cur.fetchall() == [(True, 3)]
        cur.execute("savepoint s")
        with pytest.raises(psycopg2.Error, match="allows max 3 events from one TX"):
            cur.execute("select pgq.insert_event('counted', 't', 'd')")
        cur.execute("rollback to savepoint s")
        cur.execute("select tx_events from pgq.tx_event_count")
        assert cur.fetchall() == [(3,)]
    conn.commit()
