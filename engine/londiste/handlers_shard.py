"""Londiste's ``shard`` and ``part`` handlers: each node keeps only its hash slice of a table.

A table sharded over several subscribers carries, in every event, the hash of its
key: the handler adds the trigger argument ``ev_extra3='hash='||<hash expression>``
when the table is added (``add``), so the root's capture trigger computes it.  A
subscriber keeps an event when ``(hash & shard_mask) = shard_nr``, and copies only
the matching rows (the copy's WHERE is ``(<hash expression> & mask) = nr``, run on
the provider).  The shard of this node comes from its own database, by default
``select shard_nr, shard_mask, shard_count from partconf.conf`` (the original's
partconf schema, which the admin creates); the mask must be shard_count - 1 with
shard_count a power of two.

Args (the original's): ``hash_key=COLUMN`` (or ``key=COLUMN``) the hashed column;
``hash_expr=SQL`` (Skytools 3's ``hashexpr``) a whole hash expression instead of
``<hashfunc>(<key>)``; ``hashfunc=NAME`` (3.x) the function, default the ini key
``shard_hash_func`` or ``partconf.get_hash_raw``; ``disable_replay=1`` neither copy
nor replay (events are only passed on); ``ignore_truncate``, ``encoding`` as the
default handler.  Ini keys of the worker: ``shard_hash_func``, ``shard_info_sql``
(a query giving ``shard_nr, shard_mask, shard_count``; a two-column one, the 3.x
``part_nr, max_part``, is read as ``nr, mask``).

``part`` is the original's compat name for ``shard``.
"""

from __future__ import annotations

from typing import Any

import psycopg2

from engine.consumer import Event
from engine.londiste.handlers import HandlerError, RowHandler, parse_row

__all__ = ["PartHandler", "ShardFilter", "ShardHandler", "configure", "quote_fqident"]

_DEFAULTS = {
    "shard_hash_func": "partconf.get_hash_raw",
    "shard_info_sql": "select shard_nr, shard_mask, shard_count from partconf.conf",
}
#: the worker's ini keys for the shard handlers (configure() sets them)
SETTINGS: dict[str, str] = dict(_DEFAULTS)

#: the handler args of the shard filter (dispatch accepts them too)
SHARD_ARGS = ("key", "hash_key", "hash_expr", "hashexpr", "hashfunc")


def configure(cf: Any) -> None:
    """Read the worker's ini keys shard_hash_func and shard_info_sql."""
    for key, default in _DEFAULTS.items():
        SETTINGS[key] = cf.get(key, default) or default


def _quote_ident(name: str) -> str:
    """A name as an SQL identifier (always double-quoted: safe for any name)."""
    return '"' + name.replace('"', '""') + '"'


def quote_fqident(name: str) -> str:
    """``schema.name`` (or ``name``) as a quoted SQL identifier."""
    return ".".join(_quote_ident(p) for p in name.split(".", 1))


