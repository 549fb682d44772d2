"""Cascade nodes (pgq_node): where the members of a cascaded queue are."""

from __future__ import annotations

import psycopg2.extensions

from engine.db import ConnInfo

__all__ = ["node_conninfo", "node_location"]

NODE_LOCATION_SQL = (
    "select node_location from pgq_node.get_queue_locations(%s) where node_name = %s"
)


def node_location(cur: psycopg2.extensions.cursor, queue: str, node: str) -> str | None:
    """The connect string of a node of a cascaded queue, None if the queue has no such node."""
    cur.execute(NODE_LOCATION_SQL, (queue, node))
    row = cur.fetchone()
    return None if row is None else row[0]


def node_conninfo(cur: psycopg2.extensions.cursor, queue: str, node: str) -> ConnInfo | None:
    """How to connect to a node of a cascaded queue, None if the queue has no such node."""
    location = node_location(cur, queue, node)
    return None if location is None else ConnInfo.parse(location)
