"""Every function of the original PgQ (the C extension, 3.5) exists in ours, declared alike.

For each function of the original's pgq schema (pg_proc of ``create extension pgq`` in
another database of the cluster): the same signature, argument names and defaults,
result (type or columns), set-returning or not, volatility, strictness and security
(definer or invoker).  Each deliberate difference is in DELIBERATE with its reason; the
test fails on any other difference and on an entry that no longer differs.
"""

from __future__ import annotations

from typing import Any

from tests.db.test_triggers_vs_original import original  # noqa: F401  (fixture)

FUNCTIONS = """
select p.oid::regprocedure::text as fn,
       pg_catalog.pg_get_function_arguments(p.oid) as arguments,
       pg_catalog.pg_get_function_result(p.oid) as result,
       p.proretset as returns_set,
       case p.provolatile when 'i' then 'immutable' when 's' then 'stable'
                          else 'volatile' end as volatility,
       p.proisstrict as strict,
       case when p.prosecdef then 'definer' else 'invoker' end as security
  from pg_catalog.pg_proc p
 where p.pronamespace = 'pgq'::regnamespace
"""

ATTRIBUTES = ("arguments", "result", "returns_set", "volatility", "strict", "security")

_INFO = (
    "reads only tables everybody may read: with the caller's rights (no security definer"
    " to audit) and stable (the planner may fold repeated calls in one query)"
)
_AS_OWNER = (
    "runs as the owner, so pgq_admin needs no write rights on PgQ's meta tables (the"
    " original grants pgq_admin INSERT/UPDATE/DELETE on them instead)"
)

# (function, attribute) -> (ours, the original's, why)
DELIBERATE: dict[tuple[str, str], tuple[Any, Any, str]] = {
    ("pgq.get_batch_info(bigint)", "volatility"): ("stable", "volatile", _INFO),
    ("pgq.get_batch_info(bigint)", "security"): ("invoker", "definer", _INFO),
    ("pgq.get_consumer_info()", "volatility"): ("stable", "volatile", _INFO),
    ("pgq.get_consumer_info()", "security"): ("invoker", "definer", _INFO),
    ("pgq.get_consumer_info(text)", "volatility"): ("stable", "volatile", _INFO),
    ("pgq.get_consumer_info(text)", "security"): ("invoker", "definer", _INFO),
    ("pgq.get_consumer_info(text,text)", "volatility"): ("stable", "volatile", _INFO),
    ("pgq.get_consumer_info(text,text)", "security"): ("invoker", "definer", _INFO),
    ("pgq.insert_event(text,text,text)", "security"): (
        "definer",
        "invoker",
        "inserts itself (generated code, no call of insert_event(7)), so runs as the owner"
        " as the original's insert_event(7) does; writers have no rights on event tables",
    ),
    ("pgq.maint_retry_events()", "security"): ("definer", "invoker", _AS_OWNER),
    ("pgq.maint_rotate_tables_step1(text)", "security"): ("definer", "invoker", _AS_OWNER),
    ("pgq.maint_rotate_tables_step2()", "security"): ("definer", "invoker", _AS_OWNER),
    ("pgq.tune_storage(text)", "security"): ("definer", "invoker", _AS_OWNER),
}


def declared(database: Any) -> dict[str, dict[str, Any]]:
    return {row["fn"]: row for row in database.dicts(FUNCTIONS)}


def test_functions_are_declared_as_the_originals(db, original):  # noqa: F811
    ours, orig = declared(db), declared(original)
    missing = sorted(set(orig) - set(ours))
    assert not missing, f"functions of the original missing here: {missing}"
    differences = {}
    for fn, theirs in orig.items():
        for attr in ATTRIBUTES:
            if ours[fn][attr] != theirs[attr]:
                differences[(fn, attr)] = (ours[fn][attr], theirs[attr])
    unexplained = {k: v for k, v in differences.items() if k not in DELIBERATE}
    assert not unexplained, "differences from the original (align, or list them with why):\n" + (
        "\n".join(
            f"  {fn} {attr}: ours {o!r}, original {t!r}"
            for (fn, attr), (o, t) in sorted(unexplained.items())
        )
    )
    stale = {key: why for key, (o, t, why) in DELIBERATE.items() if differences.get(key) != (o, t)}
    assert not stale, f"listed in DELIBERATE but not (so) different: {sorted(stale)}"


# definer functions whose code is immune to the caller's search_path instead of setting
# one (SET search_path costs about 3 us per call, on the hot path of every insert);
# test_pgq_roles.py::test_insert_path_ignores_a_hostile_search_path proves it
PATH_INDEPENDENT = [
    "pgq.insert_event(text,text,text)",
    "pgq.insert_event(text,text,text,text,text,text,text)",
]


def test_definer_functions_have_a_fixed_search_path(db):
    """Ours improve on the original here: no definer function runs on the caller's path."""
    loose = db.execute(
        "select p.oid::regprocedure::text from pg_catalog.pg_proc p"
        " where p.pronamespace = 'pgq'::regnamespace and p.prosecdef"
        " and not coalesce(p.proconfig, '{}') @> array['search_path=pg_catalog, pg_temp']"
        " order by 1"
    )
    assert [r[0] for r in loose] == PATH_INDEPENDENT
