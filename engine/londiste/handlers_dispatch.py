"""Londiste's ``dispatch`` handler and its named variants: row events routed into time partitions.

Each row event of the table goes to a destination table chosen per event
(``table_mode=part``: a partition named from a time; ``direct``: the table itself;
``ignore``: nowhere), possibly rewritten (``row_mode``, ``fields``, ``skip_fields``,
``event_types``), then applied by one default (set-based) handler per destination:
the batch's changes of a partition are still applied with one statement per
operation.  A partition missing in this batch is made first: ``pre_part``, then
``part_template`` or the partition function (``part_func``, default
``londiste.create_partition``, then the older ``public.create_partition``, else a
plain ``create table ... (like parent including all)``), then ``post_part``; with
``retention_period`` the parent's obsolete partitions are dropped then
(``londiste.drop_obsolete_partitions``) and with ``ignore_old_events=1`` events
for obsolete partitions are dropped.

Args (the original's, same defaults):
  table_mode  part | direct | ignore
  part_mode   batch_time (the batch's tick time) | event_time | date_field | current_time
  part_field  the time column for date_field (its text up to the seconds is read)
  period      day | month | year | hour (the default partition name's precision)
  part_name   name template, default ``%(parent)s_%(year)s_%(month)s[_%(day)s[_%(hour)s]]``
  part_template, pre_part, post_part  SQL templates with %(dest)s, %(part)s, %(parent)s,
              %(pkeys)s, %(schema_table)s, %(part_field)s, %(part_time)s, %(period)s
  part_func   the partition function (called with parent, part, pkeys, part_field,
              part_time, period)
  row_mode    plain | keep_latest (an update is delete + insert) | keep_all (an update
              is an insert, deletes are ignored)
  event_types I,U,D subset to apply (default all)
  load_mode   direct | bulk; method 0..3; analyze  -- both load modes apply set-based
              here, but direct (one statement per event in the original) makes a
              repeated insert of a key in a batch another row, bulk keeps the last;
              method=3 (insert) refuses updates and deletes as the original
  fields      ``a,b:new_b`` source columns kept (and renamed); skip_fields  columns dropped
  table       the destination table instead of the table's dest_table
  retention_period ('3 months'), ignore_old_events 0|1, ignore_truncate 0|1, encoding
  hash_key / key / hash_expr / hashfunc   also filter by hash shard (see handlers_shard)

Variants (the original's generated names, a dispatch with other defaults):
``{hourly,daily,monthly,yearly}_{event,batch,field,time}`` (table_mode=part,
row_mode=keep_latest, period and part_mode from the name), the same with a
``bulk_`` prefix (load_mode=bulk), ``direct`` and ``bulk_direct`` (table_mode=direct).

Copy, as the original: the initial copy goes into the destination table (the
parent, whose partitions inherit from it), with the shard condition and the
``fields``/``skip_fields`` columns; TRUNCATE truncates the parent and its
inheriting partitions (``truncate <dest> cascade``, no ONLY).
"""

from __future__ import annotations

import datetime
import logging
import urllib.parse
from typing import Any, ClassVar

from psycopg2 import sql

from engine.consumer import Event
from engine.londiste.handlers import BaseHandler, HandlerError, RowHandler, parse_row
from engine.londiste.handlers_copy import pipe_copy
from engine.londiste.handlers_shard import SHARD_ARGS, ShardFilter, check_args, quote_fqident

__all__ = ["DISPATCH_HANDLERS", "Dispatcher"]

log = logging.getLogger(__name__)

TABLE_MODES = ("part", "direct", "ignore")
PART_MODES = ("batch_time", "event_time", "date_field", "current_time")
ROW_MODES = ("plain", "keep_all", "keep_latest")
LOAD_MODES = ("direct", "bulk")
PERIODS = ("day", "month", "year", "hour")
METHODS = ("0", "1", "2", "3")
EVENT_TYPES = ("I", "U", "D")
PART_FUNC_NEW = "londiste.create_partition"
PART_FUNC_OLD = "public.create_partition"

