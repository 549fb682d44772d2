"""pgq_node: node creation, members, subscribers, consumer state, watermarks, takeover steps.

Several nodes of a cascaded queue are several databases of one cluster; the tests
do with SQL what the worker and the admin code do between them (copy a tick,
report a watermark), so every function's codes and effects are checked here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from engine.install import install, sql_root
from tests.conftest import TEMPLATE_DB, Database, _create_db, _drop_db
from tests.pgqtools import tick

Q = "cq"


def call(node: Database, function: str, *args: Any) -> dict[str, Any]:
    """One row of a pgq_node function, as a dict."""
    marks = ", ".join(["%s"] * len(args))
    return node.dicts(f"select * from pgq_node.{function}({marks})", args)[0]


def code(node: Database, function: str, *args: Any) -> tuple[int, str]:
    row = call(node, function, *args)
    return row["ret_code"], row["ret_note"]


def cascade_events(node: Database, queue: str = Q) -> list[tuple]:
    return node.execute(
        "select ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3 from pgq.event_template e"
        " join pgq.queue q on e.tableoid::regclass::text like q.queue_data_pfx || '%%'"
        " where q.queue_name = %s and ev_type like 'pgq.%%' order by ev_id",
        (queue,),
    )


def consumer_tick(node: Database, consumer: str, queue: str = Q) -> int | None:
    return node.scalar("select last_tick from pgq.get_consumer_info(%s, %s)", (queue, consumer))


@pytest.fixture
def db3(pg_cluster: Any) -> Iterator[Database]:
    database = _create_db(pg_cluster, TEMPLATE_DB)
    try:
        yield database
    finally:
        _drop_db(database)


def members(*nodes: Database, names: tuple[str, ...] = ("n1", "n2", "n3")) -> None:
    """Every node knows every member (what create-branch copies from the root)."""
    for node in nodes:
        for name, other in zip(names, nodes, strict=False):
            assert code(node, "register_location", Q, name, other.dsn, False)[0] == 200


def make_root(root: Database) -> None:
    assert code(root, "create_node", Q, "root", "n1", "w1", None, None, None) == (
        200,
        f'Node "n1" initialized for queue "{Q}" with type "root"',
    )


def subscribe(provider: Database, node: Database, name: str, kind: str, worker: str) -> int:
    """register_subscriber on the provider, create_node on the new node: create-branch."""
    row = call(provider, "register_subscriber", Q, name, worker, None)
    assert row["ret_code"] == 200, row
    pname = call(provider, "get_node_info", Q)["node_name"]
    assert (
        code(node, "create_node", Q, kind, name, worker, pname, row["global_watermark"], None)[0]
        == 200
    )
    return row["global_watermark"]


@pytest.fixture
def tree(db: Database, db2: Database, db3: Database) -> tuple[Database, Database, Database]:
    """n1 (root) -> n2 (branch) -> n3 (leaf)."""
    members(db, db2, db3)
    make_root(db)
    subscribe(db, db2, "n2", "branch", "w2")
    subscribe(db2, db3, "n3", "leaf", "w3")
    return db, db2, db3


# ---------------------------------------------------------------- members


def test_locations_upsert_keep_and_tag(db):
    assert code(db, "register_location", Q, "n1", "dbname=a", False) == (200, "Location registered")
    assert code(db, "register_location", Q, "n1", "dbname=b", False)[0] == 200
    # NULL location keeps the known one, and adds nothing for an unknown node
    assert code(db, "register_location", Q, "n1", None, True)[0] == 200
    assert code(db, "register_location", Q, "nx", None, False)[0] == 200
    rows = db.execute("select * from pgq_node.get_queue_locations(%s)", (Q,))
    assert rows == [("n1", "dbname=b", True)]
    # tag alive again; a NULL dead flag keeps the flag
    code(db, "register_location", Q, "n1", None, False)
    code(db, "register_location", Q, "n1", "dbname=c", None)
    assert db.execute("select * from pgq_node.get_queue_locations(%s)", (Q,)) == [
        ("n1", "dbname=c", False)
    ]
    assert code(db, "unregister_location", Q, "n1") == (200, "Ok")
    assert code(db, "unregister_location", Q, "n1") == (301, f"Location not found: {Q}/n1")
    assert db.execute("select * from pgq_node.get_queue_locations('nope')") == []
    # not a root: no events (no queue even)
    assert db.scalar("select count(*) from pgq.queue") == 0


def test_unregister_location_refuses_own_and_provider(tree):
    _, branch, leaf = tree
    assert code(leaf, "unregister_location", Q, "n3") == (403, "Cannot drop node's own location")
    assert code(leaf, "unregister_location", Q, "n2") == (
        403,
        "Cannot drop location of node's parent",
    )
    # another member: its subscription here goes too
    assert code(branch, "unregister_location", Q, "n3") == (200, "Ok")
    assert branch.execute("select * from pgq_node.get_subscriber_info(%s)", (Q,)) == []
    assert consumer_tick(branch, "w3") is None
    assert consumer_tick(branch, ".n3.watermark") is None


def test_root_sends_member_changes_down_the_tree(tree):
    root, branch, _ = tree
    code(root, "register_location", Q, "n4", "dbname=x", False)
    code(root, "register_location", Q, "n2", "host=new dbname=y", False)
    code(root, "register_location", Q, "n4", None, True)
    code(root, "unregister_location", Q, "n4")
    assert cascade_events(root) == [
        ("pgq.location-info", "n4", Q, "dbname=x", "false"),
        ("pgq.location-info", "n2", Q, "host=new dbname=y", "false"),
        ("pgq.location-info", "n4", Q, None, "true"),
        ("pgq.unregister-location", "n4", Q, None, None),
    ]
    # a branch changes only its own list (its queue takes no inserts anyway)
    code(branch, "register_location", Q, "n5", "dbname=z", False)
    assert cascade_events(branch) == []
    # what a receiving worker does with the connect string change: the member's new
    # location everywhere, the provider's included
    for ev in cascade_events(root)[1:2]:
        code(branch, "register_location", ev[2], ev[1], ev[3], ev[4] == "true")
    state = call(branch, "get_worker_state", Q)
    assert call(tree[2], "get_worker_state", Q)["provider_location"] == branch.dsn
    assert state["provider_location"] == root.dsn  # n1 is the provider, unchanged
    assert (
        branch.scalar("select node_location from pgq_node.node_location where node_name = 'n2'")
        == "host=new dbname=y"
    )


# ---------------------------------------------------------------- nodes


def test_create_root(db):
    members(db)
    assert code(db, "create_node", Q, "root", "n1", "w1", "n0", None, None) == (
        401,
        "unexpected args for root",
    )
    make_root(db)
    assert code(db, "create_node", Q, "root", "n1", "w1", None, None, None) == (
        401,
        "Node already initialized",
    )
    q = db.dicts(
        "select queue_external_ticker, queue_disable_insert from pgq.queue where queue_name = %s",
        (Q,),
    )
    assert q == [{"queue_external_ticker": False, "queue_disable_insert": False}]
    wm = consumer_tick(db, ".global_watermark")
    assert wm is not None
    info = call(db, "get_node_info", Q)
    assert info["ret_code"] == 100 and info["ret_note"] == "Ok"
    assert (info["node_type"], info["node_name"], info["worker_name"]) == ("root", "n1", "w1")
    assert info["provider_node"] == "n1" and info["provider_location"] == db.dsn
    assert info["global_watermark"] == wm and info["local_watermark"] == wm
    assert info["worker_paused"] is False and info["worker_uptodate"] is False
    assert info["target_for"] is None and info["combined_queue"] is None
    new_tick = tick(db.conn.cursor(), Q)
    info = call(db, "get_node_info", Q)
    assert info["worker_last_tick"] == new_tick  # the root's worker: the queue's top
    assert db.scalar("select pgq_node.is_root_node(%s)", (Q,)) is True
    assert db.scalar("select pgq_node.is_leaf_node(%s)", (Q,)) is False
    assert db.scalar("select pgq_node.node_type(%s)", (Q,)) == "root"
    assert db.scalar("select pgq_node.node_type('nope')") is None
    with pytest.raises(psycopg2.Error, match="queue does not exist: nope"):
        db.execute("select pgq_node.is_root_node('nope')")
    with pytest.raises(psycopg2.Error, match="queue does not exist: nope"):
        db.execute("select pgq_node.is_leaf_node('nope')")
    row = call(db, "get_node_info", "nope")
    assert (row["ret_code"], row["ret_note"], row["node_type"]) == (
        404,
        "Unknown queue: nope",
        None,
    )


def test_create_node_bad_arguments(db):
    members(db, names=("n1",))
    assert code(db, "create_node", Q, "trunk", "n1", "w1", None, None, None) == (
        401,
        "bad node type: trunk",
    )
    assert code(db, "create_node", Q, "branch", "n1", "w1", None, 1, None) == (
        401,
        "provider not set for branch",
    )
    assert code(db, "create_node", Q, "branch", "n1", "w1", "n0", None, None) == (
        401,
        "global watermark not set for branch",
    )
    assert code(db, "create_node", Q, "leaf", "n1", "w1", "n0", 1, "nope") == (
        401,
        "non-existing queue on leaf side: nope",
    )
    assert db.scalar("select count(*) from pgq_node.node_info") == 0
    assert db.scalar("select count(*) from pgq.queue") == 0


def test_create_branch_starts_at_the_providers_tick(db, db2):
    members(db, db2, names=("n1", "n2"))
    make_root(db)
    cur = db.conn.cursor()
    for _ in range(3):
        tick(cur, Q)
    gwm = call(db, "set_global_watermark", Q, None)
    assert gwm["ret_code"] == 200
    wm = subscribe(db, db2, "n2", "branch", "w2")
    assert wm == consumer_tick(db, ".global_watermark") and wm > 1
    assert consumer_tick(db, "w2") == wm and consumer_tick(db, ".n2.watermark") == wm
    q = db2.dicts(
        "select queue_external_ticker, queue_disable_insert from pgq.queue where queue_name = %s",
        (Q,),
    )
    assert q == [{"queue_external_ticker": True, "queue_disable_insert": True}]
    # the provider's tick id exists locally, and the watermark consumer sits on it
    assert db2.scalar("select max(tick_id) from pgq.tick") == wm
    assert consumer_tick(db2, ".global_watermark") == wm
    info = call(db2, "get_node_info", Q)
    assert (info["node_type"], info["provider_node"], info["worker_last_tick"]) == (
        "branch",
        "n1",
        wm,
    )
    assert info["provider_location"] == db.dsn and info["global_watermark"] == wm
    assert db2.scalar("select pgq_node.node_type(%s)", (Q,)) == "branch"
    with pytest.raises(psycopg2.Error, match="disallowed"):
        db2.execute("select pgq.insert_event(%s, 'x', 'y')", (Q,))


def test_leaf_and_combined_queue(db, db2):
    members(db, db2, names=("n1", "n2"))
    make_root(db)
    subscribe(db, db2, "n2", "leaf", "w2")
    info = call(db2, "get_node_info", Q)
    assert info["node_type"] == "leaf" and info["local_watermark"] == info["worker_last_tick"]
    assert info["global_watermark"] is None and info["target_for"] is None
    assert db2.scalar("select count(*) from pgq.queue") == 0
    assert db2.scalar("select pgq_node.is_leaf_node(%s)", (Q,)) is True
    row = call(db2, "register_subscriber", Q, "n9", "w9", None)
    assert (row["ret_code"], row["ret_note"]) == (401, "Cannot subscribe to leaf node")
    # a merge leaf: part queue 'part' of combined queue 'cq' (a root on db)
    code(db, "register_location", "part", "p1", "dbname=p1", False)
    code(db, "register_location", "part", "n1", db.dsn, False)
    assert code(db, "create_node", "part", "leaf", "n1", "pw", "p1", 1, Q)[0] == 200
    info = call(db, "get_node_info", "part")
    assert (info["combined_queue"], info["combined_type"]) == (Q, "root")
    assert call(db, "get_node_info", Q)["target_for"] == ["part"]
    state = call(db, "get_worker_state", "part")
    assert (state["combined_queue"], state["combined_type"]) == (Q, "root")
    assert state["local_watermark"] == state["completed_tick"] == 1
    # combined queue is a root here, not a branch: nothing to set
    assert code(db, "set_partition_watermark", Q, "part", 5) == (201, "Part-queue does not exist")


def test_partition_watermark_on_a_combined_branch(db, db2):
    members(db, db2, names=("n1", "n2"))
    make_root(db)
    subscribe(db, db2, "n2", "branch", "w2")
    code(db2, "register_location", "part", "p1", "dbname=p1", False)
    code(db2, "register_location", "part", "n2", db2.dsn, False)
    assert code(db2, "create_node", "part", "leaf", "n2", "pw", "p1", 1, Q)[0] == 200
    assert code(db2, "set_partition_watermark", Q, "part", 7) == (200, "Ok")
    assert call(db2, "get_consumer_state", "part", "pw")["completed_tick"] == 7
    code(db2, "unregister_consumer", "part", "pw")
    assert code(db2, "set_partition_watermark", Q, "part", 8) == (
        401,
        "Worker registration not found",
    )
    assert code(db2, "set_partition_watermark", Q, "nope", 8)[0] == 201


# ---------------------------------------------------------------- subscribers


def test_subscribers_and_their_watermarks(db):
    members(db, names=("n1",))
    code(db, "register_location", Q, "n2", "dbname=n2", False)
    row = call(db, "register_subscriber", "nope", "n2", "w2", None)
    assert (row["ret_code"], row["ret_note"]) == (404, "Unknown queue: nope")
    make_root(db)
    cur = db.conn.cursor()
    t1 = tick(cur, Q)
    row = call(db, "register_subscriber", Q, "n2", "w2", t1)
    gwm = consumer_tick(db, ".global_watermark")
    assert row == {
        "ret_code": 200,
        "ret_note": "Subscriber registered: n2",
        "global_watermark": gwm,
    }
    assert consumer_tick(db, "w2") == t1 and consumer_tick(db, ".n2.watermark") == gwm
    assert db.execute("select * from pgq_node.get_subscriber_info(%s)", (Q,)) == [("n2", "w2", gwm)]
    t2 = tick(cur, Q)
    assert code(db, "set_subscriber_watermark", Q, "n2", t2) == (200, f".n2.watermark set to {t2}")
    assert code(db, "set_subscriber_watermark", Q, "n2", t2) == (100, "watermark already set")
    assert code(db, "set_subscriber_watermark", Q, "n2", gwm) == (
        405,
        "watermark must not be moved backwards",
    )
    assert code(db, "set_subscriber_watermark", Q, "n9", t2) == (
        404,
        f"node n9 not subscribed to queue {Q}",
    )
    assert db.execute("select node_watermark from pgq_node.get_subscriber_info(%s)", (Q,)) == [
        (t2,)
    ]
    assert code(db, "unregister_subscriber", Q, "n2") == (200, "Subscriber unregistered: n2")
    assert code(db, "unregister_subscriber", Q, "n2") == (304, "Subscriber not found")
    assert consumer_tick(db, "w2") is None and consumer_tick(db, ".n2.watermark") is None


# ---------------------------------------------------------------- consumer state


def test_consumer_state_functions(db):
    members(db, names=("n1",))
    code(db, "register_location", Q, "n0", "dbname=n0", False)
    assert code(db, "register_consumer", Q, "c1", "n1", 1) == (404, f"Unknown queue: {Q}")
    make_root(db)
    assert code(db, "register_consumer", Q, "c1", "n1", 1) == (
        200,
        f"Consumer c1 registered on queue {Q}",
    )
    assert code(db, "register_consumer", Q, "c1", "n0", 5) == (
        201,
        f"Consumer already registered: {Q}/c1",
    )
    state = call(db, "get_consumer_state", Q, "c1")
    assert state == {
        "ret_code": 100,
        "ret_note": "Ok",
        "node_type": "root",
        "node_name": "n1",
        "completed_tick": 5,
        "provider_node": "n0",
        "provider_location": "dbname=n0",
        "paused": False,
        "uptodate": False,
        "cur_error": None,
    }
    assert code(db, "set_consumer_error", Q, "c1", "boom") == (100, "Consumer c1 error = boom")
    assert code(db, "set_consumer_error", Q, "cx", "boom") == (
        101,
        f"Consumer not known, ignoring: {Q}/cx",
    )
    assert call(db, "get_consumer_state", Q, "c1")["cur_error"] == "boom"
    assert code(db, "set_consumer_completed", Q, "c1", 6) == (100, "Consumer c1 completed tick = 6")
    assert code(db, "set_consumer_completed", Q, "cx", 6) == (404, f"Consumer not known: {Q}/cx")
    state = call(db, "get_consumer_state", Q, "c1")
    assert state["completed_tick"] == 6 and state["cur_error"] is None
    assert code(db, "set_consumer_uptodate", Q, "c1", True) == (200, "Consumer uptodate = 1")
    assert code(db, "set_consumer_uptodate", Q, "cx", True) == (404, f"Consumer not known: {Q}/cx")
    assert code(db, "set_consumer_paused", Q, "c1", True) == (200, "Consumer c1 tagged as paused")
    state = call(db, "get_consumer_state", Q, "c1")
    assert state["paused"] is True and state["uptodate"] is False
    assert code(db, "set_consumer_paused", Q, "c1", True) == (201, "Consumer c1 already paused")
    assert code(db, "set_consumer_paused", Q, "c1", False) == (200, "Consumer c1 tagged as resumed")
    assert code(db, "set_consumer_paused", Q, "cx", False) == (404, "Unknown consumer: cx")
    code(db, "set_consumer_uptodate", Q, "c1", True)
    assert code(db, "change_consumer_provider", Q, "c1", "n9") == (404, "New node not found: n9")
    assert code(db, "change_consumer_provider", Q, "cx", "n1") == (404, f"Unknown consumer: {Q}/cx")
    assert code(db, "change_consumer_provider", Q, "c1", "n1") == (
        200,
        "Consumer provider node set to : n1",
    )
    state = call(db, "get_consumer_state", Q, "c1")
    assert state["provider_node"] == "n1" and state["uptodate"] is False
    assert db.execute(
        "select consumer_name, provider_node, last_tick_id, paused, uptodate, cur_error"
        " from pgq_node.get_consumer_info(%s)",
        (Q,),
    ) == [("c1", "n1", 6, False, False, None), ("w1", "n1", 1, False, False, None)]
    assert code(db, "get_consumer_state", "nope", "c1") == (404, "Unknown queue: nope")
    assert code(db, "get_consumer_state", Q, "cx") == (404, f"Unknown consumer: {Q}/cx")
    code(db, "register_consumer", Q, "c2", "n0", 1)
    code(db, "unregister_location", Q, "n9")
    assert code(db, "unregister_consumer", Q, "c1") == (200, f"Consumer c1 unregistered from {Q}")
    assert code(db, "unregister_consumer", "nope", "c1") == (404, "Unknown queue: nope")
    assert code(db, "get_consumer_state", Q, "c1")[0] == 404


def test_worker_state(tree):
    root, branch, leaf = tree
    st = call(branch, "get_worker_state", Q)
    assert (st["ret_code"], st["node_type"], st["node_name"], st["worker_name"]) == (
        100,
        "branch",
        "n2",
        "w2",
    )
    assert st["provider_node"] == "n1" and st["provider_location"] == root.dsn
    # the branch's lowest consumer is its subscriber's worker, at the global watermark
    assert st["local_watermark"] == st["global_watermark"] == st["local_queue_top"]
    st = call(leaf, "get_worker_state", Q)
    assert st["node_type"] == "leaf" and st["local_watermark"] == st["completed_tick"]
    assert st["local_queue_top"] is None and st["global_watermark"] is None
    assert code(root, "get_worker_state", "nope") == (404, "Unknown queue: nope")
    root.execute("delete from pgq_node.local_state where consumer_name = 'w1'")
    assert code(root, "get_worker_state", Q) == (404, f"Unknown consumer: {Q}/w1")


# ---------------------------------------------------------------- watermarks


def test_global_watermark_on_root_branch_and_leaf(tree):
    root, branch, leaf = tree
    cur = root.conn.cursor()
    ticks = [tick(cur, Q) for _ in range(3)]
    # the root's local watermark is its lowest consumer: n2's worker and watermark
    assert code(root, "set_global_watermark", Q, None)[0] == 200
    assert consumer_tick(root, ".global_watermark") == consumer_tick(root, ".n2.watermark")
    code(root, "set_subscriber_watermark", Q, "n2", ticks[1])
    code(root, "register_consumer", Q, "w1", "n1", 1)  # sanity: the root worker moves
    root.execute("select pgq.register_consumer_at(%s, 'w2', %s)", (Q, ticks[2]))
    assert code(root, "set_global_watermark", Q, None) == (
        200,
        f"Global watermark set to {ticks[1]}",
    )
    assert consumer_tick(root, ".global_watermark") == ticks[1]
    assert call(root, "get_consumer_state", Q, "w1")["completed_tick"] == ticks[1]
    assert cascade_events(root)[-1] == ("pgq.global-watermark", str(ticks[1]), Q, None, None)
    assert code(root, "set_global_watermark", Q, ticks[2]) == (
        200,
        f"Global watermark set to {ticks[2]}",
    )
    # branch: applies what comes from upstream, if that tick was copied here
    assert code(branch, "set_global_watermark", Q, None) == (
        500,
        "bad usage: wm=null on branch node",
    )
    assert code(branch, "set_global_watermark", Q, ticks[1]) == (
        200,
        f"Skipping global watermark update to {ticks[1]}",
    )
    branch.execute("select pgq.ticker(%s, %s, now(), 1)", (Q, ticks[1]))
    assert code(branch, "set_global_watermark", Q, ticks[1]) == (
        200,
        f"Global watermark set to {ticks[1]}",
    )
    assert consumer_tick(branch, ".global_watermark") == ticks[1]
    assert cascade_events(branch) == []
    assert code(leaf, "set_global_watermark", Q, ticks[1]) == (
        100,
        "Ignoring global watermark in leaf",
    )
    assert code(leaf, "set_global_watermark", "nope", 1) == (404, "Queue nope not found")


def test_maint_watermark_publishes_when_the_root_worker_does_not(tree):
    root, branch, _ = tree
    cur = root.conn.cursor()
    assert ("pgq_node.maint_watermark", Q) in root.execute("select * from pgq.maint_operations()")
    assert ("pgq_node.maint_watermark", Q) not in branch.execute(
        "select * from pgq.maint_operations()"
    )
    assert root.scalar("select pgq_node.maint_watermark('nope')") == 0
    assert branch.scalar("select pgq_node.maint_watermark(%s)", (Q,)) == 0
    new = tick(cur, Q)
    code(root, "set_subscriber_watermark", Q, "n2", new)
    root.execute("select pgq.register_consumer_at(%s, 'w2', %s)", (Q, new))
    before = consumer_tick(root, ".global_watermark")
    events = len(cascade_events(root))
    assert root.scalar("select pgq_node.maint_watermark(%s)", (Q,)) == 0
    assert consumer_tick(root, ".global_watermark") == before, "lag < 5 minutes: left alone"
    root.execute(
        "update pgq.tick set tick_time = tick_time - interval '10 minutes' where tick_id = %s",
        (before,),
    )
    assert root.scalar("select pgq_node.maint_watermark(%s)", (Q,)) == 0
    assert consumer_tick(root, ".global_watermark") == new
    assert len(cascade_events(root)) == events + 1


# ---------------------------------------------------------------- takeover


def test_demote_root_and_promote_branch(tree):
    root, branch, leaf = tree
    cur = root.conn.cursor()
    tick(cur, Q)
    assert code(branch, "demote_root", Q, 1, "n1") == (301, "Node not root")
    assert code(branch, "demote_root", "nope", 1, "n1")[0] == 404
    with pytest.raises(psycopg2.Error, match="steps in wrong order"):
        root.execute("select * from pgq_node.demote_root(%s, 2, 'n2')", (Q,))
    assert code(root, "demote_root", Q, 1, "n2") == (200, f"Step 1: Writing disabled for: {Q}")
    with pytest.raises(psycopg2.Error, match="disallowed"):
        root.execute("select pgq.insert_event(%s, 'x', 'y')", (Q,))
    top = root.scalar("select max(tick_id) from pgq.tick")
    row = call(root, "demote_root", Q, 2, "n2")
    assert (row["ret_code"], row["ret_note"]) == (200, f"Step 2: Inserted last tick: {Q}")
    assert row["last_tick"] > top
    assert root.scalar("select max(tick_id) from pgq.tick") == row["last_tick"]
    with pytest.raises(psycopg2.Error, match="incorrect step number"):
        root.execute("select * from pgq_node.demote_root(%s, 4, 'n2')", (Q,))

    # the branch copies the last tick, then becomes root
    branch.execute("select pgq.ticker(%s, %s, now(), 1)", (Q, row["last_tick"]))
    assert code(leaf, "promote_branch", Q) == (301, "Node not branch")
    assert code(leaf, "promote_branch", "nope")[0] == 404
    assert code(branch, "promote_branch", Q) == (200, "Branch node promoted to root")
    info = call(branch, "get_node_info", Q)
    assert info["node_type"] == "root" and info["provider_node"] == "n2"
    assert call(branch, "get_consumer_state", Q, "w2")["completed_tick"] == row["last_tick"]
    branch.execute("select pgq.insert_event(%s, 'x', 'y')", (Q,))
    assert tick(branch.conn.cursor(), Q) == row["last_tick"] + 1
    # old root's step 3: a branch reading from the new root
    last = call(root, "demote_root", Q, 3, "n2")
    assert (last["ret_code"], last["ret_note"], last["last_tick"]) == (
        200,
        f"Step 3: Demoted root to branch: {Q}",
        row["last_tick"],
    )
    st = call(root, "get_worker_state", Q)
    assert (st["node_type"], st["provider_node"], st["completed_tick"], st["uptodate"]) == (
        "branch",
        "n2",
        row["last_tick"],
        False,
    )
    assert code(root, "demote_root", Q, 1, "n2") == (301, "Node not root")


# ---------------------------------------------------------------- drop, rename


def test_drop_node_on_every_member(tree):
    root, branch, leaf = tree
    assert code(leaf, "drop_node", Q, "n2") == (405, "Cannot drop provider node: n2")
    assert code(leaf, "drop_node", Q, "n3") == (200, "Node dropped: n3")
    for table in ("node_info", "local_state", "subscriber_info", "node_location"):
        assert leaf.scalar(f"select count(*) from pgq_node.{table}") == 0, table
    assert code(branch, "drop_node", Q, "n3") == (200, "Node dropped: n3")
    assert branch.execute("select * from pgq_node.get_subscriber_info(%s)", (Q,)) == []
    assert consumer_tick(branch, "w3") is None
    assert code(root, "drop_node", Q, "n3")[0] == 200
    assert ("pgq.unregister-location", "n3", Q, None, None) in cascade_events(root)
    assert [r[0] for r in root.execute("select * from pgq_node.get_queue_locations(%s)", (Q,))] == [
        "n1",
        "n2",
    ]
    # the branch itself: its queue goes with it
    assert code(branch, "drop_node", Q, "n2")[0] == 200
    assert branch.scalar("select count(*) from pgq.queue") == 0
    assert branch.scalar("select count(*) from pgq_node.node_location") == 0
    assert code(branch, "drop_node", Q, "n2")[0] == 200  # again: nothing left, still fine


def _rename_everywhere(nodes: tuple[Database, ...], old: str, new: str) -> None:
    for step in ("rename_node_step1", "rename_node_step2"):
        for node in nodes:
            assert code(node, step, Q, old, new)[0] == 200, (step, node.name)


def test_rename_a_branch(tree):
    root, branch, leaf = tree
    cur = root.conn.cursor()
    t = tick(cur, Q)
    code(root, "set_subscriber_watermark", Q, "n2", t)
    assert code(root, "rename_node_step2", Q, "n2", "n2x") == (
        405,
        "Run rename_node_step1 first: n2x is not known",
    )
    for node in tree:
        assert code(node, "rename_node_step1", Q, "n2", "n2x") == (
            200,
            "Node n2 known as n2x too",
        )
    # between the steps both names work: the renamed worker reports under its new name
    assert code(root, "set_subscriber_watermark", Q, "n2x", t)[0] == 100
    assert ("pgq.location-info", "n2x", Q, branch.dsn, "false") in cascade_events(root)
    for node in tree:
        assert code(node, "rename_node_step2", Q, "n2", "n2x") == (200, "Node renamed: n2 -> n2x")
    for node in tree:
        names = [r[0] for r in node.execute("select * from pgq_node.get_queue_locations(%s)", (Q,))]
        assert names == ["n1", "n2x", "n3"], node.name
        assert code(node, "rename_node_step1", Q, "n2", "n2x")[0] == 201
        assert code(node, "rename_node_step2", Q, "n2", "n2x")[0] == 201
    assert call(branch, "get_node_info", Q)["node_name"] == "n2x"
    assert call(leaf, "get_worker_state", Q)["provider_node"] == "n2x"
    assert call(leaf, "get_worker_state", Q)["provider_location"] == branch.dsn
    assert root.execute("select * from pgq_node.get_subscriber_info(%s)", (Q,)) == [
        ("n2x", "w2", t)
    ]
    assert consumer_tick(root, ".n2.watermark") is None
    t2 = tick(cur, Q)
    assert code(root, "set_subscriber_watermark", Q, "n2x", t2)[0] == 200
    assert code(root, "rename_node_step1", Q, "nope", "n9") == (404, f"Node not found: {Q}/nope")
    assert code(root, "rename_node_step1", Q, "n1", "n3") == (405, "Node name already in use: n3")


def test_rename_the_root_keeps_the_lower_watermark(tree):
    root, branch, _ = tree
    cur = root.conn.cursor()
    t1, t2 = tick(cur, Q), tick(cur, Q)
    code(root, "set_subscriber_watermark", Q, "n2", t1)
    _rename_everywhere(tree, "n1", "r1")
    info = call(root, "get_node_info", Q)
    assert (info["node_name"], info["provider_node"]) == ("r1", "r1")
    assert call(branch, "get_worker_state", Q)["provider_node"] == "r1"
    assert root.execute("select * from pgq_node.get_subscriber_info(%s)", (Q,)) == [
        ("n2", "w2", t1)
    ]
    # a subscriber renamed while its provider's old-name watermark moved on
    for node in tree:
        code(node, "rename_node_step1", Q, "n2", "b2")
    code(root, "set_subscriber_watermark", Q, "n2", t2)
    for node in tree:
        code(node, "rename_node_step2", Q, "n2", "b2")
    assert root.execute("select * from pgq_node.get_subscriber_info(%s)", (Q,)) == [
        ("b2", "w2", t1)
    ]


# ---------------------------------------------------------------- install, rights


def test_reinstall_keeps_nodes(tree):
    root, _, _ = tree
    before = root.execute("select * from pgq_node.get_node_info(%s)", (Q,))
    reports = install(root.connect(autocommit=False), ["pgq_node"])
    assert [r.action for r in reports] == ["reinstalled", "reinstalled"]
    assert root.execute("select * from pgq_node.get_node_info(%s)", (Q,)) == before
    assert root.scalar("select pgq_node.upgrade_schema()") == 0
    # a 3.0 install: no node_attrs column, get_node_info() without the last columns
    root.execute("alter table pgq_node.node_info drop column node_attrs")
    root.execute("drop function pgq_node.get_node_info(text)")
    root.execute(
        "create function pgq_node.get_node_info(i_queue_name text,"
        " out ret_code int4, out ret_note text, out node_type text)"
        " returns record language sql as $$ select 100, 'Ok', 'root' $$"
    )
    install(root.connect(autocommit=False), ["pgq_node"])
    assert root.scalar("select pgq_node.upgrade_schema()") == 0
    assert root.execute("select target_for from pgq_node.get_node_info(%s)", (Q,)) == [(None,)]
    assert code(root, "set_node_attrs", Q, "sync_watermark=n2") == (200, "Node attributes updated")
    assert call(root, "get_node_info", Q)["node_attrs"] == "sync_watermark=n2"
    assert code(root, "set_node_attrs", "nope", "a=1") == (404, "Node not found")


# which roles run what (the original's grants); nobody writes the tables directly
ROLE_FUNCTIONS = {
    "public": {"is_root_node", "is_leaf_node", "node_type", "version"},
    "pgq_reader": {
        "get_consumer_info",
        "get_consumer_state",
        "get_queue_locations",
        "get_node_info",
        "get_subscriber_info",
        "register_subscriber",
        "unregister_subscriber",
        "set_subscriber_watermark",
    },
}
ROLE_FUNCTIONS["pgq_writer"] = ROLE_FUNCTIONS["pgq_reader"] | {
    "register_consumer",
    "unregister_consumer",
    "change_consumer_provider",
    "set_consumer_uptodate",
    "set_consumer_paused",
    "set_consumer_completed",
    "set_consumer_error",
}


def test_grants(db):
    rows = db.execute(
        "select p.proname, r.rolname, has_function_privilege(r.oid, p.oid, 'execute')"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace,"
        " pg_roles r where n.nspname = 'pgq_node'"
        " and r.rolname in ('pgq_reader', 'pgq_writer', 'pgq_admin')"
    )
    allowed: dict[str, set[str]] = {}
    for name, role, ok in rows:
        if ok:
            allowed.setdefault(role, set()).add(name)
    everything = {r[0] for r in rows}
    assert len(everything) == 33
    public = ROLE_FUNCTIONS["public"]
    assert allowed["pgq_reader"] == ROLE_FUNCTIONS["pgq_reader"] | public
    assert allowed["pgq_writer"] == ROLE_FUNCTIONS["pgq_writer"] | public
    assert allowed["pgq_admin"] == everything
    db.execute("create role node_nobody")
    try:
        assert {
            r[0]
            for r in db.execute(
                "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
                " where n.nspname = 'pgq_node'"
                " and has_function_privilege('node_nobody', p.oid, 'execute')"
            )
        } == public
    finally:
        db.execute("drop role node_nobody")
    writes = db.execute(
        "select c.relname, r.rolname from pg_class c, pg_roles r"
        " where c.relnamespace = 'pgq_node'::regnamespace and c.relkind = 'r'"
        " and r.rolname in ('pgq_reader', 'pgq_writer', 'pgq_admin')"
        " and has_table_privilege(r.oid, c.oid, 'insert, update, delete, truncate')"
    )
    assert writes == []


def test_a_pgq_admin_runs_a_node_without_table_rights(db):
    db.execute("create role node_admin login in role pgq_admin")
    try:
        conn = psycopg2.connect(db.cluster.dsn(db.name, user="node_admin"))
        conn.autocommit = True
        try:
            cur = conn.cursor()
            cur.execute(
                "select * from pgq_node.register_location(%s, 'n1', 'dbname=x', false)", (Q,)
            )
            cur.execute(
                "select * from pgq_node.create_node(%s, 'root', 'n1', 'w1', null, null, null)", (Q,)
            )
            assert cur.fetchone()[0] == 200
            cur.execute("select pgq_node.maint_watermark(%s)", (Q,))
            cur.execute("select * from pgq_node.get_node_info(%s)", (Q,))
            assert cur.fetchone()[0] == 100
            with pytest.raises(psycopg2.Error, match="permission denied"):
                cur.execute("delete from pgq_node.local_state")
        finally:
            conn.close()
    finally:
        db.execute("drop owned by node_admin")
        db.execute("drop role node_admin")


def test_every_function_file_has_the_header():
    """One function per file, with the house header (the layout test checks the names)."""
    files = sorted((sql_root() / "pgq_node" / "functions").glob("*.sql"))
    assert len(files) == 33
    for path in files:
        text = path.read_text()
        assert len(re.findall(r"(?im)^create (or replace )?function", text)) == 1, path.name
        for field in ("Function:", "Parameters:", "Returns:", "Tables directly manipulated:"):
            assert f"-- {field}" in text, f"{path.name}: no {field}"
        # definer rights with a safe search_path, or invoker rights
        if "security definer" in text:
            assert "set search_path = pg_catalog, pg_temp" in text, path.name


def test_install_from_the_console_and_the_command_line(empty_db):
    """INSTALL pgq_node; and python -m engine.install pgq_node: pgq first, again is harmless."""
    from engine.db import ConnInfo
    from qadmin.commands.registry import Context, Settings, dispatch
    from qadmin.parser import parse_one

    ctx = Context(
        conn=empty_db.connect(), conn_params=ConnInfo.parse(empty_db.dsn), settings=Settings()
    )
    first = dispatch(ctx, parse_one("install pgq_node"))
    assert [n.split(",")[0] for n in first.notes] == [
        "pgq: installed version 3.6.0",
        "pgq_node: installed version 3.6.0",
    ]
    c = empty_db.cluster
    args = ["-h", c.host, "-p", str(c.port), "-U", c.user, "-d", empty_db.name, "pgq_node"]
    out = subprocess.run(
        [sys.executable, "-m", "engine.install", *args],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr
    assert [ln.split(" (")[0] for ln in out.stdout.splitlines()] == [
        "pgq: reinstalled version 3.6.0",
        "pgq_node: reinstalled version 3.6.0",
    ]
    assert empty_db.scalar("select pgq_node.node_type('q')") is None


def test_demote_step2_waits_for_open_producers(db):
    """The last tick covers an event whose transaction was still open at step 1."""
    members(db, names=("n1",))
    make_root(db)
    db.execute("select pgq.register_consumer(%s, 'reader')", (Q,))
    tick(db.conn.cursor(), Q)
    writer = db.connect(autocommit=False)
    wcur = writer.cursor()
    wcur.execute("select pgq.insert_event(%s, 'x', 'late')", (Q,))
    assert code(db, "demote_root", Q, 1, "n2")[0] == 200
    result: dict[str, Any] = {}

    def step2() -> None:
        result["row"] = call(db2, "demote_root", Q, 2, "n2")

    db2 = Database(db.cluster, db.name)  # its own connection, for the thread
    thread = threading.Thread(target=step2)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = db.scalar(
                "select count(*) from pg_stat_activity where datname = current_database()"
                " and wait_event_type = 'Lock' and query like '%%demote_root%%'"
            )
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "step 2 did not wait for the open producer"
        assert "row" not in result
        writer.commit()
        thread.join(60)
    finally:
        writer.close()
        thread.join(60)
        db2.close()
    assert result["row"]["ret_code"] == 200
    last = result["row"]["last_tick"]
    cur = db.conn.cursor()
    seen = []
    while True:
        cur.execute("select pgq.next_batch(%s, 'reader')", (Q,))
        batch = cur.fetchone()[0]
        if batch is None:
            break
        cur.execute("select ev_data from pgq.get_batch_events(%s)", (batch,))
        seen += [r[0] for r in cur.fetchall()]
        cur.execute("select tick_id from pgq.get_batch_info(%s)", (batch,))
        end = cur.fetchone()[0]
        cur.execute("select pgq.finish_batch(%s)", (batch,))
    assert seen == ["late"] and end == last


def test_null_arguments_answer_cleanly(db):
    """Every function, called with NULLs on a node, returns a code or names the problem."""
    from tests.db.test_pgq_null_args import INTERNAL_FAILURES

    members(db, names=("n1",))
    make_root(db)
    functions = db.execute(
        "select p.proname, array(select format_type(t, null) from unnest(p.proargtypes) t)"
        " from pg_proc p where p.pronamespace = 'pgq_node'::regnamespace order by 1"
    )
    assert len(functions) == 33
    bad = []
    for name, types in functions:
        stmt = f"select * from pgq_node.{name}(" + ", ".join(f"NULL::{t}" for t in types) + ")"
        try:
            rows = db.dicts(stmt)
        except psycopg2.Error as err:
            message = err.diag.message_primary or ""
            # is_root_node/is_leaf_node: the original's own error for an unknown queue
            if message == "queue does not exist: <NULL>":
                continue
            if any(pattern in message for pattern in INTERNAL_FAILURES):
                bad.append(f"{name}: {message}")
            continue
        if rows and "ret_code" in rows[0] and rows[0]["ret_code"] is None:
            bad.append(f"{name}: no ret_code")
    assert not bad, "\n".join(bad)
    # and nothing changed
    assert db.execute("select * from pgq_node.get_queue_locations(%s)", (Q,)) == [
        ("n1", db.dsn, False)
    ]
    assert call(db, "get_node_info", Q)["ret_code"] == 100
