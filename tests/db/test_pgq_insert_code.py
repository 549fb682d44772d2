"""The generated insert code: state bits by name, folded to constants when planned."""

from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import sql


def test_state_bits_are_disjoint_and_above_the_table_number(db):
    bits = dict(
        db.execute(
            "select n, pgq._insert_state_bit(n) from unnest(array['table_bits',"
            " 'disable_insert', 'notify', 'per_tx_limit']) n"
        )
    )
    flags = [bits["disable_insert"], bits["notify"], bits["per_tx_limit"]]
    assert all(f & (f - 1) == 0 and f > bits["table_bits"] for f in flags)
    assert len(set(flags)) == 3 and bits["table_bits"] & (bits["table_bits"] + 1) == 0
    with pytest.raises(psycopg2.Error, match="unknown name"):
        db.execute("select pgq._insert_state_bit('nope')")


def state(db, qid: int) -> int:
    """What the insert code reads at a transaction's first insert into the queue."""
    return db.scalar(
        "select pgq._insert_state(%s, m.setting, m.pos) from pgq._insert_memo(%s) m", (qid, qid)
    )


def test_insert_state_is_the_table_and_the_flags_are_in_the_code(db):
    """The memo holds the current table only; the settings' checks are compiled into
    the queue's insert code, and changing a setting regenerates that code."""
    db.execute("select pgq.create_queue('q')")
    qid = db.scalar("select queue_id from pgq.queue where queue_name = 'q'")
    db.execute("update pgq.queue set queue_cur_table = 2 where queue_id = %s", (qid,))
    assert state(db, qid) == 2

    def code() -> str:
        return db.scalar(
            "select prosrc from pg_proc"
            " where oid = 'pgq.insert_event(text,text,text)'::regprocedure"
        )

    assert "_insert_checks" not in code()
    db.execute("select pgq.set_queue_config('q', 'notify', '1')")
    db.execute("select pgq.set_queue_config('q', 'disable_insert', '1')")
    assert state(db, qid) == 2
    flags = db.scalar(
        "select pgq._insert_state_bit('notify') | pgq._insert_state_bit('disable_insert')"
    )
    assert f"pgq._insert_checks({qid}, $1, {flags})" in code()
    with pytest.raises(psycopg2.Error, match="Insert into queue disallowed"):
        db.execute("select pgq.insert_event('q', 't', 'd')")
    db.execute("select pgq.set_queue_config('q', 'disable_insert', '0')")
    db.execute("select pgq.set_queue_config('q', 'notify', '0')")
    assert "_insert_checks" not in code()
    assert db.scalar("select pgq.insert_event('q', 't', 'd')") > 0


def test_named_bits_cost_what_literals_cost(db):
    """An immutable call with a literal is a constant in the plan: the hot path stays fast."""
    plan = "\n".join(
        r[0]
        for r in db.execute(
            "explain (verbose, costs off)"
            " select x > pgq._insert_state_bit('table_bits'), x & pgq._insert_state_bit('notify')"
            " from generate_series(1, 2) x"
        )
    )
    assert "_insert_state_bit" not in plan and "1048575" in plan and "2097152" in plan


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
        src = db.scalar(
            "select prosrc from pg_proc"
            " where oid = 'pgq.insert_event(text,text,text)'::regprocedure"
        )
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


def test_one_memo_setting_per_32_queues(db):
    """Writing to many queues in one transaction makes few settings (each new one
    re-sorts PostgreSQL 15's whole list), and each queue reads its row once."""
    db.execute("select pgq.create_queue('m' || g) from generate_series(1, 70) g")
    conn = db.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("select pgq.insert_event('m' || g, 't', 'd') from generate_series(1, 70) g")
        ids = [r[0] for r in db.execute("select queue_id from pgq.queue")]
        cur.execute(
            "select count(current_setting('pgq.m' || g, true)),"
            " count(current_setting('pgq.q' || i, true))"
            " from generate_series(0, 9) g, unnest(%s::int[]) i",
            (ids,),
        )
        groups, per_queue = cur.fetchone()
        assert groups == len({i // 32 for i in ids}) * len(ids) and per_queue == 0
        cur.execute("select pgq.insert_event('m' || g, 't', 'd') from generate_series(1, 70) g")
    conn.commit()
    assert db.scalar("select count(*) from pgq.event_template") == 140


def test_memo_is_kept_when_the_bucket_code_changes_mid_transaction(db):
    """Another session's create_queue regenerates a bucket: this transaction's
    remembered state stays the queue's own (places are by queue id)."""
    db.execute("select pgq.create_queue('keep_a')")
    qid = db.scalar("select queue_id from pgq.queue where queue_name = 'keep_a'")
    conn = db.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("select pgq.insert_event('keep_a', 't', '1')")
        # queues in the same bucket, created (and the bucket's code regenerated) meanwhile
        bucket = db.scalar("select pgq._insert_bucket('keep_a')")
        made = 0
        for i in range(2000):
            name = f"keep_{i}"
            if db.scalar("select pgq._insert_bucket(%s)", (name,)) == bucket and made < 3:
                db.execute("select pgq.create_queue(%s)", (name,))
                made += 1
        # another session rotates keep_a: this transaction goes on filling its table
        db.execute(
            "update pgq.queue set queue_cur_table = (queue_cur_table + 1) %% queue_ntables"
            " where queue_id = %s",
            (qid,),
        )
        cur.execute("select pgq.insert_event('keep_a', 't', '2')")
    conn.commit()
    rows = db.execute(
        sql.SQL("select tableoid::regclass::text, ev_data from {} order by ev_data").format(
            sql.Identifier("pgq", f"event_{qid}")
        )
    )
    assert [r[1] for r in rows] == ["1", "2"]
    assert rows[0][0] == rows[1][0] == f"pgq.event_{qid}_0"


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


def test_memo_fields_of_one_setting_are_kept_apart(db):
    """Queues sharing a memo setting: reading, and forgetting one (a rotation in the same
    transaction), touches only that queue's field."""
    db.execute("select pgq.create_queue('f' || g) from generate_series(1, 3) g")
    conn = db.connect(autocommit=False)
    with conn.cursor() as cur:
        cur.execute("select pgq.insert_event('f' || g, 't', 'a') from generate_series(1, 3) g")
        cur.execute(
            "select q.queue_name, split_part(current_setting(m.setting), ',', m.pos)"
            " from pgq.queue q, pgq._insert_memo(q.queue_id) m order by 1"
        )
        assert cur.fetchall() == [("f1", "0"), ("f2", "0"), ("f3", "0")]
        cur.execute("update pgq.queue set queue_switch_time = now() - interval '3 hours'")
        cur.execute("select pgq.maint_rotate_tables_step1('f2')")
        cur.execute(
            "select q.queue_name, split_part(current_setting(m.setting), ',', m.pos)"
            " from pgq.queue q, pgq._insert_memo(q.queue_id) m order by 1"
        )
        assert cur.fetchall() == [("f1", "0"), ("f2", ""), ("f3", "0")]
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
