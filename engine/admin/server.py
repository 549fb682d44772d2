"""What a server and database offer: version, installed modules; creating a database."""

from __future__ import annotations

import psycopg2.extensions

from engine.db import fetch_value, sql

__all__ = [
    "MODULE_MARKERS",
    "create_database",
    "installed_modules",
    "schema_present",
    "server_version",
]

# What shows that a module is installed: the table the console reads from it,
# else its version() function (a name ending in "()" is a function).
MODULE_MARKERS: dict[str, str] = {
    "pgq": "pgq.queue",
    "pgq_coop": "pgq_coop.version()",
    "pgq_node": "pgq_node.node_location",
    "londiste": "londiste.version()",
    "pgq_ext": "pgq_ext.version()",
}

INSTALLED_MODULES_SQL = """
select m.module
  from unnest(%s::text[], %s::text[]) as m(module, marker)
 where case when m.marker like '%%()'
            then pg_catalog.to_regprocedure(m.marker) is not null
            else pg_catalog.to_regclass(m.marker) is not null end
"""


def installed_modules(cur: psycopg2.extensions.cursor) -> frozenset[str]:
    """The SQL modules (pgq, pgq_coop, pgq_node ...) installed in the database."""
    cur.execute(INSTALLED_MODULES_SQL, (list(MODULE_MARKERS), list(MODULE_MARKERS.values())))
    return frozenset(r[0] for r in cur.fetchall())


def schema_present(cur: psycopg2.extensions.cursor, module: str) -> bool:
    """Whether one SQL module (a key of MODULE_MARKERS) is installed."""
    if module not in MODULE_MARKERS:
        raise ValueError(f"unknown module {module!r}; known: {', '.join(MODULE_MARKERS)}")
    return module in installed_modules(cur)


def server_version(cur: psycopg2.extensions.cursor) -> str:
    """The server's version string as SHOW server_version gives it (`15.4 (Debian ...)`)."""
    return fetch_value(cur, "show server_version")


def create_database(conn: psycopg2.extensions.connection, name: str) -> None:
    """Create an empty database (CREATE DATABASE runs outside a transaction: autocommit)."""
    if not conn.autocommit:
        raise ValueError("create_database needs a connection in autocommit mode")
    with conn.cursor() as cur:
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
