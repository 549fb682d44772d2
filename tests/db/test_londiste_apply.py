"""londiste._apply_rows, the set-based replay of a batch's row events, against event-by-event.

The worker COPYs a batch into pg_temp.londiste_batch and calls londiste._apply_rows
per table; here the events are written straight into that table (urlencoded as
pgq.logutriga writes them, in both hex cases) and the result is compared with the
same events applied one at a time by the default handler's apply_one, on a twin
table.  Random streams repeat keys, change the columns mid-batch, and carry the
characters urlencoding and the decoder treat specially.
"""

from __future__ import annotations

import random
import re
import urllib.parse
from typing import Any

import psycopg2
import pytest

from engine.consumer import Event
from engine.londiste.handlers import build_handler
from engine.londiste.worker import _BATCH_TABLE_DDL

VALUES = [
    None,
    "",
    "plain",
    "a b",
    "x&y=z",
    "100%",
    "%25%26",
    "+plus+",
    "ü€😀",
    'q"uo\\te',
    "{a,b}",
    "(1,2)",
    "NULL",
    "tab\tnl\n",
    " lead",
    "2026-12-02 10:04:21.5+00",
]


def urlencode(row: dict[str, Any], lower: bool) -> str:
    """Skytools' db_urlencode: k=v pairs, a bare k for NULL."""
    parts = []
    for k, v in row.items():
        key = urllib.parse.quote_plus(k, safe="-_.")
        if v is None:
            parts.append(key)
            continue
        val = urllib.parse.quote_plus(str(v), safe="-_.")
        if lower:
            val = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), val)
        parts.append(f"{key}={val}")
    return "&".join(parts)


def _event(ev_id: int, op: str, row: dict[str, Any], table: str, pk: str = "id") -> Event:
    data = urlencode(row, lower=ev_id % 3 == 0)
    return Event((ev_id, None, 1000 + ev_id, None, f"{op}:{pk}", data, table, None, None, None))


def load(cur: Any, events: list[Event]) -> None:
    cur.execute(_BATCH_TABLE_DDL)
    cur.execute("delete from pg_temp.londiste_batch")
    cur.executemany(
        "insert into pg_temp.londiste_batch (ev_id, ev_txid, ev_type, ev_data, ev_extra1)"
        " values (%s, %s, %s, %s, %s)",
        [(e.id, e.txid, e.type, e.data, e.extra1) for e in events],
    )


def apply_rows(
    cur: Any,
    table: str,
    dest: str,
    first: int | None = None,
    last: int | None = None,
    snapshot: str | None = None,
    condition: str | None = None,
) -> tuple[int, int, int, int]:
    cur.execute(
        "select * from londiste._apply_rows('pg_temp.londiste_batch', %s, %s, %s, %s, %s, %s,"
        " null)",
        (table, dest, first, last, snapshot, condition),
    )
    return cur.fetchone()


def one_by_one(cur: Any, events: list[Event], dest: str, condition: str | None = None) -> None:
    h = build_handler("public.src", None, dest)
    h.condition = condition  # type: ignore[attr-defined]
    h.prepare_batch(1)
    for ev in events:
        h.apply_one(cur, ev)


def random_stream(rnd: random.Random, present: set[int], n: int) -> list[Event]:
    events = []
    for i in range(1, n + 1):
        k = rnd.randint(1, 12)
        row: dict[str, Any] = {"id": k, "v": rnd.choice(VALUES), "n": rnd.choice([None, 0, 7])}
        shape = rnd.random()
        if shape < 0.1:
            row = {"n": row["n"], "id": k, "v": row["v"]}  # other column order
        elif shape < 0.2:
            del row["n"]  # fewer columns
        op = rnd.choice("UUD") if k in present else "I"
        if op == "D":
            present.discard(k)
        else:
            present.add(k)
        events.append(_event(i, op, row, "public.src"))
    return events


@pytest.fixture
def cur(db):
    conn = psycopg2.connect(db.dsn)
    cur = conn.cursor()
    cur.execute(
        "create table a (id int primary key, v text, n int, d text default 'dflt');"
        " create table b (like a including all)"
    )
    cur.execute("begin")
    try:
        yield cur
    finally:
        conn.rollback()
        conn.close()


def reset(cur: Any, rows: int = 8) -> set[int]:
    cur.execute("truncate a, b")
    for t in ("a", "b"):
        cur.execute(
            f"insert into {t} (id, v, n) select g, 's' || g, g from generate_series(1, %s) g",
            (rows,),
        )
    return set(range(1, rows + 1))


