"""Every public function, called with NULL arguments, answers cleanly.

It either returns an ordinary result or raises an error that names the problem
(unknown queue, batch not found, invalid NULL value), never an internal failure
such as a NULL EXECUTE string or a constraint violation.  The list of functions is
read from the catalog, so functions added later are covered too.
"""

from __future__ import annotations

import psycopg2

INTERNAL_FAILURES = (
    "query string argument of EXECUTE is null",
    "violates",
    "null value in column",
    "syntax error",
    "does not exist",
    "cache lookup failed",
)


def test_public_functions_with_null_arguments(db):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    functions = db.execute(
        "select p.proname, n.nspname, array(select format_type(t, null)"
        "   from unnest(p.proargtypes) t)"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname in ('pgq', 'pgq_coop') and p.proname !~ '^_'"
        "   and p.prorettype <> 'trigger'::regtype and p.prorettype <> 'event_trigger'::regtype"
        " order by 2, 1"
    )
    assert len(functions) > 50
    conn = db.connect()
    cur = conn.cursor()
    bad = []
    for name, schema, types in functions:
        call = f"select * from {schema}.{name}(" + ", ".join(f"NULL::{t}" for t in types) + ")"
        try:
            cur.execute(call)
            cur.fetchall()
        except psycopg2.Error as err:
            message = err.diag.message_primary or ""
            if any(pattern in message for pattern in INTERNAL_FAILURES):
                bad.append(f"{schema}.{name}({', '.join(types)}): {message}")
    assert not bad, "\n".join(bad)


def test_drop_queue_one_argument_is_strict_as_the_original(db):
    assert db.execute("select pgq.drop_queue(null::text)") == [(None,)]
    assert db.execute(
        "select proisstrict from pg_proc where oid = 'pgq.drop_queue(text)'::regprocedure"
    ) == [(True,)]
