"""Statement-level capture (pgq.create_statement_capture): same events, in bulk.

Each test runs the same statements on a table with row-level capture triggers and on
one of the same shape with statement-level ones, and compares the events (the table
name masked).
"""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest

from tests.db.test_triggers import EVENT_COLUMNS, slow_path


@pytest.fixture(params=["fast", "slow"])
def sdb(request: pytest.FixtureRequest, db: Any) -> Any:
    if request.param == "slow":
        slow_path(db)
    db.execute("select pgq.create_queue('q')")
    db.execute("set client_min_messages = error")
    return db


def outcome(db: Any, query: str) -> list[tuple] | str:
    last = db.scalar("select coalesce(max(ev_id), 0) from pgq.event_template")
    try:
        db.execute(query)
    except psycopg2.Error as err:
        return "ERROR: " + err.diag.message_primary.replace("_stm", "_row")
    rows = db.execute(
        f"select {EVENT_COLUMNS} from pgq.event_template where ev_id > %s order by ev_id", (last,)
    )
    return [tuple(v.replace("_stm", "_row") if isinstance(v, str) else v for v in r) for r in rows]


def pair(db: Any, columns: str, kind: str, *options: str) -> None:
    """t_row with a row-level trigger, t_stm with statement-level capture."""
    for t in ("t_row", "t_stm"):
        db.execute(f"create table {t} ({columns})")
    args = ", ".join("'" + a.replace("'", "''") + "'" for a in ("q", *options))
    db.execute(
        "create trigger c after insert or update or delete on t_row for each row"
        f" execute procedure pgq.{kind}({args})"
    )
    db.execute(
        f"create trigger c_t after truncate on t_row for each statement"
        f" execute procedure pgq.{kind}('q')"
    )
    assert (
        db.scalar(
            "select pgq.create_statement_capture('t_stm', 'c', %s, 'q', %s)", (kind, list(options))
        )
        == 4
    )


def same(db: Any, *statements: str) -> None:
    """Each statement gives both tables the same events, in the same order per row key.

    The order across keys is the order the statement met its rows, that is each table's
    physical layout, which page pruning (it depends on other sessions' snapshots) can make
    differ between two tables given the same statements.
    """
    for stmt in statements:
        row = outcome(db, stmt.format(t="t_row"))
        stm = outcome(db, stmt.format(t="t_stm"))
        assert per_key(row) == per_key(stm), stmt


ROWS = [
    "insert into {t} select g, 'name ' || g, g * 1.5 from generate_series(1, 50) g",
    "update {t} set v = v || ' x', n = n + 1 where id % 3 = 0",
    "update {t} set v = v where id < 5",
    "update {t} set n = null where id between 10 and 12",
    "delete from {t} where id % 7 = 0",
    "update {t} set id = id + 1000 where id = 1",
    "truncate {t}",
]


@pytest.mark.parametrize("kind", ["logutriga", "sqltriga", "jsontriga"])
def test_statement_capture_gives_the_row_level_events(sdb, kind):
    pair(sdb, "id int primary key, v text, n numeric", kind)
    same(sdb, *ROWS)
    sdb.execute("insert into t_stm values (2, 'a', 1), (3, 'b', 2)")
    assert outcome(sdb, "update t_stm set id = id + 5") == "ERROR: primary key update not allowed"


@pytest.mark.parametrize(
    "options",
    [
        ("backup",),
        ("ignore=n",),
        ("pkey=id,v", "backup"),
        ("when=n > 20",),
        ("ev_type='T'", "ev_extra3=v"),
    ],
)
def test_statement_capture_options(sdb, options):
    pair(sdb, "id int primary key, v text, n numeric", "logutriga", *options)
    same(sdb, *ROWS[:5])


def test_statement_capture_magic_columns(sdb):
    pair(sdb, "id int primary key, _pgq_ev_extra4 text, v text", "sqltriga")
    same(
        sdb,
        "insert into {t} values (1, 'x', 'a'), (2, null, 'b')",
        "update {t} set _pgq_ev_extra4 = 'y'",
        "update {t} set v = 'c'",
        "delete from {t}",
    )


def test_statement_capture_does_nothing_in_local_role(sdb):
    pair(sdb, "id int primary key", "jsontriga")
    sdb.execute("set session_replication_role = 'local'")
    assert outcome(sdb, "insert into t_stm values (1)") == []