VALID_ARGS = (
    "table_mode",
    "part_func",
    "part_mode",
    "part_field",
    "period",
    "part_name",
    "part_template",
    "row_mode",
    "event_types",
    "load_mode",
    "method",
    "fields",
    "skip_fields",
    "table",
    "pre_part",
    "post_part",
    "retention_period",
    "ignore_old_events",
    "ignore_truncate",
    "encoding",
    "analyze",
    *SHARD_ARGS,
)


def _encode_row(row: dict[str, str | None]) -> str:
    """A row as urlencoded event data (the inverse of parse_row)."""
    q = urllib.parse.quote_plus
    return "&".join(q(k) if v is None else f"{q(k)}={q(v)}" for k, v in row.items())


def _batch_time(ev: Event) -> datetime.datetime | None:
    """The end time of the event's batch (its tick), when the event came with its batch."""
    batch = getattr(ev, "_batch", None)  # the worker's events carry their batch
    return getattr(batch, "tick_time", None)


class Dispatcher(BaseHandler):
    """dispatch(...): row events into time partitions or a renamed table (see module doc)."""

    handler_name = "dispatch"
    applies_events = True
    #: the variant's defaults (a variant is a subclass with other defaults)
    defaults: ClassVar[dict[str, str]] = {}

    def __init__(self, table_name: str, args: dict[str, str], dest_table: str) -> None:
        args = {**self.defaults, **args}
        check_args(self.handler_name, table_name, args, VALID_ARGS)
        super().__init__(table_name, args, args.get("table") or dest_table)
        self.table_mode = self._choice("table_mode", TABLE_MODES)
        self.part_mode = self._choice("part_mode", PART_MODES)
        self.part_field = args.get("part_field") or None
        if self.table_mode == "part" and self.part_mode == "date_field" and not self.part_field:
            raise HandlerError(
                f"handler {self.handler_name} of {table_name}: part_mode"
                " date_field requires part_field"
            )
        self.period = self._choice("period", PERIODS)
        self.part_name = args.get("part_name") or None
        self.part_template = args.get("part_template") or None
        self.pre_part = args.get("pre_part") or None
        self.post_part = args.get("post_part") or None
        self.part_func = args.get("part_func") or PART_FUNC_NEW
        self.retention_period = args.get("retention_period") or None
        self.ignore_old_events = self._choice("ignore_old_events", ("0", "1")) == "1"
        self.ignore_truncate = self._choice("ignore_truncate", ("0", "1")) == "1"
        self.row_mode = self._choice("row_mode", ROW_MODES)
        # direct: each event a statement in the original, so a repeated insert of a key
        # (keep_all, partitions without a key) is another row; bulk: the last one wins
        self.direct_load = self._choice("load_mode", LOAD_MODES) == "direct"
        self._choice("analyze", ("0", "1"))
        self.method = self._choice("method", METHODS)
        types = args.get("event_types", "*") or "*"
        if types == "*":
            self.event_types: tuple[str, ...] = EVENT_TYPES
        else:
            self.event_types = tuple(t.strip().upper() for t in types.split(","))
            bad = [t for t in self.event_types if t not in EVENT_TYPES]
            if bad:
                raise HandlerError(
                    f"handler {self.handler_name} of {table_name}: unsupported"
                    f" operation(s) {', '.join(bad)} in event_types"
                )
        self.skip_fields = [
            f.strip().lower() for f in args.get("skip_fields", "").split(",") if f.strip()
        ]
        fields = args.get("fields", "*") or "*"
        self.field_map: dict[str, str] | None = None
        if fields != "*":
            self.field_map = {}
            for item in fields.split(","):
                src, _, new = item.strip().partition(":")
                self.field_map[src] = new or src
        self.shard = ShardFilter(table_name, args, required=False)
        # destination -> its default handler (kept across batches: they know their shape)
        self._loaders: dict[str, RowHandler] = {}
        self._used: dict[str, RowHandler] = {}
        self._inserted: dict[str, set[tuple[str | None, ...]]] = {}
        self._checked: set[str] = set()
        self._ignored: set[str] = set()

    def _choice(self, name: str, values: tuple[str, ...]) -> str:
        value = self.args.get(name) or values[0]
        if value not in values:
            raise HandlerError(
                f"handler {self.handler_name} of {self.table_name}: bad {name} {value!r}"
                f" (one of {', '.join(values)})"
            )
        return value

    # -- trigger and copy ----------------------------------------------------------------
    def add(self, trigger_arg_list: list[str]) -> None:
        """Table added: with a hash key the root's trigger puts the hash into ev_extra3."""
        if self.shard.active:
            trigger_arg_list.append(self.shard.trigger_arg())

    def get_copy_event(self, cur: Any, ev: Event) -> Event | None:
        """With a hash key, a branch's own queue gets only this shard's events."""
        return ev if self.shard.is_local(cur, ev) else None

    def prepare_copy(self, cur: Any) -> None:
        if self.shard.active:
            self.shard.forget()
            self.shard.load(cur)

    def copy_condition(self) -> str | None:
        return self.shard.condition()

    def copy_columns(self, columns: list[str]) -> tuple[list[str], list[str]]:
        """(source, destination) columns of the copy after skip_fields and fields."""
        src = [c for c in columns if c.lower() not in self.skip_fields]
        if self.field_map is None:
            return src, src
        src = [c for c in src if c in self.field_map]
        return src, [self.field_map[c] for c in src]

    def real_copy(
        self, src_conn: Any, dst_cur: Any, src_table: str, columns: list[str], cond: str | None
    ) -> int | None:
        """The copy with renamed or skipped columns; None: the common columns as they are."""
        src_cols, dst_cols = self.copy_columns(columns)
        if src_cols == columns and dst_cols == columns:
            return None
        return pipe_copy(src_conn, dst_cur, src_table, src_cols, self.dest_table, dst_cols, cond)

    # -- batches -------------------------------------------------------------------------
    def reset(self) -> None:
        for h in self._loaders.values():
            h.reset()
        self._used = {}
        self._inserted = {}
        # a batch replayed again (after a rollback) must check its partitions again
        self._checked = set()

    def structure_changed(self) -> None:
        for h in self._loaders.values():
            h.structure_changed()
        self._checked = set()

    def add_event(self, cur: Any, ev: Event) -> None:
        for h, e in self._route(cur, ev):
            if self.direct_load and (e.type or "").startswith("I:"):
                keys = self._inserted.setdefault(h.dest_table, set())
                pk = (e.type or "")[2:].split(",")
                row = parse_row(e.data)
                key = tuple(row.get(k) for k in pk)
                if key in keys:
                    # the buffered changes first: the default handler keeps one row a key
                    h.flush(cur)
                    keys.clear()
                keys.add(key)
            self._used[h.dest_table] = h
            h.add_event(cur, e)

    def flush(self, cur: Any) -> None:
        used, self._used = self._used, {}
        self._inserted = {}
        for h in used.values():
            h.flush(cur)

    def apply_one(self, cur: Any, ev: Event) -> str:
        done = [h.apply_one(cur, e) for h, e in self._route(cur, ev)]
        return "; ".join(s for s in done if s)

    def truncate(self, cur: Any) -> None:
        # the changes before it first: partitions that do not inherit keep them
        self.flush(cur)
        if self.ignore_truncate or self.table_mode == "ignore":
            return
        # as the original: the parent and the partitions inheriting from it
        cur.execute(sql.SQL("truncate {} cascade").format(self.dest_ident))

    # -- routing -------------------------------------------------------------------------
    def _route(self, cur: Any, ev: Event) -> list[tuple[RowHandler, Event]]:
        """The (destination handler, event) pairs one source event becomes."""
        if self.table_mode == "ignore":
            return []
        etype = ev.type or ""
        if len(etype) < 2 or etype[1] != ":":
            raise HandlerError(
                f"unsupported event type {etype!r} for {self.handler_name} (event {ev.id})"
            )
        op, _, pk_text = etype.partition(":")
        if op not in EVENT_TYPES:
            raise HandlerError(f"unknown event type {etype!r} (event {ev.id})")
        if op not in self.event_types or not self.shard.is_local(cur, ev):
            return []
        if self.method == "3" and op != "I":
            raise HandlerError(f"{op} not supported by method insert (event {ev.id})")
        data = ev.data
        pkeys = pk_text.split(",") if pk_text else []
        row: dict[str, str | None] | None = None
        if self.skip_fields or self.field_map is not None:
            row = self._filter(parse_row(ev.data))
            pkeys = self._filter_pkeys(pkeys)
            data = _encode_row(row)
        if self.table_mode == "part":
            if row is None:
                row = parse_row(ev.data)
            dst, part_time = self._part_name(ev, row)
            if dst in self._ignored:
                return []
            self._check_part(cur, dst, part_time, pkeys)
            if dst in self._ignored:
                return []
        else:
            dst = self.dest_table
        h = self._loaders.get(dst)
        if h is None:
            h = RowHandler(self.table_name, {}, dst)
            h.prepare_batch(self.cur_tick)
            self._loaders[dst] = h
        if self.row_mode == "keep_all":
            ops = ["I"] if op in ("I", "U") else []
        elif self.row_mode == "keep_latest" and op == "U":
            ops = ["D", "I"]
        else:
            ops = [op]
        pk = ",".join(pkeys)
        return [
            (
                h,
                Event(
                    (
                        ev.id,
                        ev.time,
                        ev.txid,
                        ev.retry,
                        f"{o}:{pk}",
                        data,
                        ev.extra1,
                        ev.extra2,
                        ev.extra3,
                        ev.extra4,
                    )
                ),
            )
            for o in ops
        ]

    def _filter(self, row: dict[str, str | None]) -> dict[str, str | None]:
        if self.skip_fields:
            row = {k: v for k, v in row.items() if k.lower() not in self.skip_fields}
        if self.field_map is not None:
            # a mapped column missing from the event is NULL, as the original
            row = {new: row.get(src) for src, new in self.field_map.items()}
        return row

    def _filter_pkeys(self, pkeys: list[str]) -> list[str]:
        if self.skip_fields:
            pkeys = [k for k in pkeys if k.lower() not in self.skip_fields]
        if self.field_map is not None:
            pkeys = [self.field_map[k] for k in pkeys if k in self.field_map]
        return pkeys

    def _part_time(self, ev: Event, row: dict[str, str | None]) -> datetime.datetime:
        mode = self.part_mode
        if mode == "batch_time":
            tm = _batch_time(ev) or ev.time
        elif mode == "event_time":
            tm = ev.time
        elif mode == "current_time":
            tm = datetime.datetime.now()
        else:
            assert self.part_field is not None
            if self.part_field not in row:
                raise HandlerError(f"part_field {self.part_field} not in event {ev.id}")
            text = row[self.part_field]
            if text is None:
                raise HandlerError(f"part_field({self.part_field}) is NULL in event {ev.id}")
            try:
                tm = datetime.datetime.fromisoformat(text[:19])
            except ValueError:
                raise HandlerError(
                    f"part_field({self.part_field}) of event {ev.id} is not a time: {text!r}"
                ) from None
        if not isinstance(tm, datetime.datetime):
            raise HandlerError(f"no {mode} for event {ev.id}")
        return tm

    def _part_name(self, ev: Event, row: dict[str, str | None]) -> tuple[str, datetime.datetime]:
        tm = self._part_time(ev, row)
        if self.part_name:
            template = self.part_name
        else:
            parts = ["year", "month", "day", "hour"]
            names = ["parent", *parts[: parts.index(self.period) + 1]]
            template = "_".join(f"%({p})s" for p in names)
        vals = {
            "parent": self.dest_table,
            "year": f"{tm.year:04d}",
            "month": f"{tm.month:02d}",
            "day": f"{tm.day:02d}",
            "hour": f"{tm.hour:02d}",
        }
        try:
            return template % vals, tm
        except (KeyError, ValueError, TypeError) as e:
            raise HandlerError(f"bad part_name {template!r}: {e}") from None

    def _check_part(
        self, cur: Any, dst: str, part_time: datetime.datetime, pkeys: list[str]
    ) -> None:
        """Make the partition if it is missing (once per batch and partition)."""
        if dst in self._checked:
            return
        self._checked.add(dst)
        if self.ignore_old_events and self.retention_period:
            cur.execute(
                "select londiste.is_obsolete_partition(%s, %s, %s)",
                (dst, self.retention_period, self.period),
            )
            if cur.fetchone()[0]:
                log.info("ignored table: %s", dst)
                self._ignored.add(dst)
                return
        qdst = quote_fqident(dst)
        cur.execute("select pg_catalog.to_regclass(%s) is not null", (qdst,))
        if cur.fetchone()[0]:
            return
        vals = {
            "dest": qdst,
            "part": qdst,
            "parent": quote_fqident(self.dest_table),
            "pkeys": ",".join(pkeys),
            "schema_table": qdst.replace(".", "__"),
            "part_field": self.part_field,
            "part_time": part_time,
            "period": self.period,
        }
        self._run_template(cur, "pre_part", self.pre_part, vals)
        if self.part_template:
            self._run_template(cur, "part_template", self.part_template, vals)
        else:
            self._call_part_func(cur, dst, part_time, pkeys)
        self._run_template(cur, "post_part", self.post_part, vals)
        log.info("created table: %s", dst)
        if self.retention_period:
            cur.execute(
                "select londiste.drop_obsolete_partitions(%s, %s, %s)",
                (self.dest_table, self.retention_period, self.period),
            )
            dropped = [r[0] for r in cur.fetchall()]
            if dropped:
                log.info("dropped tables: %s", ", ".join(dropped))
            if self.ignore_old_events:
                for name in dropped:
                    self._ignored.add(name)
                    self._loaders.pop(name, None)
                    self._used.pop(name, None)

    @staticmethod
    def _run_template(cur: Any, what: str, template: str | None, vals: dict[str, Any]) -> None:
        if not template:
            return
        try:
            text = template % vals
        except (KeyError, ValueError, TypeError) as e:
            raise HandlerError(f"bad {what} {template!r}: {e}") from None
        # an admin's SQL template with the original's %(name)s variables (no parameters:
        # psycopg2 leaves the text as it is)
        cur.execute(text)

    def _call_part_func(
        self, cur: Any, dst: str, part_time: datetime.datetime, pkeys: list[str]
    ) -> None:
        for func in (self.part_func, PART_FUNC_OLD if self.part_func == PART_FUNC_NEW else None):
            if func is None:
                continue
            schema, _, name = func.rpartition(".")
            cur.execute(
                "select exists (select 1 from pg_catalog.pg_proc p"
                " join pg_catalog.pg_namespace n on n.oid = p.pronamespace"
                " where n.nspname = %s and p.proname = %s and p.pronargs = 6)",
                (schema or "public", name),
            )
            if cur.fetchone()[0]:
                cur.execute(
                    sql.SQL("select {}(%s, %s, %s, %s, %s, %s)").format(
                        sql.Identifier(schema or "public", name)
                    ),
                    (
                        self.dest_table,
                        dst,
                        ",".join(pkeys),
                        self.part_field,
                        part_time,
                        self.period,
                    ),
                )
                return
        log.debug("part func %s not found, cloning table %s", self.part_func, self.dest_table)
        cur.execute(
            sql.SQL("create table {} (like {} including all)").format(
                sql.Identifier(*dst.split(".", 1)), self.dest_ident
            )
        )


