"""Our pgq_node against the original Skytools pgq_node 3.5 extension.

Three cross-checks: the function catalogue (names, arguments, result columns,
volatility, strictness, security definer, who may execute), the same calls in a
database with ours and one with ``create extension pgq_node`` (same rows), and the
original's own regression suite run against ours.  The first two need the Debian
package postgresql-NN-pgq-node; the suite needs the original's sources, read at test
time only: set QADMIN_PGQ_NODE_SRC to a checkout of github.com/pgq/pgq-node.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.conftest import TEMPLATE_DB, _create_db, _drop_db

SRC_ENV = "QADMIN_PGQ_NODE_SRC"

# Ours beyond the original (documented in their headers)
ADDED = {"node_type", "rename_node_step1", "rename_node_step2"}
# Deliberate differences of the catalogue: function -> {attribute: (ours, original)}
CATALOGUE_DEVIATIONS = {
    # runs as owner: its row lock needed write rights on node_info that no role has here
    "maint_watermark": {"prosecdef": (True, False)},
}
# Deliberate differences of results: what -> (statement, ours, original's)
RESULT_DEVIATIONS = {
    # the original forgets to return and fails on the table's check constraint
    "bad node type": (
        "select ret_code, ret_note from"
        " pgq_node.create_node('q', 'nope', 'n1', 'w1', null, null, null)",
        [(401, "bad node type: nope")],
        'ERROR: new row for relation "node_info" violates check constraint "node_info_check"',
    ),
    # NULL for the dead flag keeps it (the original fails on the not-null column)
    "keep the dead flag": (
        "select ret_code, ret_note from pgq_node.register_location('q', 'n1', 'dbname=x', null)",
        [(200, "Location registered")],
        'ERROR: null value in column "dead" of relation "node_location"'
        " violates not-null constraint",
    ),
    # a missing space
    "unknown queue": (
        "select ret_note from pgq_node.set_global_watermark('nope', 1)",
        [("Queue nope not found",)],
        [("Queuenope not found",)],
    ),
    # the original selects the queue name into nothing
    "unknown subscriber": (
        "select ret_note from pgq_node.set_subscriber_watermark('q', 'nx', 1)",
        [("node nx not subscribed to queue q",)],
        [("node nx not subscribed to queue ",)],
    ),
}

CATALOGUE = """
select p.proname, pg_get_function_arguments(p.oid) as args,
       pg_get_function_result(p.oid) as result, p.provolatile::text as provolatile,
       p.proisstrict, p.prosecdef,
       array(select r from unnest(array['public', 'pgq_reader', 'pgq_writer', 'pgq_admin']) r
              where has_function_privilege(
                        case when r = 'public' then 'pgq_node_probe' else r end,
                        p.oid, 'execute')) as runs
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname = 'pgq_node'
 order by 1
"""

TABLE_RIGHTS = """
select c.relname, r.rolname,
       has_table_privilege(r.oid, c.oid, 'select') as can_select
  from pg_class c, pg_roles r
 where c.relnamespace = 'pgq_node'::regnamespace and c.relkind = 'r'
   and r.rolname in ('pgq_reader', 'pgq_writer', 'pgq_admin')
 order by 1, 2
