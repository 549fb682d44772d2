"""The initial copy for handlers that change what is copied: other columns, rewritten rows.

The copy process (engine.londiste.copy) asks a table's handler, before its COPY,
``prepare_copy(cur)`` (a cursor on this node: e.g. to read the node's shard) and
then ``real_copy(src_conn, dst_cur, src_table, columns, condition)``; a handler
whose real_copy returns None is copied the default way.  These are the helpers
such a real_copy uses: the provider's COPY OUT piped into this node's COPY IN at
the same time (as the default copy), with other column lists and optionally each
row rewritten on the way (COPY text format, decoded and encoded here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from psycopg2 import sql

from engine.cascade.worker import CascadedWorker

__all__ = ["copy_escape", "copy_unescape", "pipe_copy"]

_UNESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def copy_unescape(field: str) -> str | None:
    """One field of COPY text format as its value (``\\N`` is NULL)."""
    if field == "\\N":
        return None
    if "\\" not in field:
        return field
    out: list[str] = []
    i, n = 0, len(field)
    while i < n:
        c = field[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = field[i + 1]
        if nxt in _UNESCAPES:
            out.append(_UNESCAPES[nxt])
            i += 2
        elif nxt in "01234567":
            j = i + 1
            while j < n and j < i + 4 and field[j] in "01234567":
                j += 1
            out.append(chr(int(field[i + 1 : j], 8)))
            i = j
        elif nxt == "x" and i + 2 < n and field[i + 2] in "0123456789abcdefABCDEF":
            j = i + 2
            while j < n and j < i + 4 and field[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(field[i + 2 : j], 16)))
            i = j
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


def copy_escape(value: str | None) -> str:
    """A value as one field of COPY text format."""
    if value is None:
        return "\\N"
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )


RowTransform = Callable[[list[str | None]], list[str | None]]


class _RowWriter:
    """A file for COPY OUT that rewrites each row and writes it on (to the pipe)."""

    def __init__(self, out: Any, transform: RowTransform) -> None:
        self.out = out
        self.transform = transform
        self.rest = b""

    def write(self, data: bytes | str) -> int:
        if isinstance(data, str):
            data = data.encode()
        lines = (self.rest + data).split(b"\n")
        self.rest = lines.pop()
        if lines:
            done = []
            for line in lines:
                vals = [copy_unescape(f) for f in line.decode().split("\t")]
                done.append("\t".join(copy_escape(v) for v in self.transform(vals)))
            self.out.write(("\n".join(done) + "\n").encode())
        return len(data)

    def finish(self) -> None:
        """The last row, when the COPY text did not end with a newline."""
        if self.rest:
            self.write(b"\n")


def _select(table: str, cols: Sequence[str], cond: str | None) -> sql.Composable:
    select = sql.SQL("select {} from only {}").format(
        sql.SQL(", ").join(map(sql.Identifier, cols)), sql.Identifier(*_split(table))
    )
    if cond:
        # the handler's or the table's copy condition: an admin's SQL expression
        select = sql.SQL("{} where {}").format(select, sql.SQL(cond))
    return select


def _split(name: str) -> tuple[str, str]:
    schema, dot, rel = name.partition(".")
    return (schema, rel) if dot else ("public", name)


def pipe_copy(
    src_conn: Any,
    dst_cur: Any,
    src_table: str,
    src_cols: Sequence[str],
    dst_table: str,
    dst_cols: Sequence[str],
    cond: str | None,
    transform: RowTransform | None = None,
) -> int:
    """COPY src_cols of src_table (where cond) into dst_cols of dst_table; returns the rows."""
    with src_conn.cursor() as scur:
        copy_out = sql.SQL("copy ({}) to stdout").format(_select(src_table, src_cols, cond))
        copy_out_text = copy_out.as_string(scur)
    copy_in = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(*_split(dst_table)), sql.SQL(", ").join(map(sql.Identifier, dst_cols))
    )
    rewrite = None if transform is None else (lambda out: _RowWriter(out, transform))
    return CascadedWorker._pipe_copy(src_conn, copy_out_text, dst_cur, copy_in, rewrite).rows