def test_statement_capture_deny(sdb):
    pair(sdb, "id int primary key", "logutriga", "deny")
    same(sdb, "insert into {t} values (1)")
    # the TRUNCATE trigger takes deny along
    sdb.execute("alter table t_stm disable trigger c_ins")
    sdb.execute("insert into t_stm values (1)")
    assert outcome(sdb, "truncate t_stm") == (
        "ERROR: Table 'public.t_row' to queue 'q': change not allowed (TRUNCATE)"
    )


def test_statement_capture_checks_its_arguments(sdb):
    sdb.execute("create table t_bad (id int primary key)")
    for args, message in [
        (("t_bad", "c", "xtriga", "q", []), "capture kind must be"),
        (("t_bad", "c", "logutriga", "nosuch", []), "No such event queue: nosuch"),
        (("t_bad", "c", "logutriga", "q", ["bogus"]), "bad param to pgq trigger"),
    ]:
        with pytest.raises(psycopg2.Error, match=message):
            sdb.execute("select pgq.create_statement_capture(%s, %s, %s, %s, %s)", args)
    assert sdb.scalar("select count(*) from pg_trigger where tgrelid = 't_bad'::regclass") == 0


def test_statement_capture_fast_path_is_generated(db):
    db.execute("select pgq.create_queue('q')")
    db.execute("create table t_gen (id int primary key)")
    db.execute("select pgq.create_statement_capture('t_gen', 'c', 'logutriga', 'q')")
    assert (
        db.scalar(
            "select count(*) from pg_proc where proname = '_trg_fields'"
            " and proargtypes[5] = 't_gen'::regtype"
        )
        == 1
    )
    db.execute("drop trigger c_ins on t_gen")
    db.execute("drop trigger c_upd on t_gen")
    db.execute("drop trigger c_del on t_gen")
    assert (
        db.scalar(
            "select count(*) from pg_proc where proname = '_trg_fields'"
            " and proargtypes[5] = 't_gen'::regtype"
        )
        == 0
    )


def test_statement_capture_goes_through_a_replaced_insert_event(sdb):
    """A user's insert_event(7) sees the events of statement-level capture too, in order."""
    from tests.db.test_pgq_vs_original import SPY_INSERT_EVENT

    pair(sdb, "id int primary key, v text", "logutriga")
    sdb.execute(SPY_INSERT_EVENT)
    conn = sdb.connect()
    with conn.cursor() as cur:
        cur.execute("insert into t_stm values (1, 'a'), (2, 'b')")
        cur.execute("insert into t_row values (1, 'a'), (2, 'b')")
    spied = [n.strip() for n in conn.notices]
    assert spied == [
        "WARNING:  spy(q=[q], t=[I:id], d=[id=1&v=a], 1=[public.t_stm])",
        "WARNING:  spy(q=[q], t=[I:id], d=[id=2&v=b], 1=[public.t_stm])",
        "WARNING:  spy(q=[q], t=[I:id], d=[id=1&v=a], 1=[public.t_row])",
        "WARNING:  spy(q=[q], t=[I:id], d=[id=2&v=b], 1=[public.t_row])",
    ]
    assert sdb.execute("select ev_extra1, ev_extra4 from pgq.event_template order by ev_id") == [
        ("public.t_stm", "spied"),
        ("public.t_stm", "spied"),
        ("public.t_row", "spied"),
        ("public.t_row", "spied"),
    ]


def capture_function(db: Any, table: str) -> str | None:
    """The function the table's statement-level INSERT capture trigger calls."""
    return db.scalar(
        "select p.proname from pg_trigger t join pg_proc p on p.oid = t.tgfoid"
        " where t.tgrelid = %s::regclass and t.tgname = 'c_ins'",
        (table,),
    )


def test_statement_capture_has_the_tables_own_function(db):
    """Static code per table, made again on DDL, dropped with the triggers."""
    db.execute("select pgq.create_queue('q')")
    db.execute("create table t_own (id int primary key, v text)")
    db.execute("select pgq.create_statement_capture('t_own', 'c', 'logutriga', 'q')")
    oid = db.scalar("select 't_own'::regclass::oid")
    assert capture_function(db, "t_own") == f"_trg_capture_{oid}"
    src = db.scalar("select prosrc from pg_proc where proname = %s", (f"_trg_capture_{oid}",))
    assert "from pgq_new n" in src and "argv = '[0:0]={q}'" in src
    # a new column: the static code follows (through the table's _trg_fields overload)
    db.execute("alter table t_own add column w int")
    db.execute("insert into t_own values (1, 'a', 7)")
    assert db.scalar("select ev_data from pgq.event_template order by ev_id desc limit 1") == (
        "id=1&v=a&w=7"
    )
    for op in ("ins", "upd", "del", "trunc"):
        db.execute(f"drop trigger c_{op} on t_own")
    assert not db.scalar("select 1 from pg_proc where proname = %s", (f"_trg_capture_{oid}",))
    # and with the table
    db.execute("create table t_own2 (id int primary key)")
    db.execute("select pgq.create_statement_capture('t_own2', 'c', 'sqltriga', 'q')")
    oid2 = db.scalar("select 't_own2'::regclass::oid")
    db.execute("drop table t_own2")
    assert not db.scalar("select 1 from pg_proc where proname = %s", (f"_trg_capture_{oid2}",))


