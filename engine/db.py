"""Database connections and calls to the SQL API, with errors a user can read."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

__all__ = [
    "DAEMON_KEYS",
    "ApiError",
    "ConnInfo",
    "DatabaseError",
    "begin",
    "call_api",
    "connect",
    "describe_error",
    "fetch_value",
    "finish",
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


# libpq settings of the console's connection that daemons get too (never the password):
# where and as whom to connect, then how
DAEMON_KEYS = (
    "host",
    "hostaddr",
    "port",
    "user",
    "dbname",
    "service",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "passfile",
    "gssencmode",
    "options",
    "target_session_attrs",
    "connect_timeout",
)
# the keys libpq fills in itself (environment, defaults) and reports for a live connection
_WHERE_KEYS = ("host", "hostaddr", "port", "user", "dbname")
# libpq reads a value up to white space unless it is quoted
_NEEDS_QUOTES = re.compile(r"[\s'\\]")


def _quote(value: str) -> str:
    """A conninfo value as libpq reads it: quoted when empty or holding space, ' or \\."""
    if value and not _NEEDS_QUOTES.search(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True, slots=True, eq=False)
class ConnInfo:
    """Where and how to connect: libpq keywords, in the order they were given.

    What is not given is left to libpq (PGHOST, PGUSER ..., ~/.pgpass, service
    files).  It may hold a password (typed at -W or CONNECT) to connect again
    with; repr() and str() never show it, and for_daemon() leaves it out.
    """

    items: tuple[tuple[str, str], ...] = ()

    def __eq__(self, other: object) -> bool:
        # the same keywords with the same values, in whatever order
        if not isinstance(other, ConnInfo):
            return NotImplemented
        return dict(self.items) == dict(other.items)

    def __hash__(self) -> int:
        return hash(frozenset(self.items))

    @classmethod
    def parse(cls, conninfo: str | None = None, /, **keywords: object) -> ConnInfo:
        """From a conninfo string or URI (a node location ...) and keywords that override it.

        A string libpq cannot read raises psycopg2.ProgrammingError with libpq's message;
        keywords whose value is None are left out.
        """
        parsed = psycopg2.extensions.parse_dsn(conninfo) if conninfo else {}
        given = {k: v for k, v in keywords.items() if v is not None}
        return cls(tuple((k, str(v)) for k, v in parsed.items())).replace(**given)

    # -- reading --------------------------------------------------------------------
    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.items:
            if k == key:
                return v
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _ in self.items)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def as_dict(self) -> dict[str, str]:
        """The keywords as a dict (with the password, if any)."""
        return dict(self.items)

    def __repr__(self) -> str:
        return f"ConnInfo({self.without_password(mask=True).to_dsn()!r})"

    __str__ = __repr__

    # -- deriving -------------------------------------------------------------------
    def replace(self, **keywords: object) -> ConnInfo:
        """These keywords changed (CONNECT key=value ...), None removes one; the rest kept."""
        out = dict(self.items)
        for key, value in keywords.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = str(value)
        return ConnInfo(tuple(out.items()))

    def merge(self, other: ConnInfo | Mapping[str, object]) -> ConnInfo:
        """Another description's keywords over this one's."""
        pairs = other.items if isinstance(other, ConnInfo) else tuple(other.items())
        return self.replace(**dict(pairs))

    def without_password(self, *, mask: bool = False) -> ConnInfo:
        """The same without the password (mask=True: shown as ****, for messages)."""
        if mask:
            return ConnInfo(tuple((k, "****" if k == "password" else v) for k, v in self.items))
        return ConnInfo(tuple((k, v) for k, v in self.items if k != "password"))

    def for_daemon(self, used: Mapping[str, Any] | None = None) -> ConnInfo:
        """What a daemon started from this session connects with: never the password.

        used is what libpq reports for the live connection
        (connection.get_dsn_parameters()): host, port, user and dbname as libpq
        resolved them from the environment and defaults, so that a daemon started
        elsewhere reaches the same database.  The ssl, service, options ... keys
        come from this description; the hostaddr libpq reports only when given.
        """
        used = used or {}
        out: dict[str, str] = {}
        for key in _WHERE_KEYS:
            value = used.get(key) or self.get(key)
            if value:
                out[key] = str(value)
        if "hostaddr" in out and "host" in out and "hostaddr" not in self:
            del out["hostaddr"]
        for key in DAEMON_KEYS:
            value = self.get(key)
            if key not in _WHERE_KEYS and value:
                out[key] = value
        return ConnInfo(tuple(out.items()))

    # -- using ----------------------------------------------------------------------
    def to_dsn(self) -> str:
        """The libpq conninfo string (with the password, if any: for connecting)."""
        return " ".join(f"{k}={_quote(v)}" for k, v in self.items)

    def connect(
        self, *, autocommit: bool = False, application_name: str | None = None
    ) -> psycopg2.extensions.connection:
        """Open a connection; application_name overrides one given in the description."""
        info = self if application_name is None else self.replace(application_name=application_name)
        conn = psycopg2.connect(info.to_dsn())
        conn.autocommit = autocommit
        return conn


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


def begin(conn: psycopg2.extensions.connection) -> None:
    """BEGIN on an autocommit connection: what follows runs as one transaction."""
    with conn.cursor() as cur:
        cur.execute("begin")


def finish(conn: psycopg2.extensions.connection, *, commit: bool) -> None:
    """COMMIT (or ROLLBACK) the transaction that begin() opened."""
    with conn.cursor() as cur:
        cur.execute("commit" if commit else "rollback")


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


def fetch_value(cur: psycopg2.extensions.cursor, query: Any, args: Sequence[Any] = ()) -> Any:
    """The first column of the one row a query answers (select exists ..., show ...)."""
    cur.execute(query, args or None)  # no arguments: a literal % stays as it is
    row = cur.fetchone()
    if row is None:
        raise DatabaseError(f"query answered no row: {query}")
    return row[0]


def describe_error(err: BaseException, *, context: bool = True) -> str:
    """One message for a database error, as psql shows it (without the leading ERROR:).

    The server's message with, where it sent them, the statement's LINE and a
    caret under the position, DETAIL, HINT, QUERY and CONTEXT: libpq's own
    rendering, so it reads exactly as in psql.  context=False leaves CONTEXT out
    (an SQL API function's RAISE says where it is in our code, not in the user's).
    """
    if isinstance(err, psycopg2.Error):
        if err.pgerror:
            text = err.pgerror.rstrip("\n")
            if not context:
                text = text.split("\nCONTEXT:  ", 1)[0]
            severity, sep, rest = text.partition(":  ")
            return rest if sep and severity.isupper() else text
        diag = getattr(err, "diag", None)
        primary = diag.message_primary if diag is not None else None
        if diag is None or not primary:
            return (str(err).strip() or type(err).__name__).removeprefix("ERROR:  ")
        lines = [primary]
        if diag.message_detail:
            lines.append(f"DETAIL:  {diag.message_detail}")
        if diag.message_hint:
            lines.append(f"HINT:  {diag.message_hint}")
        return "\n".join(lines)
    return str(err)
