"""The url-encoding of captured values: every encoder gives pgq._urlencode_full's result.

pgq._urlencode (words, then punctuation) and pgq._urlencode_punct (punctuation first,
used for date and time columns) are shortcuts in front of _urlencode_full; whatever the
text, they must encode it the same way.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.db.test_londiste_apply import urlencode

# the characters the shortcuts test for, and some they must leave to _urlencode_full
ALPHABET = st.sampled_from([*"aZ09-_. :+/,@%&=\\'\"\té€", "\u00e4", "\U0001f600"])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(texts=st.lists(st.text(ALPHABET, max_size=12), min_size=1, max_size=20))
def test_shortcuts_encode_as_the_full_encoder(db: Any, texts: list[str]) -> None:
    rows = db.execute(
        "select t, pgq._urlencode_full(t), pgq._urlencode(t), pgq._urlencode_punct(t)"
        " from unnest(%s::text[]) t",
        (texts,),
    )
    for text, full, word, punct in rows:
        assert word == full == punct, text


def test_date_and_time_columns_use_the_punctuation_shortcut(db: Any) -> None:
    db.execute("select pgq.create_queue('q')")
    db.execute(
        "create table dt (id int primary key, name text, ts timestamptz, d date,"
        " t time, iv interval)"
    )
    db.execute(
        "create trigger c after insert on dt for each row execute procedure pgq.logutriga('q')"
    )
    code = db.scalar(
        "select p.prosrc from pg_proc p join pg_class c on c.reltype = p.proargtypes[5]"
        " where p.proname = '_trg_event' and c.oid = 'dt'::regclass"
    )
    for col in ("ts", "d", "t", "iv"):
        assert f"pgq._urlencode_punct((($6).{col})::pg_catalog.text)" in code, col
    assert "pgq._urlencode((($6).name)::pg_catalog.text)" in code
    db.execute("set datestyle = 'SQL, DMY'")
    db.execute(
        "insert into dt values (1, 'a b', '2026-12-03 09:44:00.5+02', '2026-12-03', '09:44',"
        " '1 day 02:03:04'), (2, null, 'infinity', '2000-01-01 BC', null, '-1 mons')"
    )
    got = [r[0] for r in db.execute("select ev_data from pgq.event_template order by ev_id")]
    # the values' own output texts (this DateStyle), url-encoded by Python
    texts = db.execute(
        "select id::text, name, ts::text, d::text, t::text, iv::text from dt order by id"
    )
    assert got == [
        urlencode(dict(zip(("id", "name", "ts", "d", "t", "iv"), row, strict=True)), lower=True)
        for row in texts
    ]
    assert "infinity" in got[1] and "BC" in got[1]
