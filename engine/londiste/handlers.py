"""Londiste table handlers: how one table's events are applied on a subscriber.

A table's ``handler`` attribute (``londiste.table_info.table_attrs``) names its
handler the way the original writes it: ``name`` or ``name(urlencoded args)``,
e.g. ``londiste(ignore_truncate=1)``.  Handlers here:

``londiste`` (default)
    set-based apply.  The batch's row events of a table (``I:pk``/``U:pk``/``D:pk``
    with a urlencoded row, pgq.logutriga's format) are buffered and collapsed per
    primary key in event order (the last change wins; an insert after a delete
    becomes delete + insert; an insert then a delete cancels out), then applied
    with at most one DELETE, one UPDATE and one INSERT per table and column set,
    each reading its rows from one jsonb parameter (``jsonb_to_recordset``, values
    cast from text by the column types, as the original's SQL literals are).  The
    buffer is flushed when it holds ``max_rows`` keys or ``max_bytes`` of data (the
    seed's "check the size of buffered SQL").  Args: ``ignore_truncate=1``.
    With a ``copy_condition`` on the table, only matching rows are kept: an update
    replaces the row by the new one if that matches (else the row goes).
    ``apply_one(ev)`` applies a single event (the worker's one-by-one retry).
``nop``
    ignores every event (and TRUNCATE).
``qtable``
    a queue table: its events are not applied (the root's SKIP trigger keeps the rows out).
``vtable`` / ``fake_local``
    a virtual table: marked local, no events applied, no copy.
``bulk(method=N)``
    the default's set-based apply under the original's name (every method gives
    the same result).
``applyfn(func_name=F, func_conf=C)``
    calls F(conf, tick_id, ev_id, ev_time, ev_txid, ev_retry, ev_type, ev_data,
    ev_extra1, ev_extra2, ev_extra3, ev_extra4) for each row event.
``qsplitter(queue=Q)``
    the seed's redirect: each row event is inserted into queue Q on this node.
``dispatch`` (and its named variants), ``shard`` / ``part``, ``multimaster``, ``obfuscate``
    in their own modules, listed in engine.londiste.handlers_extra.

Deliberate limits: a key whose value changes in an UPDATE is applied as an
update of the new key (as the original's logutriga SQL); unique constraints on
non-key columns are not ordered across keys within one batch (deletes run
first, then updates, then inserts).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from psycopg2 import sql

from engine.consumer import Event

__all__ = [
    "BaseHandler",
    "HandlerError",
    "RowHandler",
    "build_handler",
    "handler_names",
    "parse_handler",
    "parse_row",
]


class HandlerError(Exception):
    """A handler string or an event the handler cannot use."""


#: escapes of the characters that are common in values (timestamps, lists), decoded
#: with str.replace (none of them decodes to "%", so the rest is left to unquote)
_COMMON_ESCAPES = (
    ("%3A", ":"),
    ("%2B", "+"),
    ("%2C", ","),
    ("%2F", "/"),
    ("%3D", "="),
    ("%26", "&"),
    ("%40", "@"),
    ("%28", "("),
    ("%29", ")"),
    ("%27", "'"),
)


def _unquote(text: str) -> str:
    for esc, char in _COMMON_ESCAPES:
        if esc in text:
            text = text.replace(esc, char)
    if "%" in text:
        text = urllib.parse.unquote(text)
    return text


def parse_row(data: str | None) -> dict[str, str | None]:
    """A urlencoded row (Skytools' db_urlencode): ``k=v&k2`` (k2 is NULL)."""
    row: dict[str, str | None] = {}
    if not data:
        return row
    unq = _unquote
    for part in data.split("&"):
        if not part:
            continue
        k, eq, v = part.partition("=")
        # most values need no decoding: skip the (slow) unquote for them
        if "+" in k:
            k = k.replace("+", " ")
        if "%" in k:
            k = unq(k)
        if not eq:
            row[k] = None
            continue
        if "+" in v:
            v = v.replace("+", " ")
        if "%" in v:
            v = unq(v)
        row[k] = v
    return row


def parse_handler(text: str | None) -> tuple[str, dict[str, str]]:
    """``name(urlencoded args)`` -> (name, args); empty -> the default handler."""
    text = (text or "").strip()
    if not text:
        return "londiste", {}
    if "(" in text:
        if not text.endswith(")"):
            raise HandlerError(f"bad handler string: {text!r}")
        name, _, args = text[:-1].partition("(")
        return name.strip(), {k: v or "" for k, v in parse_row(args).items()}
    return text, {}


def _split_name(name: str) -> tuple[str, str]:
    schema, dot, rel = name.partition(".")
    return (schema, rel) if dot else ("public", name)


class BaseHandler:
    """One table's handler for one worker; a new batch starts with reset()."""

    handler_name = "base"
    #: events of this table are applied (False: ignored, no copy either for vtable)
    applies_events = False
    needs_copy = True

    def __init__(self, table_name: str, args: dict[str, str], dest_table: str) -> None:
        self.table_name = table_name
        self.args = args
        self.dest_table = dest_table or table_name

    @property
    def dest_ident(self) -> sql.Identifier:
        return sql.Identifier(*_split_name(self.dest_table))

    #: the batch's end tick (set by the worker before each batch)
    cur_tick: int | None = None

    def prepare_batch(self, tick_id: int | None) -> None:
        """A batch begins: forget buffered changes."""
        self.cur_tick = tick_id
        self.reset()

    def reset(self) -> None:
        """Forget buffered changes."""

    def structure_changed(self) -> None:
        """An EXECUTE script ran: read the table's structure again."""

    def add_event(self, cur: Any, ev: Event) -> None:
        """Buffer (or apply) one row event."""

    def flush(self, cur: Any) -> None:
        """Apply the buffered changes."""

    def apply_one(self, cur: Any, ev: Event) -> str:
        """Apply one event by itself; returns the statement run (for error reports)."""
        return ""

    def truncate(self, cur: Any) -> None:
        """A TRUNCATE event on the source table."""

    def copy_condition(self) -> str | None:
        """A WHERE for the initial COPY (None: every row)."""
        return None

    def set_based(self) -> bool:
        """True if the worker may apply this table's row events in the database
        (londiste._apply_rows) instead of through add_event/flush."""
        return False


class NopHandler(BaseHandler):
    """Does nothing with the events."""

    handler_name = "nop"


class QueueTableHandler(BaseHandler):
    """A queue table: events are not applied here, nothing is copied."""

    handler_name = "qtable"
    needs_copy = False


class QueueSplitterHandler(BaseHandler):
    """qsplitter(queue=Q): each row event goes into queue Q on this node (new ids)."""

    handler_name = "qsplitter"
    applies_events = True
    needs_copy = False

    def __init__(self, table_name: str, args: dict[str, str], dest_table: str) -> None:
        super().__init__(table_name, args, dest_table)
        if not args.get("queue"):
            raise HandlerError(f"handler qsplitter of {table_name} needs queue=NAME")
        self.queue = args["queue"]
        self._rows: list[tuple[Any, ...]] = []

    def reset(self) -> None:
        self._rows = []

    def add_event(self, cur: Any, ev: Event) -> None:
        self._rows.append((ev.type, ev.data, ev.extra1, ev.extra2, ev.extra3, ev.extra4))

    def flush(self, cur: Any) -> None:
        if not self._rows:
            return
        cur.execute(
            "select pgq.insert_event(%s, e.t, e.d, e.x1, e.x2, e.x3, e.x4)"
            " from jsonb_to_recordset(%s::jsonb)"
            " as e(t text, d text, x1 text, x2 text, x3 text, x4 text)",
            (
                self.queue,
                json.dumps(
                    [
                        dict(zip(("t", "d", "x1", "x2", "x3", "x4"), r, strict=True))
                        for r in self._rows
                    ]
                ),
            ),
        )
        self._rows = []

    def apply_one(self, cur: Any, ev: Event) -> str:
        self.reset()
        self.add_event(cur, ev)
        self.flush(cur)
        return f"pgq.insert_event({self.queue!r}, ...)"


class ApplyFuncHandler(BaseHandler):
    """applyfn(func_name=F, func_conf=C): F(conf, tick, ev_id, ev_time, ev_txid, ev_retry,
    ev_type, ev_data, ev_extra1 .. ev_extra4) is called for each row event."""

    handler_name = "applyfn"
    applies_events = True

    def add_event(self, cur: Any, ev: Event) -> None:
        self.apply_one(cur, ev)

    #: the function when func_name is not given
    default_func = "undefined"
    #: pass every value as text (for a function declared with text arguments)
    text_args = False

    def apply_one(self, cur: Any, ev: Event) -> str:
        fn = self.args.get("func_name") or self.default_func
        stmt = sql.SQL("select {}({})").format(
            sql.Identifier(*fn.split(".", 1)), sql.SQL(", ").join([sql.Placeholder()] * 12)
        )
        args: Sequence[Any] = (
            self.args.get("func_conf", ""),
            self.cur_tick,
            ev.id,
            ev.time,
            ev.txid,
            ev.retry,
            ev.type,
            ev.data,
            ev.extra1,
            ev.extra2,
            ev.extra3,
            ev.extra4,
        )
        if self.text_args:
            args = [None if v is None else str(v) for v in args]
        text = cur.mogrify(stmt, args).decode()
        cur.execute(stmt, args)
        return text


class VirtualTableHandler(BaseHandler):
    """A virtual (fake local) table: nothing applied, nothing copied."""

    handler_name = "vtable"
    needs_copy = False


class _TableShape:
    """The dest table's columns, types and primary key, read once per worker."""

    def __init__(self, cur: Any, dest: str) -> None:
        schema, rel = _split_name(dest)
        cur.execute(
            "select a.attname, format_type(a.atttypid, a.atttypmod),"
            " coalesce(a.attnum = any(i.indkey), false)"
            " from pg_attribute a join pg_class c on c.oid = a.attrelid"
            " join pg_namespace n on n.oid = c.relnamespace"
            " left join pg_index i on i.indrelid = c.oid and i.indisprimary"
            " where n.nspname = %s and c.relname = %s and a.attnum > 0"
            " and not a.attisdropped and a.attgenerated = ''"
            " order by a.attnum",
            (schema, rel),
        )
        rows = cur.fetchall()
        if not rows:
            raise HandlerError(f"table {dest} does not exist on this node")
        self.types = {r[0]: r[1] for r in rows}
        self.pkey = [r[0] for r in rows if r[2]]


class RowHandler(BaseHandler):
    """The default handler: per batch, one statement per operation (see module doc)."""

    handler_name = "londiste"
    applies_events = True
    max_rows = 50_000
    max_bytes = 16 << 20

    def __init__(self, table_name: str, args: dict[str, str], dest_table: str) -> None:
        super().__init__(table_name, args, dest_table)
        self.ignore_truncate = args.get("ignore_truncate", "0") not in ("", "0")
        #: the table's copy_condition: only rows matching it are kept here (set by the worker)
        self.condition: str | None = None
        self._shape: _TableShape | None = None
        # key -> [first op, last op, saw delete, last row]
        self._changes: dict[tuple[Any, ...], list[Any]] = {}
        self._bytes = 0

    def shape(self, cur: Any) -> _TableShape:
        if self._shape is None:
            self._shape = _TableShape(cur, self.dest_table)
        return self._shape

    def reset(self) -> None:
        self._changes = {}
        self._bytes = 0

    def structure_changed(self) -> None:
        self._shape = None

    def _parse(self, cur: Any, ev: Event) -> tuple[str, tuple[Any, ...], dict[str, str | None]]:
        op, _, pk_text = (ev.type or "").partition(":")
        if op not in ("I", "U", "D"):
            raise HandlerError(f"unknown event type {ev.type!r} (event {ev.id})")
        row = parse_row(ev.data)
        pkey = pk_text.split(",") if pk_text else self.shape(cur).pkey
        if not pkey:
            raise HandlerError(f"table {self.dest_table} has no primary key (event {ev.id})")
        try:
            key = tuple(row[k] for k in pkey)
        except KeyError as e:
            raise HandlerError(f"event {ev.id} has no key column {e}") from None
        return op, (tuple(pkey), key), row

    def add_event(self, cur: Any, ev: Event) -> None:
        op, key, row = self._parse(cur, ev)
        ch = self._changes.get(key)
        if ch is None:
            self._changes[key] = [op, op, op == "D", row]
        else:
            ch[1] = op
            ch[2] = ch[2] or op == "D"
            ch[3] = row
        self._bytes += len(ev.data or "")
        if len(self._changes) >= self.max_rows or self._bytes >= self.max_bytes:
            self.flush(cur)

    def flush(self, cur: Any) -> None:
        if not self._changes:
            return
        shape = self.shape(cur)
        deletes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        updates: dict[tuple[tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
        inserts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        filtered = bool(self.condition)
        for (pkey, _key), (first, last, saw_delete, row) in self._changes.items():
            before = first != "I"
            after = last != "D"
            if filtered and before:
                # the old row may or may not be here: replace it by the new one if it matches
                saw_delete = True
            if before and (not after or saw_delete):
                deletes.setdefault(pkey, []).append({k: row[k] for k in pkey})
            if after and (not before or saw_delete):
                inserts.setdefault(tuple(row), []).append(row)
            elif after:
                updates.setdefault((pkey, tuple(row)), []).append(row)
        self.reset()
        for pkey, rows in deletes.items():
            cur.execute(self._delete_sql(shape, pkey), (json.dumps(rows),))
        for (pkey, cols), rows in updates.items():
            stmt = self._update_sql(shape, pkey, cols)
            if stmt is not None:
                cur.execute(stmt, (json.dumps(rows),))
        for cols, rows in inserts.items():
            cur.execute(self._insert_sql(shape, cols), (json.dumps(rows),))

    def apply_one(self, cur: Any, ev: Event) -> str:
        op, (pkey, _key), row = self._parse(cur, ev)
        shape = self.shape(cur)
        if op == "U" and self.condition:
            delete = self._delete_sql(shape, pkey)
            cur.execute(delete, (json.dumps([{k: row[k] for k in pkey}]),))
            op = "I"
        if op == "I":
            stmt: sql.Composable | None = self._insert_sql(shape, tuple(row))
        elif op == "U":
            stmt = self._update_sql(shape, pkey, tuple(row))
        else:
            stmt = self._delete_sql(shape, pkey)
            row = {k: row[k] for k in pkey}
        if stmt is None:
            return ""
        args = (json.dumps([row]),)
        text = cur.mogrify(stmt, args).decode()
        cur.execute(stmt, args)
        return text

    def truncate(self, cur: Any) -> None:
        self.reset()
        if self.ignore_truncate:
            return
        cur.execute(sql.SQL("truncate only {} cascade").format(self.dest_ident))

    # -- statements ----------------------------------------------------------------------
    def _source(self, shape: _TableShape, cols: tuple[str, ...]) -> sql.Composable:
        for c in cols:
            if c not in shape.types:
                raise HandlerError(f"column {c} of {self.table_name} missing in {self.dest_table}")
        return sql.SQL("jsonb_to_recordset(%s::jsonb) as s({})").format(
            sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in cols)
        )

    @staticmethod
    def _val(shape: _TableShape, col: str) -> sql.Composable:
        return sql.SQL("s.{}::{}").format(sql.Identifier(col), sql.SQL(shape.types[col]))

    def _match(self, shape: _TableShape, pkey: tuple[str, ...]) -> sql.Composable:
        return sql.SQL(" and ").join(
            sql.SQL("t.{} = {}").format(sql.Identifier(k), self._val(shape, k)) for k in pkey
        )

    def _delete_sql(self, shape: _TableShape, pkey: tuple[str, ...]) -> sql.Composable:
        return sql.SQL("delete from only {} t using {} where {}").format(
            self.dest_ident, self._source(shape, pkey), self._match(shape, pkey)
        )

    def _update_sql(
        self, shape: _TableShape, pkey: tuple[str, ...], cols: tuple[str, ...]
    ) -> sql.Composable | None:
        setcols = [c for c in cols if c not in pkey]
        if not setcols:
            return None
        return sql.SQL("update only {} t set {} from {} where {}").format(
            self.dest_ident,
            sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(c), self._val(shape, c)) for c in setcols
            ),
            self._source(shape, cols),
            self._match(shape, pkey),
        )

    def _insert_sql(self, shape: _TableShape, cols: tuple[str, ...]) -> sql.Composable:
        collist = sql.SQL(", ").join(map(sql.Identifier, cols))
        values = sql.SQL(", ").join(
            sql.SQL("{} as {}").format(self._val(shape, c), sql.Identifier(c)) for c in cols
        )
        select = sql.SQL("select {} from {}").format(values, self._source(shape, cols))
        if self.condition:
            # the condition is the table's copy_condition, an admin's SQL expression
            select = sql.SQL("select * from ({}) s where {}").format(
                select,
                sql.SQL(self.condition.replace("%", "%%")),  # run with parameters
            )
        return sql.SQL("insert into {} ({}) {}").format(self.dest_ident, collist, select)

    def copy_condition(self) -> str | None:
        return None

    def set_based(self) -> bool:
        # londiste._apply_rows does what add_event + flush do; a subclass that changes how
        # rows are applied gets them in Python
        cls = type(self)
        return all(
            getattr(cls, m) is getattr(RowHandler, m)
            for m in ("add_event", "flush", "apply_one", "_parse", "_insert_sql", "_update_sql")
        )


