"""Admin operations shared by the console, scripts and daemons: queues, consumers, events.

Every function takes a cursor and does one admin action through the SQL API
(one ``select * from pgq.<function>(...)`` per step, identifiers and values
always passed through the driver).  Multi-step actions run inside
``atomic(conn)``.  Errors a user can act on are raised as ``AdminError`` and
name the queue or consumer concerned.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg2.extensions

__all__ = ["AdminError", "Table", "atomic", "fetch_table"]


class AdminError(Exception):
    """An admin action was refused before it reached the server (unknown queue ...)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f"\nHINT:  {self.hint}" if self.hint else "")


@dataclass(frozen=True, slots=True)
class Table:
    """Rows with their column names, as the SQL API returned them."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...] = field(default=())

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


def fetch_table(
    cur: psycopg2.extensions.cursor, query: Any, args: Sequence[Any] | Mapping[str, Any] = ()
) -> Table:
    """Run a query and return its rows with the column names."""
    cur.execute(query, args if isinstance(args, Mapping) else list(args))
    columns = tuple(d[0] for d in cur.description or ())
    rows = tuple(tuple(r) for r in cur.fetchall()) if cur.description else ()
    return Table(columns, rows)


@contextlib.contextmanager
def atomic(conn: psycopg2.extensions.connection) -> Iterator[None]:
    """Run a block in one transaction, or in a savepoint inside the caller's one.

    With an autocommit connection outside a transaction block this is BEGIN ...
    COMMIT; inside a transaction block the user opened, a failing block rolls back
    to a savepoint so that the user's transaction stays usable.  Connections that
    are not autocommit are left to their owner, who commits.
    """
    if not conn.autocommit:
        yield
        return
    status = conn.get_transaction_status()
    with conn.cursor() as cur:
        if status == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            cur.execute("begin")
            try:
                yield
            except BaseException:
                if not conn.closed:
                    cur.execute("rollback")
                raise
            cur.execute("commit")
        elif status == psycopg2.extensions.TRANSACTION_STATUS_INTRANS:
            cur.execute("savepoint qadmin_atomic")
            try:
                yield
            except BaseException:
                if not conn.closed:
                    cur.execute("rollback to savepoint qadmin_atomic")
                    cur.execute("release savepoint qadmin_atomic")
                raise
            cur.execute("release savepoint qadmin_atomic")
        else:
            yield
