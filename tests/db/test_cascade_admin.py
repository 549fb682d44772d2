"""Cascade administration across real clusters: create, status, members, tags, moves, takeovers.

Each node is the ``postgres`` database of its own throwaway cluster; killing a cluster
(``pg_ctl -m immediate``) is how a node dies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg2
import pytest

from engine import install as installer
from engine.cascade.admin import CascadeAdmin, CascadeError
from engine.pgcluster import Cluster

QUEUE = "cq"
OURS = "pgq_node" in installer.MODULES


def prepare(cluster: Cluster) -> None:
    """pgq and pgq_node in the cluster's postgres database (ours when we have it)."""
    conn = psycopg2.connect(cluster.dsn("postgres"))
    conn.autocommit = True
    try:
        if OURS:
            installer.install(conn, ["pgq", "pgq_node"])
        else:
            with conn.cursor() as cur:
                cur.execute("create extension if not exists pgq")
                cur.execute("create extension if not exists pgq_node")
    finally:
        conn.close()


@dataclass
class Cascade:
    """Named nodes, each a cluster, with an admin bound to each."""

    clusters: dict[str, Cluster] = field(default_factory=dict)
    admins: dict[str, CascadeAdmin] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def location(self, name: str) -> str:
        return self.clusters[name].dsn("postgres")

    def admin(self, name: str) -> CascadeAdmin:
        if name not in self.admins:
            self.admins[name] = CascadeAdmin(
                self.clusters[name].conn_info("postgres"),
                QUEUE,
                progress=self.lines.append,
                wait_timeout=60,
            )
        return self.admins[name]

    def conn(self, name: str) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(self.location(name))
        conn.autocommit = True
        return conn

    def query(self, name: str, q: str, args: tuple = ()) -> list[tuple]:
        conn = self.conn(name)
        try:
            with conn.cursor() as cur:
                cur.execute(q, args)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def close(self) -> None:
        for admin in self.admins.values():
            admin.close()


@pytest.fixture
def make_cascade(cluster_factory: Callable[..., Cluster]) -> Iterator[Callable[..., Cascade]]:
    made: list[Cascade] = []

    def make(*names: str) -> Cascade:
        cascade = Cascade()
        for name in names:
            cluster = cluster_factory(install_modules=False)
            prepare(cluster)
            cascade.clusters[name] = cluster
        made.append(cascade)
        return cascade

    yield make
    for cascade in made:
        cascade.close()


def build_tree(cascade: Cascade, layout: dict[str, tuple[str, str | None]]) -> None:
    """Create nodes in order: name -> (type, provider name)."""
    for name, (kind, provider) in layout.items():
        admin = cascade.admin(name)
        if kind == "root":
            admin.create_root(name, cascade.location(name))
        elif kind == "branch":
            admin.create_branch(name, cascade.location(provider), cascade.location(name))
        else:
            admin.create_leaf(name, cascade.location(provider), cascade.location(name))