class BulkHandler(RowHandler):
    """bulk(method=0|1|2): the original's COPY-based handler; ours is set-based already,
    every method applies the same (correct) result."""

    handler_name = "bulk"


_HANDLERS: dict[str, Callable[[str, dict[str, str], str], BaseHandler]] = {
    "londiste": RowHandler,
    "nop": NopHandler,
    "bulk": BulkHandler,
    "applyfn": ApplyFuncHandler,
    "qsplitter": QueueSplitterHandler,
    "qtable": QueueTableHandler,
    "vtable": VirtualTableHandler,
    "fake_local": VirtualTableHandler,
}


def _known() -> dict[str, Callable[[str, dict[str, str], str], BaseHandler]]:
    # dispatch, shard, multimaster, obfuscate: modules that subclass the ones above
    from engine.londiste.handlers_extra import extra_handlers

    return {**_HANDLERS, **extra_handlers()}


def handler_names() -> list[str]:
    """The handler names this worker knows."""
    return sorted(_known())


def build_handler(table_name: str, handler: str | None, dest_table: str | None) -> BaseHandler:
    """The handler object for a table from its ``handler`` attribute."""
    name, args = parse_handler(handler)
    factory = _known().get(name)
    if factory is None:
        raise HandlerError(
            f"unknown handler {name!r} for table {table_name} (known: {', '.join(handler_names())})"
        )
    return factory(table_name, args, dest_table or table_name)
