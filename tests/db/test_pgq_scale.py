"""Many queues: the insert code in buckets, each queue change touching only its own."""

from __future__ import annotations

import psycopg2
import pytest
from psycopg2 import sql

N_QUEUES = 300

BUCKET_FUNCS = (
    "select p.proname, p.xmin::text::bigint from pg_proc p"
    " where p.pronamespace = 'pgq'::regnamespace and p.proname ~ '^_insert_(raw|7|3)_b[0-9]{2}$'"
)
PUBLIC_FUNCS = (
    "select p.oid::regprocedure::text, p.xmin::text::bigint from pg_proc p"
    " where p.pronamespace = 'pgq'::regnamespace"
    " and p.proname in ('insert_event', 'insert_event_raw')"
)


def bucket_of(db, name: str) -> int:
    return db.scalar("select pgq._insert_bucket(%s)", (name,))


@pytest.fixture
def many(db):
    db.execute(
        "select count(pgq.create_queue('q' || lpad(i::text, 3, '0')))"
        " from generate_series(0, %s) i",
        (N_QUEUES - 1,),
    )
    return db


def _every_queue_gets_its_events_in_its_own_table(db):
    rows = db.execute(
        "select q.queue_name, pgq.insert_event(q.queue_name, 't3', q.queue_name),"
        " pgq.insert_event(q.queue_name, 't7', q.queue_name, 'e1', 'e2', 'e3', 'e4'),"
        " pgq.insert_event_raw(q.queue_name, null, now(), null, null, 'tr', q.queue_name,"
        "   null, null, null, 'x4')"
        " from pgq.queue q order by 1"
    )
    assert len(rows) == N_QUEUES
    # each queue's own sequence: ids 1, 2, 3 in every queue
    assert {r[1:] for r in rows} == {(1, 2, 3)}
    for name, *_ in rows[:: N_QUEUES // 10]:
        table = db.scalar("select pgq.current_event_table(%s)", (name,))
        got = db.execute(
            sql.SQL(
                "select ev_id, ev_type, ev_data, ev_extra1, ev_extra4 from {} order by ev_id"
            ).format(sql.SQL(table))
        )
        assert got == [(1, "t3", name, None, None), (2, "t7", name, "e1", "e4"),
                       (3, "tr", name, None, "x4")]  # fmt: skip
    total = db.scalar("select count(*) from pgq.event_template")
    assert total == 3 * N_QUEUES
    with pytest.raises(psycopg2.Error, match="No such event queue"):
        db.execute("select pgq.insert_event('nosuch', 't', 'd')")
    with pytest.raises(psycopg2.Error, match="No such event queue"):
        db.execute("select pgq.insert_event(null, 't', 'd')")


def _bucket_functions_exactly_for_the_buckets_in_use(db):
    used = {bucket_of(db, f"q{i:03}") for i in range(N_QUEUES)}
    names = {r[0] for r in db.execute(BUCKET_FUNCS)}
    assert names == {f"_insert_{v}_b{b:02}" for b in used for v in ("raw", "7", "3")}
    # every queue's name is in its bucket's code, and only there
    for name in ("q000", "q123", "q299"):
        owners = db.execute(
            "select proname from pg_proc where pronamespace = 'pgq'::regnamespace"
            " and proname like '\\_insert\\_3\\_b%%' and prosrc like %s",
            (f"%'{name}'%",),
        )
        assert owners == [(f"_insert_3_b{bucket_of(db, name):02}",)]


def _a_queue_change_regenerates_its_bucket_only(db):
    before = dict(db.execute(BUCKET_FUNCS))
    public_before = dict(db.execute(PUBLIC_FUNCS))
    # a name in a bucket that is in use
    used = {bucket_of(db, f"q{i:03}") for i in range(N_QUEUES)}
    new = next(f"n{i}" for i in range(1000) if bucket_of(db, f"n{i}") in used)
    db.execute("select pgq.create_queue(%s)", (new,))
    after = dict(db.execute(BUCKET_FUNCS))
    changed = {k for k in after if after[k] != before.get(k)}
    b = bucket_of(db, new)
    assert changed == {f"_insert_{v}_b{b:02}" for v in ("raw", "7", "3")}
    # the functions writers call did not change: sessions keep their compiled code
    assert dict(db.execute(PUBLIC_FUNCS)) == public_before
    assert db.scalar("select pgq.insert_event(%s, 't', 'd')", (new,)) == 1

    # a rename: both buckets, and the old name is gone
    target = next(f"r{i}" for i in range(1000) if bucket_of(db, f"r{i}") not in (b,))
    db.execute("select pgq.rename_queue(%s, %s)", (new, target))
    assert db.scalar("select pgq.insert_event(%s, 't', 'd')", (target,)) == 2
    with pytest.raises(psycopg2.Error, match="No such event queue"):
        db.execute("select pgq.insert_event(%s, 't', 'd')", (new,))
    db.execute("select pgq.drop_queue(%s)", (target,))
    assert dict(db.execute(BUCKET_FUNCS)).keys() == before.keys()


def _the_last_queue_of_a_bucket_takes_its_functions_along(db):
    b = bucket_of(db, "q000")
    mates = [f"q{i:03}" for i in range(N_QUEUES) if bucket_of(db, f"q{i:03}") == b]
    for name in mates:
        db.execute("select pgq.drop_queue(%s)", (name,))
    names = {r[0] for r in db.execute(BUCKET_FUNCS)}
    assert not {f"_insert_{v}_b{b:02}" for v in ("raw", "7", "3")} & names
    src = db.scalar(
        "select prosrc from pg_proc where oid = 'pgq.insert_event(text,text,text)'::regprocedure"
    )
    assert f"_b{b:02}(" not in src
    with pytest.raises(psycopg2.Error, match="No such event queue"):
        db.execute("select pgq.insert_event('q000', 't', 'd')")
    # and it comes back
    db.execute("select pgq.create_queue('q000')")
    assert db.scalar("select pgq.insert_event('q000', 't', 'd')") == 1


def _a_session_sees_queues_made_after_it_compiled_the_code(db):
    other = db.connect()
    cur = other.cursor()
    cur.execute("select pgq.insert_event('q001', 't', 'd')")
    used = {bucket_of(db, f"q{i:03}") for i in range(N_QUEUES)}
    fresh = [f"z{i}" for i in range(2000)]
    in_used = next(n for n in fresh if bucket_of(db, n) in used)
    unused = [n for n in fresh if bucket_of(db, n) not in used]
    names = [in_used, *unused[:1]]
    for name in names:
        db.execute("select pgq.create_queue(%s)", (name,))
    for name in names:
        cur.execute("select pgq.insert_event(%s, 't', 'd')", (name,))
        assert cur.fetchone()[0] == 1
    other.close()


def _writers_reach_the_bucket_code_only_through_insert_event(db):
    db.execute("drop role if exists u_scale_writer")
    db.execute("create role u_scale_writer login in role pgq_writer")
    try:
        conn = db.connect(user="u_scale_writer")
        cur = conn.cursor()
        cur.execute("select pgq.insert_event('q007', 't', 'd')")
        cur.execute("select pgq.insert_event('q008', 't', 'd', '1', '2', '3', '4')")
        b = bucket_of(db, "q007")
        for fn in (f"pgq._insert_3_b{b:02}('q007', 't', 'd')",
                   f"pgq._insert_7_b{b:02}('q007', 't', 'd', null, null, null, null)",
                   f"pgq._insert_raw_b{b:02}('q007', 5, now(), null, null, 't', 'd',"
                   " null, null, null, null)"):  # fmt: skip
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("select " + fn)
        conn.close()
    finally:
        db.execute("drop owned by u_scale_writer")
        db.execute("drop role u_scale_writer")


def test_300_queues_insert_each_into_its_own_table_through_its_bucket(many):
    _every_queue_gets_its_events_in_its_own_table(many)
    _bucket_functions_exactly_for_the_buckets_in_use(many)
    _writers_reach_the_bucket_code_only_through_insert_event(many)


def test_300_queues_a_change_touches_its_own_bucket(many):
    _a_queue_change_regenerates_its_bucket_only(many)
    _the_last_queue_of_a_bucket_takes_its_functions_along(many)
    _a_session_sees_queues_made_after_it_compiled_the_code(many)