# -- creating nodes ---------------------------------------------------------------------------
def test_create_root_branch_leaf(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r"), "l": ("leaf", "b")})
    assert c.query("r", "select node_type, node_name, worker_name from pgq_node.node_info") == [
        ("root", "r", "r")
    ]
    info = "select node_type, provider_node from pgq_node.get_node_info(%s)"
    assert c.query("b", info, (QUEUE,)) == [("branch", "r")]
    assert c.query("l", info, (QUEUE,)) == [("leaf", "b")]
    # every node knows every member created before it, the root knows all
    members = c.admin("r").members()
    assert members.columns == ("node_name", "dead", "node_location")
    assert [(r[0], r[1]) for r in members.rows] == [("b", False), ("l", False), ("r", False)]
    assert [r[0] for r in c.admin("l").members().rows] == ["b", "l", "r"]
    # the branch's queue is a copy: external ticks, no inserts of its own
    assert c.query(
        "b",
        "select queue_external_ticker, queue_disable_insert from pgq.queue where queue_name = %s",
        (QUEUE,),
    ) == [(True, True)]
    assert c.query("b", "select subscriber_node from pgq_node.subscriber_info") == [("l",)]
    assert c.admin("l").worker_name() == "l"
    assert any('created as leaf of queue "cq", provider "b"' in ln for ln in c.lines)


def test_create_again_says_so_and_stops(make_cascade):
    c = make_cascade("r", "b")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r")})
    c.lines.clear()
    c.admin("b").create_branch("b", c.location("r"), c.location("b"))
    assert c.lines[-1] == 'node "b" is already initialised as branch'
    with pytest.raises(CascadeError, match='already node "b" \\(branch\\)'):
        c.admin("b").create_branch("other", c.location("r"), c.location("b"))


def test_create_refuses_a_taken_name_and_a_foreign_location(make_cascade):
    c = make_cascade("r", "b", "x")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r")})
    with pytest.raises(CascadeError, match='node "b" is already a member'):
        c.admin("x").create_branch("b", c.location("r"), c.location("x"))
    # a public connect string that reaches another database than this connection
    with pytest.raises(CascadeError, match="reaches another database"):
        c.admin("x").create_branch("x", c.location("r"), c.location("b"))
    assert c.query("x", "select count(*) from pgq_node.node_info") == [(0,)]


def test_create_root_defaults_location_to_this_connection(make_cascade):
    c = make_cascade("r")
    c.admin("r").create_root("r")
    [(loc,)] = c.query("r", "select node_location from pgq_node.node_location")
    assert f"port={c.clusters['r'].port}" in loc and "host=127.0.0.1" in loc
    assert "password" not in loc


def test_create_branch_needs_a_provider_that_is_a_node(make_cascade):
    c = make_cascade("r", "b")
    with pytest.raises(CascadeError, match="the provider has no node"):
        c.admin("b").create_branch("b", c.location("r"), c.location("b"))
    c.clusters["r"].stop(mode="immediate")
    with pytest.raises(CascadeError, match='node "provider" is down'):
        c.admin("b").create_branch("b", c.location("r"), c.location("b"))


# -- status ------------------------------------------------------------------------------------
def test_status_tree_order_and_depth(make_cascade):
    c = make_cascade("r", "b1", "b2", "l")
    build_tree(
        c,
        {"r": ("root", None), "b1": ("branch", "r"), "b2": ("branch", "r"), "l": ("leaf", "b1")},
    )
    nodes = c.admin("r").status()
    assert [(n.name, n.node_type, n.depth, n.provider) for n in nodes] == [
        ("r", "root", 0, None),
        ("b1", "branch", 1, "r"),
        ("l", "leaf", 2, "b1"),
        ("b2", "branch", 1, "r"),
    ]
    root = nodes[0]
    assert root.reachable and root.lag is not None and root.last_tick is not None
    assert set(root.subscribers) == {"b1", "b2"}
    assert all(n.queue == QUEUE and n.worker_name == n.name for n in nodes)
    assert c.admin("l").node_status("b1").subscribers == ("l",)


def test_status_with_a_node_down_answers_quickly(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r"), "l": ("leaf", "b")})
    c.clusters["b"].stop(mode="immediate")
    start = time.monotonic()
    nodes = c.admin("r").status()
    assert time.monotonic() - start < 5
    by_name = {n.name: n for n in nodes}
    assert not by_name["b"].reachable and by_name["b"].error
    assert "refused" in by_name["b"].error or "failed" in by_name["b"].error
    # the down branch stays in its place: under the root, above its leaf
    assert [(n.name, n.depth) for n in nodes] == [("r", 0), ("b", 1), ("l", 2)]
    # a node that accepts connections but never answers: the status still answers in time
    stuck = c.conn("l")
    with stuck.cursor() as cur:
        cur.execute("begin; lock table pgq_node.node_info in access exclusive mode")
    start = time.monotonic()
    nodes = c.admin("r").status()
    assert time.monotonic() - start < 6
    assert {n.name: n.reachable for n in nodes}["l"] is False
    stuck.close()


def test_tag_dead_and_alive(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "l": ("leaf", "r"), "b": ("branch", "r")})
    c.admin("r").tag_dead("l")
    for node in ("r", "b"):
        assert c.query(node, "select dead from pgq_node.node_location where node_name = 'l'") == [
            (True,)
        ]
    status = {n.name: n for n in c.admin("r").status()}
    assert status["l"].dead and not status["l"].reachable
    c.admin("r").tag_alive("l")
    for node in ("r", "b", "l"):
        assert c.query(node, "select dead from pgq_node.node_location where node_name = 'l'") == [
            (False,)
        ]


def test_change_location(make_cascade):
    c = make_cascade("r", "b")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r")})
    new = c.location("b") + " application_name=moved"
    c.admin("r").change_location("b", new)
    for node in ("r", "b"):
        assert c.query(
            node, "select node_location from pgq_node.node_location where node_name = 'b'"
        ) == [(new,)]
    with pytest.raises(CascadeError, match="reaches node r"):
        c.admin("r").change_location("b", c.location("r"))


def test_drop_node(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r"), "l": ("leaf", "b")})
    with pytest.raises(CascadeError, match='node "b" still has subscribers: l'):
        c.admin("r").drop_node("b")
    c.admin("r").drop_node("l")
    assert c.query("l", "select count(*) from pgq_node.node_info") == [(0,)]
    assert c.query("b", "select count(*) from pgq_node.subscriber_info") == [(0,)]
    for node in ("r", "b"):
        assert c.query(
            node, "select count(*) from pgq_node.node_location where node_name = 'l'"
        ) == [(0,)]
    # again: nothing left to do, no error
    c.admin("r").drop_node("l")


def test_drop_dead_node(make_cascade):
    c = make_cascade("r", "b", "l")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r"), "l": ("leaf", "r")})
    c.clusters["l"].stop(mode="immediate")
    with pytest.raises(CascadeError, match='node "l" is down'):
        c.admin("r").drop_node("l")
    c.admin("r").tag_dead("l")
    c.admin("r").drop_node("l")
    for node in ("r", "b"):
        assert c.query(
            node, "select count(*) from pgq_node.node_location where node_name = 'l'"
        ) == [(0,)]
    assert c.query("r", "select count(*) from pgq_node.subscriber_info") == [(1,)]


def test_refusals_name_the_node(make_cascade):
    c = make_cascade("r", "b")
    build_tree(c, {"r": ("root", None), "b": ("branch", "r")})
    with pytest.raises(CascadeError, match='node "nosuch" is not a member of queue "cq"'):
        c.admin("r").pause("nosuch")
    c.clusters["b"].stop(mode="immediate")
    with pytest.raises(CascadeError, match='node "b" is down'):
        c.admin("r").change_provider("b", "r")
    with pytest.raises(CascadeError, match='node "b" is down'):
        c.admin("r").switchover("b")