def same(cur: Any) -> bool:
    cur.execute("select * from a except select * from b")
    left = cur.fetchall()
    cur.execute("select * from b except select * from a")
    return not left and not cur.fetchall()


def test_random_streams_equal_event_by_event(cur):
    rnd = random.Random(5)
    for round_ in range(40):
        present = reset(cur)
        events = random_stream(rnd, present, rnd.randint(1, 60))
        load(cur, events)
        n = apply_rows(cur, "public.src", "public.a")[0]
        one_by_one(cur, events, "public.b")
        assert n == len(events)
        assert same(cur), (round_, [(e.type, e.data) for e in events])


def test_ranges_snapshot_and_condition(cur):
    rnd = random.Random(9)
    for round_ in range(15):
        present = reset(cur)
        events = random_stream(rnd, present, 40)
        # the events the copy saw (txid < 1010) are in both tables already, and skipped
        seen = [e for e in events if e.txid < 1010]
        one_by_one(cur, seen, "public.a", "id % 3 <> 0")
        one_by_one(cur, seen, "public.b", "id % 3 <> 0")
        load(cur, events)
        # two ranges in order == the whole
        snap = "1010:1010:"
        apply_rows(cur, "public.src", "public.a", None, 20, snap, "id % 3 <> 0")
        apply_rows(cur, "public.src", "public.a", 20, None, snap, "id % 3 <> 0")
        kept = [e for e in events if e.txid >= 1010]
        one_by_one(cur, kept, "public.b", "id % 3 <> 0")
        assert same(cur), (round_, [(e.type, e.data) for e in events])


def test_other_tables_and_composite_key(cur):
    cur.execute("create table c (k1 int, k2 text, v text, primary key (k1, k2))")
    events = [
        _event(1, "I", {"k1": 1, "k2": "x y", "v": "one"}, "public.c", "k1,k2"),
        _event(2, "I", {"id": 1, "v": "not mine", "n": 1}, "public.other"),
        _event(3, "U", {"k1": 1, "k2": "x y", "v": "two"}, "public.c", "k1,k2"),
        _event(4, "I", {"k1": 1, "k2": "x&y", "v": "three"}, "public.c", "k1,k2"),
        _event(5, "D", {"k1": 1, "k2": "x&y", "v": "three"}, "public.c", "k1,k2"),
        _event(6, "I", {"k1": 2, "k2": "z", "v": None}, "public.c", "k1,k2"),
    ]
    load(cur, events)
    assert apply_rows(cur, "public.c", "public.c") == (5, 0, 0, 2)
    cur.execute("select * from c order by 1, 2")
    assert cur.fetchall() == [(1, "x y", "two"), (2, "z", None)]


def test_errors_name_the_problem(cur):
    cases = [
        ("public.nosuch", {"id": 1, "v": "x"}, "I:id", "does not exist"),
        ("public.a", {"id": 1, "zz": "x"}, "I:id", "column zz of public.src missing"),
        ("public.a", {"v": "x"}, "I:id", "has no key column id"),
    ]
    for dest, row, ev_type, message in cases:
        cur.execute("savepoint s")
        data = urlencode(row, False)
        load(cur, [Event((1, None, 1, None, ev_type, data, "public.src", None, None, None))])
        with pytest.raises(psycopg2.Error, match=message):
            apply_rows(cur, "public.src", dest)
        cur.execute("rollback to savepoint s")


def test_keys_seen_once_take_the_direct_path(cur):
    """No key twice in a run: each statement reads the decoded events directly."""
    rnd = random.Random(3)
    for round_ in range(20):
        present = reset(cur, 30)
        keys = rnd.sample(range(1, 41), rnd.randint(1, 40))
        events = []
        for i, k in enumerate(keys, 1):
            row = {"id": k, "v": rnd.choice(VALUES), "n": rnd.choice([None, 0, 7])}
            op = rnd.choice("UD") if k in present else "I"
            events.append(_event(i, op, row, "public.src"))
        condition = "id % 3 <> 0" if round_ % 2 else None
        load(cur, events)
        apply_rows(cur, "public.src", "public.a", condition=condition)
        one_by_one(cur, events, "public.b", condition)
        assert same(cur), (round_, [(e.type, e.data) for e in events])