def test_statement_capture_without_create_on_pgq_uses_the_generic_function(db):
    db.execute("select pgq.create_queue('q')")
    db.execute("create role capture_writer login")
    db.execute("grant pgq_writer to capture_writer")
    db.execute("create table t_gen2 (id int primary key, v text)")
    db.execute("alter table t_gen2 owner to capture_writer")
    db.execute("set role capture_writer")
    try:
        db.execute("select pgq.create_statement_capture('t_gen2', 'c', 'logutriga', 'q')")
        db.execute("insert into t_gen2 values (1, 'a'), (2, 'b')")
    finally:
        db.execute("reset role")
    assert capture_function(db, "t_gen2") == "_trg_capture_statement"
    rows = db.execute("select ev_type, ev_data from pgq.event_template order by ev_id")
    assert rows == [("I:id", "id=1&v=a"), ("I:id", "id=2&v=b")]


def test_statement_capture_keeps_its_plans_over_statement_sizes(sdb):
    """One-row statements first (the plans are made for them), then big ones."""
    pair(sdb, "id int primary key, v text, n numeric", "logutriga", "backup")
    small = [f"insert into {{t}} values ({i}, 'v{i}', {i})" for i in range(1, 6)]
    small += [f"update {{t}} set n = n + 1 where id = {i}" for i in range(1, 4)]
    small += ["delete from {t} where id = 5"]
    big = [
        "insert into {t} select g, 'name ' || g, g from generate_series(6, 3000) g",
        "update {t} set v = v || '+', n = n * 2 where id > 2",
        "delete from {t} where id % 2 = 0",
        "update {t} set v = 'one' where id = 3",
    ]
    same(sdb, *small, *big)


MIXED = [
    # INSERT ... ON CONFLICT: updates and inserts in one statement
    "insert into {t} select g, 'up ' || g, g from generate_series(1, 40) g"
    " on conflict (id) do update set v = excluded.v, n = {t}.n + 1",
    # a data-modifying CTE: rows deleted, their keys inserted again by the same statement
    "with d as (delete from {t} where id <= 10 returning id)"
    " insert into {t} select id, 'again', 0 from d",
    # MERGE: update, delete and insert in one statement
    "merge into {t} t using (select g, g % 3 as k from generate_series(15, 50) g) s on t.id = s.g"
    " when matched and s.k = 0 then delete"
    " when matched then update set v = 'merged'"
    " when not matched then insert values (s.g, 'new', s.k)",
]


def per_key(events: list[tuple] | str) -> dict[str, list[tuple]] | str:
    """The events of each row key in order: what replay depends on."""
    if isinstance(events, str):
        return events
    keys: dict[str, list[tuple]] = {}
    for ev in events:
        key = ev[1].split("&")[0] if ev[1] else ""
        keys.setdefault(key, []).append(ev)
    return keys


@pytest.mark.parametrize("stmt", MIXED, ids=["upsert", "wcte", "merge"])
def test_statement_capture_of_mixed_statements(sdb, stmt):
    """Several kinds of change in one statement: the same events, per key in the same order."""
    if stmt.startswith("merge") and sdb.scalar("show server_version_num")[:2] < "15":
        pytest.skip("MERGE is PostgreSQL 15+")
    pair(sdb, "id int primary key, v text, n numeric", "logutriga")
    for t in ("t_row", "t_stm"):
        sdb.execute(f"alter table {t} disable trigger user")
        sdb.execute(f"insert into {t} select g, 'name ' || g, g from generate_series(1, 30) g")
        sdb.execute(f"alter table {t} enable trigger user")
    row = outcome(sdb, stmt.format(t="t_row"))
    stm = outcome(sdb, stmt.format(t="t_stm"))
    assert isinstance(row, list) and len(row) > 10
    assert sorted(row) == sorted(stm)
    assert per_key(row) == per_key(stm)
