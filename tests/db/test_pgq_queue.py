"""PgQ queue management: create, drop, settings, grants, storage, utility functions."""

from __future__ import annotations

import psycopg2
import pytest

from tests.pgqtools import tick


def test_create_queue_builds_tables_sequences_and_first_tick(db):
    assert db.scalar("select pgq.create_queue('q1')") == 1
    assert db.scalar("select pgq.create_queue('q1')") == 0
    q = db.dicts("select * from pgq.queue where queue_name = 'q1'")[0]
    qid = q["queue_id"]
    assert q["queue_data_pfx"] == f"pgq.event_{qid}"
    assert q["queue_event_seq"] == f"pgq.event_{qid}_id_seq"
    assert q["queue_tick_seq"] == f"pgq.event_{qid}_tick_seq"
    assert q["queue_ntables"] == 3 and q["queue_cur_table"] == 0
    tables = {
        r[0]
        for r in db.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'pgq' and c.relname like %s and c.relkind = 'r'",
            (f"event\\_{qid}%",),
        )
    }
    assert tables == {f"event_{qid}", f"event_{qid}_0", f"event_{qid}_1", f"event_{qid}_2"}
    # each data table inherits the queue parent, has the txid index and tuned storage
    for i in range(3):
        assert db.scalar(
            "select count(*) from pg_indexes where schemaname = 'pgq' and indexname = %s",
            (f"event_{qid}_{i}_txid_idx",),
        )
        opts = db.scalar(
            "select reloptions from pg_class where oid = %s::regclass", (f"pgq.event_{qid}_{i}",)
        )
        assert "autovacuum_enabled=off" in opts and "fillfactor=100" in opts
    assert db.scalar("select count(*) from pgq.tick where tick_queue = %s", (qid,)) == 1


def test_create_queue_rejects_null(db):
    with pytest.raises(psycopg2.Error, match="Invalid NULL value"):
        db.execute("select pgq.create_queue(NULL)")


def test_queue_names_with_quotes_spaces_and_capitals(db):
    for name in ["Big Queue", 'we"ird', "it's", "q; drop table pgq.queue; --"]:
        assert db.scalar("select pgq.create_queue(%s)", (name,)) == 1
        db.execute("select pgq.insert_event(%s, 't', 'd')", (name,))
        assert db.scalar("select queue_name from pgq.get_queue_info(%s)", (name,)) == name
    assert db.scalar("select count(*) from pgq.queue") == 4


def test_drop_queue_removes_everything(db):
    db.execute("select pgq.create_queue('q1')")
    qid = db.scalar("select queue_id from pgq.queue where queue_name = 'q1'")
    db.execute("select pgq.insert_event('q1', 'a', 'b')")
    assert db.scalar("select pgq.drop_queue('q1')") == 1
    assert db.scalar("select count(*) from pgq.queue") == 0
    assert db.scalar("select count(*) from pgq.tick") == 0
    assert db.scalar("select count(*) from pg_class where relname like %s", (f"event_{qid}%",)) == 0


def test_drop_queue_errors(db):
    with pytest.raises(psycopg2.Error, match="No such event queue: nope"):
        db.execute("select pgq.drop_queue('nope')")
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    with pytest.raises(psycopg2.Error, match="consumers still attached"):
        db.execute("select pgq.drop_queue('q1')")
    with pytest.raises(psycopg2.Error, match="consumers still attached"):
        db.execute("select pgq.drop_queue('q1', false)")
    assert db.scalar("select count(*) from pgq.queue") == 1


def test_drop_queue_force_unregisters_consumers_and_subconsumers(db):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq_coop.register_subconsumer('q1', 'cc', 's1')")
    cur = db.conn.cursor()
    db.execute("select pgq.insert_event('q1', 'a', 'b')")
    tick(cur, "q1")
    bid = db.scalar("select pgq.next_batch('q1', 'c1')")
    db.execute(
        "select pgq.event_retry(%s, (select ev_id from pgq.get_batch_events(%s)), 60)", (bid, bid)
    )
    assert db.scalar("select count(*) from pgq.retry_queue") == 1
    assert db.scalar("select pgq.drop_queue('q1', true)") == 1
    assert db.scalar("select count(*) from pgq.subscription") == 0
    assert db.scalar("select count(*) from pgq.consumer") == 0
    assert db.scalar("select count(*) from pgq.retry_queue") == 0


@pytest.mark.parametrize(
    ("param", "value", "column", "expected"),
    [
        ("ticker_max_count", "100", "queue_ticker_max_count", 100),
        ("queue_ticker_max_count", "200", "queue_ticker_max_count", 200),
        ("ticker_max_lag", "10 seconds", "queue_ticker_max_lag", "0:00:10"),
        ("ticker_idle_period", "5 min", "queue_ticker_idle_period", "0:05:00"),
        ("ticker_paused", "true", "queue_ticker_paused", True),
        ("rotation_period", "1 hour", "queue_rotation_period", "1:00:00"),
        ("external_ticker", "1", "queue_external_ticker", True),
        ("per_tx_limit", "5", "queue_per_tx_limit", 5),
        ("per_tx_limit", None, "queue_per_tx_limit", None),
        ("disable_insert", "on", "queue_disable_insert", True),
        ("notify", "true", "queue_notify", True),
        ("extra_maint", "{pgq.foo}", "queue_extra_maint", ["pgq.foo"]),
        ("TICKER_MAX_COUNT", "7", "queue_ticker_max_count", 7),
    ],
)
def test_set_queue_config(db, param, value, column, expected):
    db.execute("select pgq.create_queue('q1')")
    assert db.scalar("select pgq.set_queue_config('q1', %s, %s)", (param, value)) == 1
    got = db.scalar(f"select {column} from pgq.queue where queue_name = 'q1'")
    if isinstance(expected, str):
        got = str(got)
    assert got == expected