"""


def _available(pg_cluster: Any, extension: str) -> bool:
    admin = psycopg2.connect(pg_cluster.dsn("postgres"))
    try:
        with admin.cursor() as cur:
            cur.execute("select 1 from pg_available_extensions where name = %s", (extension,))
            return cur.fetchone() is not None
    finally:
        admin.close()


@pytest.fixture
def original_node(pg_cluster: Any) -> Iterator[Any]:
    """A database with the original pgq and pgq_node extensions."""
    if not _available(pg_cluster, "pgq_node"):
        pytest.skip("the original pgq_node extension (postgresql-NN-pgq-node) is not installed")
    database = _create_db(pg_cluster, "template0")
    try:
        database.execute("create extension pgq")
        database.execute("create extension pgq_node")
        yield database
    finally:
        _drop_db(database)


@pytest.fixture
def probe_role(db: Any) -> Iterator[None]:
    db.execute("create role pgq_node_probe")
    try:
        yield
    finally:
        db.execute("drop role pgq_node_probe")


def test_catalogue_matches_the_original(db, original_node, probe_role):
    ours = {r["proname"]: r for r in db.dicts(CATALOGUE)}
    theirs = {r["proname"]: r for r in original_node.dicts(CATALOGUE)}
    assert set(ours) - set(theirs) == ADDED
    assert set(theirs) <= set(ours), "missing functions"
    assert len(theirs) == 30
    for name, orig in theirs.items():
        mine = dict(ours[name])
        for attr, (our_value, their_value) in CATALOGUE_DEVIATIONS.get(name, {}).items():
            assert mine[attr] == our_value, (name, attr)
            mine[attr] = their_value
        assert mine == orig, name
    assert db.dicts(TABLE_RIGHTS) == original_node.dicts(TABLE_RIGHTS)


def _outcome(database: Any, stmt: str) -> list[tuple] | str:
    try:
        return database.execute(stmt)
    except psycopg2.Error as err:
        return "ERROR: " + err.diag.message_primary


# One database playing root of 'q' and branch of 'bq', with the calls a worker and the
# admin make; every result row (or error) must be the original's.  Tick ids come from
# the same sequence in both (1 at create_queue, then 2-6).
SCRIPT = """
select * from pgq_node.register_location('q', 'n1', 'dbname=n1', false)
select * from pgq_node.register_location('q', 'n2', 'dbname=n2', false)
select * from pgq_node.register_location('q', 'n3', 'dbname=n3', false)
select * from pgq_node.register_location('q', 'n3', null, true)
select * from pgq_node.register_location('q', 'n3', null, false)
select * from pgq_node.register_location('q', 'n9', null, false)
select * from pgq_node.get_queue_locations('q') order by 1
select * from pgq_node.create_node('q', 'root', 'n1', 'w1', 'n2', null, null)
select * from pgq_node.create_node('q', 'root', 'n1', 'w1', null, null, null)
select * from pgq_node.create_node('q', 'root', 'n1', 'w1', null, null, null)
select * from pgq_node.register_location('q', 'n4', 'dbname=n4', false)
select * from pgq_node.unregister_location('q', 'n4')
select * from pgq_node.unregister_location('q', 'n4')
select * from pgq_node.unregister_location('q', 'n1')
select ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3 from pgq.event_template order by ev_id
select * from pgq_node.register_subscriber('q', 'n2', 'w2', null)
select * from pgq_node.register_subscriber('q', 'n3', 'w3', null)
select * from pgq_node.register_subscriber('nope', 'n3', 'w3', null)
select * from pgq_node.unregister_subscriber('q', 'n3')
select * from pgq_node.unregister_subscriber('q', 'n3')
update pgq.queue set queue_ticker_max_lag = '0', queue_ticker_idle_period = '0'
select pgq.ticker('q')
select pgq.ticker('q')
select pgq.ticker('q')
select pgq.ticker('q')
select pgq.ticker('q')
select tick_id from pgq.tick order by 1
select * from pgq_node.set_subscriber_watermark('q', 'n2', 5)
select * from pgq_node.set_subscriber_watermark('q', 'n2', 5)
select * from pgq_node.set_subscriber_watermark('q', 'n2', 1)
select * from pgq_node.get_subscriber_info('q')
select * from pgq_node.set_global_watermark('q', null)
select * from pgq.register_consumer_at('q', 'w2', 6)
select * from pgq_node.set_global_watermark('q', null)
select * from pgq_node.set_global_watermark('q', 6)
select ev_data, ev_extra1 from pgq.event_template where ev_type like 'pgq.g%' order by ev_id
select * from pgq_node.get_node_info('q')
select * from pgq_node.get_worker_state('q')
select * from pgq_node.get_worker_state('nope')
select * from pgq_node.get_node_info('nope')
select * from pgq_node.maint_watermark('q')
select * from pgq_node.maint_watermark('nope')
select * from pgq_node.register_consumer('q', 'c1', 'n2', 5)
select * from pgq_node.register_consumer('q', 'c1', 'n3', 6)
select * from pgq_node.register_consumer('nope', 'c1', 'n3', 6)
select * from pgq_node.get_consumer_state('q', 'c1')
select * from pgq_node.get_consumer_state('q', 'cx')
select * from pgq_node.get_consumer_state('nope', 'c1')
select * from pgq_node.set_consumer_error('q', 'c1', 'boom')
select * from pgq_node.set_consumer_error('q', 'cx', 'boom')
select * from pgq_node.set_consumer_completed('q', 'c1', 6)
select * from pgq_node.set_consumer_completed('q', 'cx', 6)
select * from pgq_node.set_consumer_uptodate('q', 'c1', true)
select * from pgq_node.set_consumer_uptodate('q', 'cx', true)
select * from pgq_node.set_consumer_paused('q', 'c1', true)
select * from pgq_node.set_consumer_paused('q', 'c1', true)
select * from pgq_node.set_consumer_paused('q', 'c1', false)
select * from pgq_node.set_consumer_paused('q', 'cx', false)
select * from pgq_node.change_consumer_provider('q', 'c1', 'n9')
select * from pgq_node.change_consumer_provider('q', 'cx', 'n2')
select * from pgq_node.change_consumer_provider('q', 'c1', 'n2')
select * from pgq_node.get_consumer_info('q')
select * from pgq_node.unregister_consumer('q', 'c1')
select * from pgq_node.unregister_consumer('nope', 'c1')
select * from pgq_node.set_node_attrs('q', 'a=1')
select * from pgq_node.set_node_attrs('nope', 'a=1')
select pgq_node.is_root_node('q'), pgq_node.is_leaf_node('q')
select pgq_node.is_root_node('nope')
select pgq_node.is_leaf_node('nope')
select * from pgq_node.promote_branch('q')
select * from pgq_node.promote_branch('nope')
select * from pgq_node.demote_root('q', 2, 'n2')
select * from pgq_node.demote_root('nope', 1, 'n2')
select * from pgq_node.demote_root('q', 1, 'n2')
select ret_code, ret_note from pgq_node.demote_root('q', 2, 'n2')
select * from pgq_node.demote_root('q', 3, 'n2')
select * from pgq_node.demote_root('q', 1, 'n2')
select * from pgq_node.get_worker_state('q')
select * from pgq_node.promote_branch('q')
select * from pgq_node.get_worker_state('q')
select * from pgq_node.register_location('bq', 'n1', 'dbname=n1', false)
select * from pgq_node.register_location('bq', 'n2', 'dbname=n2', false)
select * from pgq_node.create_node('bq', 'branch', 'n2', 'w2', null, 3, null)
select * from pgq_node.create_node('bq', 'branch', 'n2', 'w2', 'n1', null, null)
select * from pgq_node.create_node('bq', 'branch', 'n2', 'w2', 'n1', 3, null)
select queue_external_ticker, queue_disable_insert from pgq.queue where queue_name = 'bq'
select tick_id from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue where queue_name = 'bq'
select * from pgq_node.set_global_watermark('bq', null)
select * from pgq_node.set_global_watermark('bq', 7)
select * from pgq_node.set_global_watermark('bq', 3)
select * from pgq_node.get_worker_state('bq')
select * from pgq_node.register_location('pq', 'n2', 'dbname=n2', false)
select * from pgq_node.register_location('pq', 'p1', 'dbname=p1', false)
select * from pgq_node.create_node('pq', 'leaf', 'n2', 'pw', 'p1', 1, 'nope')
select * from pgq_node.create_node('pq', 'leaf', 'n2', 'pw', 'p1', 1, 'bq')
select * from pgq_node.set_partition_watermark('bq', 'pq', 3)
select * from pgq_node.set_partition_watermark('q', 'pq', 3)
select * from pgq_node.get_worker_state('pq')
select * from pgq_node.get_node_info('pq')
select target_for from pgq_node.get_node_info('bq')
select * from pgq_node.register_subscriber('pq', 'x', 'xw', null)
select * from pgq_node.unregister_consumer('pq', 'pw')
select * from pgq_node.set_partition_watermark('bq', 'pq', 3)
select * from pgq_node.drop_node('bq', 'n1')
select * from pgq_node.drop_node('q', 'n3')
select * from pgq_node.drop_node('q', 'n2')
select * from pgq_node.drop_node('pq', 'n2')
select * from pgq_node.drop_node('bq', 'n2')
select * from pgq_node.drop_node('bq', 'n2')
select queue_name, node_name from pgq_node.node_location order by 1, 2
select queue_name from pgq.queue order by 1
select queue_name, consumer_name, last_tick from pgq.get_consumer_info() order by 1, 2
"""


def test_same_calls_same_results(db, original_node):
    for database in (db, original_node):
        database.execute("set client_min_messages = error")
    for stmt in (s.strip() for s in SCRIPT.strip().splitlines()):
        assert _outcome(db, stmt) == _outcome(original_node, stmt), stmt


def test_deliberate_differences(db, original_node):
    for database in (db, original_node):
        database.execute("select * from pgq_node.register_location('q', 'n1', 'dbname=n1', false)")
        database.execute("select pgq.create_queue('q')")
    for what, (stmt, ours, theirs) in RESULT_DEVIATIONS.items():
        assert (_outcome(db, stmt), _outcome(original_node, stmt)) == (ours, theirs), what


# ---------------------------------------------------------------- the original's suite


@pytest.fixture
def original_pgq_node_src() -> Path:
    src = os.environ.get(SRC_ENV)
    if not src:
        pytest.skip(f"{SRC_ENV} is not set (a checkout of github.com/pgq/pgq-node)")
    path = Path(src)
    if not (path / "sql" / "pgq_node_test.sql").is_file():
        pytest.skip(f"{SRC_ENV}={src} has no sql/pgq_node_test.sql")
    return path


def _psql(pg_cluster: Any) -> str:
    found = pg_cluster.bindir / "psql"
    if found.is_file():
        return str(found)
    which = shutil.which("psql")
    if which is None:
        pytest.skip("psql is not installed")
    return which


def _statements(text: str) -> list[list[str]]:
    """Output of `psql -a` split at each echoed statement, whitespace-insensitive."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if re.match(r"(?i)^(select|update|insert|delete|\\)", line):
            blocks.append([])
        norm = " ".join(line.split())
        if norm:
            blocks[-1].append(norm)
    return [b for b in blocks if b]


def test_the_originals_regression_suite(pg_cluster, original_pgq_node_src):
    """sql/pgq_node_test.sql of the original gives its expected/pgq_node_test.out on ours.

    The suite's other files only load the code (create extension / \\i of the sources);
    our installer does that here, into a database cloned from the test template.
    """
    database = _create_db(pg_cluster, TEMPLATE_DB)
    try:
        script = (original_pgq_node_src / "sql" / "pgq_node_test.sql").read_text()
        expected = (original_pgq_node_src / "expected" / "pgq_node_test.out").read_text()
        env = dict(os.environ, PGTZ="PST8PDT", PGDATESTYLE="Postgres, MDY")
        out = subprocess.run(
            [_psql(pg_cluster), "-X", "-a", "-q", "-d", database.dsn],
            input=script,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            timeout=120,
        )
        got = _statements(out.stdout)
        want = _statements(expected)
        same = sum(1 for a, b in zip(got, want, strict=False) if a == b)
        print(f"original pgq_node regression suite: {same} of {len(want)} statements match")
        assert got == want
    finally:
        _drop_db(database)
