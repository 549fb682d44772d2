"""The fast path (generated, inlined code) and the slow path give the same events.

Two tables of the same shape in one database: one keeps its generated overload of
pgq._trg_event(), the other loses it and runs pgq._trg_generic().  Random rows go
through both; the events must be equal apart from the table name.  Runs everywhere,
also where the original extension is not installed.
"""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings

from tests.db.test_triggers import EVENT_COLUMNS
from tests.db.test_triggers_vs_original import COLUMNS, NAMES, values_strategy

OPTIONS = {
    "logutriga": ("backup",),
    "sqltriga": ("ignore=f4", "backup"),
    "jsontriga": ("pkey=id,t", "backup"),
}


@pytest.fixture
def paths(db: Any) -> Any:
    db.execute("select pgq.create_queue('q')")
    db.execute("set timezone = 'Europe/Tallinn'")
    db.execute("set datestyle = 'SQL, DMY'")
    for table in ("rnd_fast", "rnd_slow"):
        db.execute(f"create table {table} ({COLUMNS}, primary key (id))")
        for kind, args in OPTIONS.items():
            for n, extra in enumerate(((), args)):
                argsql = ", ".join(f"'{a}'" for a in ("q", *extra))
                db.execute(
                    f"create trigger {kind}_{n} after insert or update or delete on {table}"
                    f" for each row execute procedure pgq.{kind}({argsql})"
                )
    db.execute(
        "drop function pgq._trg_event(text, int4, text[], text, text, rnd_slow, rnd_slow,"
        " text, text, oid)"
    )
    return db


def events_of(db: Any, table: str, query: str, args: Any) -> list[tuple] | str:
    """Events of one statement (the table's name masked), or its error message."""
    last = db.scalar("select coalesce(max(ev_id), 0) from pgq.event_template")
    try:
        db.execute(query.format(table=table), args)
    except psycopg2.Error as err:
        return "ERROR: " + err.diag.message_primary
    rows = db.execute(
        f"select {EVENT_COLUMNS} from pgq.event_template where ev_id > %s order by ev_id", (last,)
    )
    return [tuple(v.replace(table, "TBL") if isinstance(v, str) else v for v in r) for r in rows]


_next_id = iter(range(1, 10**9))


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=values_strategy(), update=values_strategy())
def test_fast_and_slow_paths_agree(paths, values, update):
    row_id = next(_next_id)
    cols = ", ".join(NAMES)
    sets = ", ".join(f"{n} = %s" for n in NAMES)
    marks = ", ".join(["%s"] * len(NAMES))
    statements = [
        (f"insert into {{table}} (id, {cols}) values (%s, {marks})", (row_id, *values)),
        (f"update {{table}} set {sets} where id = %s", (*update, row_id)),
        (f"update {{table}} set {sets} where id = %s", (*update, row_id)),
        ("delete from {table} where id = %s", (row_id,)),
    ]
    for query, args in statements:
        fast = events_of(paths, "rnd_fast", query, args)
        slow = events_of(paths, "rnd_slow", query, args)
        assert fast == slow, (query, args)
        assert fast or query.startswith("update"), (query, args)
