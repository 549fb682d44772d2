"""Database connections and calls to the SQL API, with errors a user can read."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

__all__ = [
    "ApiError",
    "DatabaseError",
    "call_api",
    "connect",
    "describe_error",
    "func_call",
    "sql",
]

log = logging.getLogger(__name__)

DatabaseError = psycopg2.Error


class ApiError(Exception):
    """An SQL API action answered with ret_code >= 300."""

    def __init__(self, code: int, note: str) -> None:
        super().__init__(f"{code} {note}")
        self.code = code
        self.note = note


def connect(
    dsn: str | None = None, *, autocommit: bool = False, **params: Any
) -> psycopg2.extensions.connection:
    """Open a connection from a libpq conninfo string and/or keyword parameters.

    Anything not given comes from libpq itself: PGHOST, PGPORT, PGUSER, PGDATABASE,
    PGPASSWORD, ~/.pgpass and service files.
    """
    params = {k: v for k, v in params.items() if v is not None}
    conn = psycopg2.connect(dsn or "", **params)
    conn.autocommit = autocommit
    return conn


def func_call(function: str, nargs: int) -> sql.Composed:
    """``select * from schema.function(%s, ...)`` with the name quoted part by part."""
    parts = [sql.Identifier(p) for p in function.split(".")]
    return sql.SQL("select * from {}({})").format(
        sql.SQL(".").join(parts), sql.SQL(", ").join(sql.Placeholder() * nargs)
    )


def call_api(
    cur: psycopg2.extensions.cursor, function: str, args: Sequence[Any] | Iterable[Any] = ()
) -> list[Any]:
    """Call an SQL API function and return its rows.

    Functions that answer (ret_code, ret_note) raise ApiError for codes >= 300.
    """
    args = list(args)
    cur.execute(func_call(function, len(args)), args)
    rows = cur.fetchall() if cur.description else []
    names = [d[0] for d in cur.description or ()]
    if "ret_code" in names and "ret_note" in names:
        ci, ni = names.index("ret_code"), names.index("ret_note")
        for row in rows:
            if row[ci] is not None and row[ci] >= 300:
                raise ApiError(row[ci], row[ni])
    return rows


def describe_error(err: BaseException) -> str:
    """One message for a database error: the server's text with DETAIL and HINT."""
    if isinstance(err, psycopg2.Error):
        diag = getattr(err, "diag", None)
        primary = diag.message_primary if diag is not None else None
        if not primary:
            return (str(err).strip() or type(err).__name__).removeprefix("ERROR:  ")
        lines = [primary]
        if diag.message_detail:
            lines.append(f"DETAIL:  {diag.message_detail}")
        if diag.message_hint:
            lines.append(f"HINT:  {diag.message_hint}")
        return "\n".join(lines)
    return str(err)
