"""Our PgQ core against the original C extension (PgQ 3.5), side by side: the insert path.

The same statements run in a database with our schema and in one with ``create extension
pgq`` in the same cluster; what they give (values, event ids, messages, WARNING lines of
a user's insert function) must be the same.  Skipped only where the extension's files are
not installed (postgresql-NN-pgq3).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest

from tests.db.test_triggers_vs_original import original  # noqa: F401  (fixture)

# A user's replacement of insert_event(7), as the original's trigger tests make it: it
# says what it got and passes the event on (with ev_extra4 marked, to see it was used).
SPY_INSERT_EVENT = """
create or replace function pgq.insert_event(queue_name text, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)
returns bigint as $$
begin
    raise warning 'spy(q=[%], t=[%], d=[%], 1=[%])', queue_name, ev_type, ev_data, ev_extra1;
    return pgq.insert_event_raw(queue_name, null, now(), null, null,
        ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, 'spied');
end;
$$ language plpgsql
"""


SIG_7 = "pgq.insert_event(text,text,text,text,text,text,text)"


class Side:
    """One database (ours or the original), a connection whose notices are collected."""

    def __init__(self, database: Any) -> None:
        self.db = database
        self.conn = database.connect()

    def run(self, statement: str, args: Any = None) -> tuple[Any, list[str]]:
        """(rows or 'ERROR: message', the NOTICE/WARNING lines) of one statement."""
        del self.conn.notices[:]
        try:
            with self.conn.cursor() as cur:
                cur.execute(statement, args)
                result: Any = cur.fetchall() if cur.description else None
        except psycopg2.Error as err:
            result = "ERROR: " + (err.diag.message_primary or "")
        return result, [n.strip() for n in self.conn.notices]

    def value(self, statement: str, args: Any = None) -> Any:
        rows, _ = self.run(statement, args)
        assert isinstance(rows, list), rows
        return rows[0][0]


@pytest.fixture
def sides(db: Any, original: Any) -> Iterator[tuple[Side, Side]]:  # noqa: F811
    ours, orig = Side(db), Side(original)
    for side in (ours, orig):
        side.run("set client_min_messages = warning")
    yield ours, orig


def both(sides: tuple[Side, Side], statement: str, args: Any = None) -> tuple[Any, list[str]]:
    ours, orig = (side.run(statement, args) for side in sides)
    assert ours == orig, statement
    return ours


def test_capture_triggers_call_a_replaced_insert_event(sides):
    """The original's triggers insert through insert_event(7): a replacement sees every row."""
    both(sides, "select pgq.create_queue('q')")
    both(sides, SPY_INSERT_EVENT)
    # a queue created after the replacement does not overwrite it
    both(sides, "select pgq.create_queue('q2')")
    both(sides, "create table t (id int primary key, v text)")
    for kind in ("logutriga", "sqltriga", "jsontriga"):
        both(
            sides,
            f"create trigger {kind} after insert or update or delete on t"
            f" for each row execute procedure pgq.{kind}('q')",
        )
    _, warnings = both(sides, "insert into t values (1, 'a b')")
    assert len(warnings) == 3 and all(w.startswith("WARNING:  spy(q=[q]") for w in warnings)
    both(sides, "update t set v = 'c'")
    both(sides, "delete from t")
    both(sides, "create table tt (id int primary key)")
    both(
        sides,
        "create trigger l after truncate on tt for each statement"
        " execute procedure pgq.logutriga('q')",
    )
    _, warnings = both(sides, "truncate tt")
    assert warnings == ["WARNING:  spy(q=[q], t=[R], d=[], 1=[public.tt])"]
    rows, _ = both(
        sides,
        "select ev_type, ev_data, ev_extra1, ev_extra4 from pgq.event_template order by ev_id",
    )
    assert len(rows) == 10 and {r[3] for r in rows} == {"spied"}
    # and a drop of a queue keeps it too
    both(sides, "select pgq.drop_queue('q2')")
    _, warnings = both(sides, "select pgq.insert_event('q', 'x', 'y', null, null, null, null)")
    assert warnings == ["WARNING:  spy(q=[q], t=[x], d=[y], 1=[<NULL>])"]


def test_insert_event_3_goes_through_a_replaced_insert_event_7(sides):
    both(sides, "select pgq.create_queue('q')")
    both(sides, SPY_INSERT_EVENT)
    both(sides, "select pgq.create_queue('q2')")
    _, warnings = both(sides, "select pgq.insert_event('q', 'x', 'y')")
    assert warnings == ["WARNING:  spy(q=[q], t=[x], d=[y], 1=[<NULL>])"]


