"""The handler for plain SQL: sent to the server as typed, rows and command tag back."""

from __future__ import annotations

import psycopg2.extensions

from qadmin import ast
from qadmin.commands.registry import Context, Result, command
from qadmin.parser import sql_words

__all__: list[str] = []

# Show values as the server writes them (t/f, timestamps, intervals ...), as psql does.
_AS_TEXT = psycopg2.extensions.new_type(
    tuple(psycopg2.extensions.string_types), "QADMIN_TEXT", lambda value, cur: value
)
_NUMERIC_OIDS = {20, 21, 23, 26, 700, 701, 1700}


def _may_change_names(cmd: ast.Sql) -> bool:
    """Whether the statement may add queues, consumers or tables, by its first word's
    class in the grammar (sql.lark): a query only when it calls functions."""
    word = cmd.text.split(None, 1)[0].lower().lstrip("(") if cmd.text.strip() else ""
    kind = sql_words().get(word, "writing")
    if kind == "calling":
        return "(" in cmd.text
    return kind in ("txn_end", "writing")


# a result this big is not kept in the cursor until the next statement
_KEEP_ROWS = 1000


def _cursor(ctx: Context) -> psycopg2.extensions.cursor:
    """The connection's plain-SQL cursor, values as text: made once, not per statement
    (a new cursor and its typecaster were a tenth of a script line's client time)."""
    conn = ctx.require_conn()
    cur = ctx.sql_cursor
    if cur is None or cur.closed or cur.connection is not conn:
        cur = conn.cursor()
        psycopg2.extensions.register_type(_AS_TEXT, cur)
        ctx.sql_cursor = cur
    return cur


@command(ast.Sql, changes_catalog=_may_change_names)
def sql(ctx: Context, cmd: ast.Sql) -> Result:
    cur = _cursor(ctx)
    cur.execute(cmd.text)
    status = cur.statusmessage
    if cur.description is None:
        return Result(status=status)
    columns = tuple(d.name for d in cur.description)
    types = {d.name: "number" for d in cur.description if d.type_code in _NUMERIC_OIDS}
    rows = tuple(cur.fetchall())
    if len(rows) > _KEEP_ROWS:
        cur.close()  # its copy of the rows goes now, not at the next statement
    return Result(columns=columns, rows=rows, types=types)