def test_set_queue_config_errors(db):
    db.execute("select pgq.create_queue('q1')")
    with pytest.raises(psycopg2.Error, match='cannot change parameter "data_pfx"'):
        db.execute("select pgq.set_queue_config('q1', 'data_pfx', 'x')")
    with pytest.raises(psycopg2.Error, match='cannot change parameter "ntables"'):
        db.execute("select pgq.set_queue_config('q1', 'ntables', '5')")
    with pytest.raises(psycopg2.Error, match="No such event queue: nope"):
        db.execute("select pgq.set_queue_config('nope', 'ticker_max_count', '5')")
    with pytest.raises(psycopg2.Error, match="cannot be NULL"):
        db.execute("select pgq.set_queue_config('q1', 'ticker_max_count', NULL)")
    with pytest.raises(psycopg2.Error, match="invalid input syntax"):
        db.execute("select pgq.set_queue_config('q1', 'ticker_max_count', 'many')")
    # the value is a literal, never SQL
    with pytest.raises(psycopg2.Error):
        db.execute("select pgq.set_queue_config('q1', 'ticker_max_count', '1; drop table x')")
    with pytest.raises(psycopg2.Error, match="Invalid NULL value"):
        db.execute("select pgq.set_queue_config('q1', NULL, '1')")


def test_grant_perms_copies_event_template_grants(db):
    db.execute("create role some_reader")
    db.execute("grant select on pgq.event_template to some_reader")
    db.execute("select pgq.create_queue('q1')")
    qid = db.scalar("select queue_id from pgq.queue")
    for tbl in [f"pgq.event_{qid}", f"pgq.event_{qid}_0", f"pgq.event_{qid}_2"]:
        assert db.scalar("select has_table_privilege('some_reader', %s, 'select')", (tbl,))
        # as in the original: writers insert through insert_event(), never directly
        assert not db.scalar("select has_table_privilege('pgq_writer', %s, 'insert')", (tbl,))
        assert db.scalar("select has_table_privilege('pgq_admin', %s, 'insert')", (tbl,))
        assert not db.scalar("select has_table_privilege('some_reader', %s, 'insert')", (tbl,))
    assert db.scalar("select pgq.grant_perms('q1')") == 1
    with pytest.raises(psycopg2.Error, match="No such event queue"):
        db.execute("select pgq.grant_perms('nope')")


def test_tune_storage(db):
    db.execute("select pgq.create_queue('q1')")
    assert db.scalar("select pgq.tune_storage('q1')") == 1
    assert db.scalar("select pgq.tune_storage('nope')") == 0
    assert db.scalar("select pgq.tune_storage(NULL)") is None


def test_quote_fqname(db):
    assert db.scalar("select pgq.quote_fqname('foo')") == "public.foo"
    assert db.scalar("select pgq.quote_fqname('Foo.Bar Baz')") == '"Foo"."Bar Baz"'
    assert db.scalar("select pgq.quote_fqname('a.b.c')") == 'a."b.c"'
    assert db.scalar("select pgq.quote_fqname(NULL)") is None


def test_seq_getval_and_setval(db):
    db.execute('create sequence "My Seq"')
    db.execute("create schema s2")
    db.execute("create sequence s2.seq")
    assert db.scalar("select pgq.seq_getval('public.My Seq')") == 1
    assert db.scalar("select pgq.seq_getval('s2.seq')") == 1
    assert db.scalar("select pgq.seq_setval('s2.seq', 100)") == 100
    assert db.scalar("select pgq.seq_setval('s2.seq', 50)") == 100, "never moves backwards"
    assert db.scalar("select pgq.seq_getval('s2.seq')") == 100
    assert db.scalar("select nextval('s2.seq')") == 101
    assert db.scalar("select pgq.seq_getval(NULL)") is None
    with pytest.raises(psycopg2.Error, match="does not exist"):
        db.execute("select pgq.seq_getval('nope')")


def test_version(db):
    assert db.scalar("select pgq.version()").startswith("3.")
    assert db.scalar("select pgq_coop.version()").startswith("3.")


def test_get_queue_info_stats(db):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.create_queue('q2')")
    cur = db.conn.cursor()
    rows = db.dicts("select * from pgq.get_queue_info()")
    assert [r["queue_name"] for r in rows] == ["q1", "q2"]
    assert list(rows[0]) == [
        "queue_name", "queue_ntables", "queue_cur_table", "queue_rotation_period",
        "queue_switch_time", "queue_external_ticker", "queue_ticker_paused",
        "queue_ticker_max_count", "queue_ticker_max_lag", "queue_ticker_idle_period",
        "ticker_lag", "ev_per_sec", "ev_new", "last_tick_id",
    ]  # fmt: skip
    db.execute("select pgq.insert_event('q1', 'a', 'b') from generate_series(1, 10)")
    info = db.dicts("select * from pgq.get_queue_info('q1')")[0]
    # unlike the original, the first event counts too
    assert info["ev_new"] == 10
    assert info["last_tick_id"] == 1
    assert info["ev_per_sec"] is None
    db.execute("select pg_sleep(0.01)")
    tick(cur, "q1")
    info = db.dicts("select * from pgq.get_queue_info('q1')")[0]
    assert info["ev_new"] == 0
    assert info["last_tick_id"] == 2
    assert info["ev_per_sec"] > 0
    assert db.dicts("select * from pgq.get_queue_info('nope')") == []