def test_session_roles_with_a_replaced_insert_event(sides):
    """The original's trigger_sess_role: origin calls insert_event, local and replica not."""
    both(sides, "select pgq.create_queue('qr')")
    both(sides, SPY_INSERT_EVENT)
    both(sides, "update pgq.queue set queue_disable_insert = true where queue_name = 'qr'")
    both(sides, "create table r (id text primary key)")
    both(
        sides,
        "create trigger trig after insert or update or delete on r"
        " for each row execute procedure pgq.logutriga('qr')",
    )
    assert both(sides, "insert into r values ('a')") == (
        "ERROR: Insert into queue disallowed",
        ["WARNING:  spy(q=[qr], t=[I:id], d=[id=a], 1=[public.r])"],
    )
    for role in ("local", "replica"):
        both(sides, f"set session_replication_role = {role}")
        assert both(sides, "insert into r values (%s)", (role,)) == (None, [])
    both(sides, "set session_replication_role = origin")
    both(sides, "select id from r order by id")


@pytest.mark.parametrize(
    "refuse",
    [
        "update pgq.queue set queue_disable_insert = true where queue_name = 'q'",
        "update pgq.queue set queue_per_tx_limit = 0 where queue_name = 'q'",
    ],
)
def test_a_refused_insert_uses_up_an_event_id(sides, refuse):
    both(sides, "select pgq.create_queue('q')")
    first = [s.value("select pgq.insert_event('q', 't', 'd')") for s in sides]
    both(sides, refuse)
    both(sides, "select pgq.insert_event('q', 't', 'd')")
    both(sides, "select pgq.insert_event('q', 't', 'd', 'e1', null, null, null)")
    both(sides, "update pgq.queue set queue_disable_insert = false, queue_per_tx_limit = null")
    last = [s.value("select pgq.insert_event('q', 't', 'd')") for s in sides]
    assert [b - a for a, b in zip(first, last, strict=True)] == [3, 3]


def test_an_event_with_its_own_id_moves_the_sequence(sides):
    both(sides, "select pgq.create_queue('q')")
    first = [s.value("select pgq.insert_event('q', 't', 'd')") for s in sides]
    both(
        sides,
        "select pgq.insert_event_raw('q', 777, now(), null, null, 't', 'd',"
        " null, null, null, null)",
    )
    last = [s.value("select pgq.insert_event('q', 't', 'd')") for s in sides]
    assert [b - a for a, b in zip(first, last, strict=True)] == [2, 2]


def test_a_replaced_function_is_named_once(db):
    """Ours says a replacement is kept (the original says nothing): once per version."""
    conn = db.connect()
    cur = conn.cursor()
    cur.execute("select pgq.create_queue('q')")
    cur.execute(SPY_INSERT_EVENT)
    for name in ("q2", "q3"):
        del conn.notices[:]
        cur.execute("select pgq.create_queue(%s)", (name,))
        said = [n for n in conn.notices if "not the generated one" in n]
        assert said == (
            [
                "NOTICE:  pgq: pgq.insert_event(text,text,text,text,text,text,text) is not the"
                " generated one (replaced by its user?): left as it is\n"
            ]
            if name == "q2"
            else []
        )
    cur.execute("select pgq.rename_queue('q3', 'q4')")
    cur.execute(
        "select prosrc like '%spy(%' from pg_proc"
        " where oid = 'pgq.insert_event(text,text,text,text,text,text,text)'::regprocedure"
    )
    assert cur.fetchone()[0]
    # replaced again: named again
    cur.execute(SPY_INSERT_EVENT.replace("spy(", "spy2("))
    del conn.notices[:]
    cur.execute("select pgq.drop_queue('q4')")
    assert any("not the generated one" in n for n in conn.notices)
    # put back (dropped and made again by the installer's code): ours again, no notice
    cur.execute("drop function pgq.insert_event(text,text,text,text,text,text,text)")
    cur.execute("select pgq._refresh_insert_code()")
    cur.execute("select pgq._insert_code_ours(%s)", (SIG_7,))
    assert cur.fetchone()[0] is True
    del conn.notices[:]
    cur.execute("select pgq.create_queue('q5')")
    assert not conn.notices
