"""Completion of Londiste table and sequence names from a catalog snapshot (no database).

For ADD the names that could be added (on a subscriber: the queue's set not added
here, whether or not a table of that name exists locally yet); for REMOVE, RESYNC,
COMPARE, REPAIR, CHANGE HANDLER the added ones.  Per queue; without a queue the union.
"""

from __future__ import annotations

import pytest

from qadmin.catalog import Catalog
from qadmin.complete.match import complete

CATALOG = Catalog.build(
    queues=["lq", "q2"],
    # local relations: "local_only" is not in the set, "remote" is not here yet
    tables=["t1", "t2", "local_only", "other.x"],
    sequences=["s1", "local_seq"],
    londiste_tables={"lq": ["t1"], "q2": ["t2"]},
    londiste_seqs={"lq": ["s1"]},
    londiste_missing_tables={"lq": ["other.x", "remote", "t2"], "q2": ["t1"]},
    londiste_missing_seqs={"lq": ["s2"]},
)

CASES = [
    ("londiste add table ", "lq", ["all", "other.x", "remote", "t2"]),
    ("londiste add table r", "lq", ["remote"]),
    ("londiste add table t2, ", "lq", ["all", "other.x", "remote", "t2"]),
    ("londiste add table ", "q2", ["all", "t1"]),
    ("londiste add table ", None, ["all", "other.x", "remote", "t1", "t2"]),
    ("londiste add sequence ", "lq", ["all", "s2"]),
    ("londiste remove table ", "lq", ["all", "t1"]),
    ("londiste resync ", "q2", ["all", "t2"]),
    ("londiste compare ", "lq", ["all", "count", "t1"]),
    ("londiste repair ", "lq", ["all", "apply", "t1"]),
    ("londiste remove sequence ", "lq", ["all", "s1"]),
    ("londiste change handler ", "lq", ["t1"]),
]


@pytest.mark.parametrize(("text", "queue", "expected"), CASES, ids=[c[0] for c in CASES])
def test_londiste_names(text: str, queue: str | None, expected: list[str]) -> None:
    got = [c.text for c in complete(text, CATALOG, default_queue=queue)]
    assert got == expected


def test_nothing_to_add_without_londiste() -> None:
    cat = Catalog.build(queues=["lq"], tables=["t1"])
    assert [c.text for c in complete("londiste add table ", cat, default_queue="lq")] == ["all"]