class ShardFilter:
    """The hash filter of a table: its expression, this node's shard, the event test."""

    def __init__(self, table_name: str, args: dict[str, str], required: bool = True) -> None:
        self.table_name = table_name
        self.hash_key = args.get("hash_key") or args.get("key") or None
        expr = args.get("hash_expr") or args.get("hashexpr")
        if self.hash_key is None and expr is None:
            if required:
                raise HandlerError(
                    f"handler of {table_name}: specify the hash key field as hash_key=COLUMN"
                )
            self.expr: str | None = None
        elif expr:
            # an admin's SQL expression, as the original takes it
            self.expr = expr
        else:
            func = args.get("hashfunc") or SETTINGS["shard_hash_func"]
            self.expr = f"{quote_fqident(func)}({_quote_ident(self.hash_key or '')})"
        self.shard_nr: int | None = None
        self.shard_mask: int | None = None

    @property
    def active(self) -> bool:
        return self.expr is not None

    def trigger_arg(self) -> str:
        """The capture trigger's argument that puts the hash into ev_extra3."""
        return f"ev_extra3='hash='||{self.expr}"

    def load(self, cur: Any) -> None:
        """Read this node's shard (once per worker; again after forget())."""
        if self.shard_mask is not None:
            return
        query = SETTINGS["shard_info_sql"]
        try:
            cur.execute(query)
            row = cur.fetchone()
        except psycopg2.Error as e:  # name the query that failed (the batch is rolled back)
            first = (str(e).strip().splitlines() or [""])[0]
            raise HandlerError(
                f"table {self.table_name}: cannot read the shard info ({query}): {first}"
            ) from None
        if row is None or len(row) < 2 or row[0] is None or row[1] is None:
            raise HandlerError(f"table {self.table_name}: no shard info from {query}")
        nr, mask = int(row[0]), int(row[1])
        count = int(row[2]) if len(row) > 2 and row[2] is not None else mask + 1
        if count & mask != 0 or mask + 1 != count:
            raise HandlerError(
                f"table {self.table_name}: invalid shard info (mask {mask}, count {count})"
            )
        if not 0 <= nr < count:
            raise HandlerError(f"table {self.table_name}: invalid shard nr {nr} (count {count})")
        self.shard_nr, self.shard_mask = nr, mask

    def forget(self) -> None:
        self.shard_nr = self.shard_mask = None

    def is_local(self, cur: Any, ev: Event) -> bool:
        """True if the event's row belongs to this node's shard."""
        if not self.active:
            return True
        self.load(cur)
        assert self.shard_mask is not None
        if ev.extra3 is None:
            raise HandlerError(f"shard: ev_extra3 not filled on {self.table_name} (event {ev.id})")
        meta = parse_row(ev.extra3).get("hash")
        if meta is None:
            raise HandlerError(f"shard: ev_extra3 of event {ev.id} has no 'hash' key")
        try:
            value = int(meta)
        except ValueError:
            raise HandlerError(f"shard: bad hash {meta!r} in event {ev.id}") from None
        return (value & self.shard_mask) == self.shard_nr

    def condition(self) -> str | None:
        """The copy's WHERE on the provider (after load())."""
        if not self.active:
            return None
        return f"({self.expr} & {int(self.shard_mask or 0)}) = {int(self.shard_nr or 0)}"


class ShardHandler(RowHandler):
    """shard(hash_key=COL): applies and copies only the rows of this node's hash shard."""

    handler_name = "shard"
    valid_args = (*SHARD_ARGS, "encoding", "ignore_truncate", "disable_replay")

    def __init__(self, table_name: str, args: dict[str, str], dest_table: str) -> None:
        check_args(self.handler_name, table_name, args, self.valid_args)
        super().__init__(table_name, args, dest_table)
        self.shard = ShardFilter(table_name, args)
        self.disable_replay = args.get("disable_replay", "0").lower() in ("1", "true")
        if self.disable_replay:
            self.applies_events = False
            self.needs_copy = False

    def add(self, trigger_arg_list: list[str]) -> None:
        """Table added: the root's trigger puts the key's hash into ev_extra3."""
        trigger_arg_list.append(self.shard.trigger_arg())

    def structure_changed(self) -> None:
        super().structure_changed()
        self.shard.forget()

    def add_event(self, cur: Any, ev: Event) -> None:
        if self.disable_replay or not self.shard.is_local(cur, ev):
            return
        super().add_event(cur, ev)

    def apply_one(self, cur: Any, ev: Event) -> str:
        if self.disable_replay or not self.shard.is_local(cur, ev):
            return ""
        return super().apply_one(cur, ev)

    def get_copy_event(self, cur: Any, ev: Event) -> Event | None:
        """A branch's own queue gets only this shard's events."""
        return ev if self.shard.is_local(cur, ev) else None

    def prepare_copy(self, cur: Any) -> None:
        """Before the copy (cursor on this node): read the shard for copy_condition()."""
        self.shard.forget()
        self.shard.load(cur)

    def copy_condition(self) -> str | None:
        if self.shard.shard_mask is None:
            raise HandlerError(f"table {self.table_name}: shard info not read before the copy")
        return self.shard.condition()


class PartHandler(ShardHandler):
    """part(key=COL): the original's compat name for the shard handler."""

    handler_name = "part"


def check_args(handler: str, table: str, args: dict[str, str], valid: tuple[str, ...]) -> None:
    """Unknown handler args are an error (the original: "Invalid handler argument")."""
    bad = sorted(set(args) - set(valid))
    if bad:
        raise HandlerError(
            f"handler {handler} of {table}: invalid argument(s) {', '.join(bad)}"
            f" (valid: {', '.join(sorted(valid))})"
        )
