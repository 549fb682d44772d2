"""The names Londiste completion offers, fetched from a real root and branch.

engine.catalog.fetch_names reads them with one query whatever the number of queues
and tables: on the root, for ADD, its tables and sequences not added; on the branch
those of the queue's set (published by the root) not added there, even one the branch
has no table for yet; for REMOVE and the others the added ones.
"""

from __future__ import annotations

import psycopg2
import psycopg2.extensions

from engine.catalog import fetch_names
from qadmin.complete.match import complete
from qadmin.refresher import fetch_catalog
from tests.db.test_londiste_admin import (
    QUEUE,
    Set,
    lset,  # noqa: F401  (a fixture)
)


class CountingCursor(psycopg2.extensions.cursor):
    count = 0

    def execute(self, query, vars=None):  # type: ignore[no-untyped-def]
        CountingCursor.count += 1
        return super().execute(query, vars)


def queries(dsn: str) -> int:
    conn = psycopg2.connect(dsn, cursor_factory=CountingCursor)
    try:
        CountingCursor.count = 0
        fetch_names(conn)
        return CountingCursor.count
    finally:
        conn.close()


def texts(dsn: str, text: str) -> list[str]:
    conn = psycopg2.connect(dsn)
    try:
        cat = fetch_catalog(conn)
    finally:
        conn.close()
    return [c.text for c in complete(text, cat, default_queue=QUEUE)]


def test_add_offers_the_set_remove_the_added(lset: Set) -> None:  # noqa: F811
    before = queries(lset.dsn("branch"))
    root = lset.admin("root")
    root.add_table(["t1", "t2", "only_root"])
    root.add_seq(["s1"])
    # the branch learns the set as its worker would (londiste.add-table / update-seq)
    for t in ("public.t1", "public.t2", "public.only_root"):
        lset.sql("branch", "select londiste.global_add_table(%s, %s)", [QUEUE, t])
    lset.sql("branch", "select londiste.global_update_seq(%s, 'public.s1', 5)", [QUEUE])
    lset.admin("branch").add_table(["t1"], expect_sync=True)
    lset.sql("branch", "create table public.branch_only (id int primary key)")

    assert texts(lset.dsn("root"), "londiste add table ") == ["all", "nopk"]
    assert texts(lset.dsn("root"), "londiste remove table ") == [
        "all",
        "only_root",
        "t1",
        "t2",
    ]
    # the branch: the set's tables not added (only_root has no table here yet), not its
    # own tables outside the set
    assert texts(lset.dsn("branch"), "londiste add table ") == ["all", "only_root", "t2"]
    assert texts(lset.dsn("branch"), "londiste add sequence ") == ["all", "s1"]
    assert texts(lset.dsn("branch"), "londiste resync ") == ["all", "t1"]
    assert texts(lset.dsn("branch"), "londiste compare ") == ["all", "count", "t1"]
    assert texts(lset.dsn("root"), "londiste remove sequence ") == ["all", "s1"]
    # one query for all of it: as many as before the tables were there
    lset.sql("branch", "select pgq.create_queue('q2')")
    assert queries(lset.dsn("branch")) == before