def _variants() -> dict[str, type[Dispatcher]]:
    """The original's generated dispatch names with their defaults."""
    loads = {"": "direct", "bulk": "bulk"}
    periods = {"hourly": "hour", "daily": "day", "monthly": "month", "yearly": "year"}
    modes = {
        "event": "event_time",
        "batch": "batch_time",
        "field": "date_field",
        "time": "current_time",
    }
    out: dict[str, dict[str, str]] = {}
    for load, load_mode in loads.items():
        for period, period_v in periods.items():
            for mode, part_mode in modes.items():
                name = "_".join(p for p in (load, period, mode) if p)
                out[name] = {
                    "table_mode": "part",
                    "row_mode": "keep_latest",
                    "load_mode": load_mode,
                    "period": period_v,
                    "part_mode": part_mode,
                }
    out["bulk_direct"] = {"load_mode": "bulk", "table_mode": "direct"}
    out["direct"] = {"load_mode": "direct", "table_mode": "direct"}
    return {
        name: type(
            f"Dispatcher_{name}",
            (Dispatcher,),
            {
                "handler_name": name,
                "defaults": d,
                "__doc__": f"{name}: dispatch with " + ", ".join(f"{k}={v}" for k, v in d.items()),
            },
        )
        for name, d in out.items()
    }


#: every dispatch handler by name
DISPATCH_HANDLERS: dict[str, type[Dispatcher]] = {"dispatch": Dispatcher, **_variants()}
