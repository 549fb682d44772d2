"""Londiste administration: tables and sequences of a replicated queue, across its nodes.

One implementation for the console, ``python -m engine.londiste`` (londiste3's door)
and scripts.  ``LondisteAdmin`` extends ``CascadeAdmin`` (same constructor: one queue,
the local node's connection, the other members reached through their recorded
locations) with the operations of the ``londiste`` SQL API: registering tables and
sequences (on the root into the set, on a subscriber from what its provider has),
their states, resync, handlers, pending foreign keys, EXECUTE of DDL through the queue,
and COMPARE / REPAIR of a table with its provider at a sync point.

Table lists take names (``public`` is the default schema), ``glob*`` patterns and
``ALL`` (the tables that could be added / that are added, depending on the action).
EXECUTE (execute_files): the file runs on the root in one transaction (role local) and
travels as an EXECUTE event; every node, the root included, runs it only if its
``--*-- Local-*/Need-*`` headers all match there (none: recorded as applied, not run;
some: an error, on a subscriber the replay stops there until the node matches), with
``@name@`` tags replaced by the local destination names (engine.londiste.exec_attrs).
A file whose headers name a table that a live member is still copying (a file naming
no table: any table) is refused before it runs (the copy would miss the change): run
it after WAIT SYNC there.

SWITCHOVER (CascadeAdmin.switchover, inherited) checks the Londiste rule first
(engine.londiste.switchover): the node taking over must replicate every table and
sequence the old one does, all in sync, and no node changing provider may be copying;
copies on other nodes (a leaf below the old root) go on and finish after it.

The ``copy_condition`` and ``skip_serial`` options of add_table are stored in the
table's attributes (``copy_condition=...``, ``skip_serial=1``), where the copy reads them.
add_table also adds the sequences of the table's serial columns (unless skip_serial);
``copy_node=NAME`` checks the table on that node instead of the provider, ``copy_node=?``
leaves the choice to the copy (the nearest node up from the provider having it).
``from_dump`` (and ``dump_file``) builds a subscriber's tables from a pg_dump of the
provider instead of copying them (_add_from_dump, engine.londiste.dump,
docs/londiste-from-dump.md).
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import tempfile
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg2.extensions

from engine.admin import Table
from engine.admin.server import installed_modules
from engine.cascade.admin import CascadeAdmin, CascadeError
from engine.db import sql
from engine.londiste import exec_attrs

__all__ = [
    "ADD_TABLE_OPTIONS",
    "ALL",
    "CompareResult",
    "LondisteAdmin",
    "LondisteError",
    "RepairResult",
    "TableState",
    "parse_execute_attrs",
]

ALL = "ALL"
# the options add_table takes (the original's add-table switches, plus copy_condition
# and skip_serial)
ADD_TABLE_OPTIONS = (
    "create",
    "create_full",
    "expect_sync",
    "skip_truncate",
    "dest_table",
    "handler",
    "handler_args",
    "trigger_flags",
    "trigger_args",
    "no_triggers",
    "copy_condition",
    "copy_node",
    "max_parallel_copy",
    "wait_sync",
    "skip_serial",
    "from_dump",
    "dump_file",
)
# the add_table options that mean nothing to a table built from a dump
_NOT_WITH_DUMP = (
    "create",
    "create_full",
    "expect_sync",
    "skip_truncate",
    "dest_table",
    "copy_condition",
    "copy_node",
)
EXECUTE_KEYS = exec_attrs.KEYS  # the header keys of an EXECUTE file (``--*-- Key: value``)
# states of a table being copied (the copy handshake, §5.4 of the spec)
COPY_STATES = ("in-copy", "catching-up")

_COLUMNS_SQL = (
    "select a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) as type, a.attnotnull"
    " from pg_catalog.pg_attribute a"
    " where a.attrelid = londiste.find_table_oid(%s) and a.attnum > 0 and not a.attisdropped"
    " order by a.attnum"
)
_CONSTRAINTS_SQL = (
    "select c.conname, c.contype, pg_catalog.pg_get_constraintdef(c.oid) as definition"
    " from pg_catalog.pg_constraint c"
    " where c.conrelid = londiste.find_table_oid(%s) and c.contype = any(%s)"
    " order by c.contype = 'p' desc, c.conname"
)
_INDEXES_SQL = (
    "select pg_catalog.pg_get_indexdef(i.indexrelid) as definition"
    " from pg_catalog.pg_index i"
    " where i.indrelid = londiste.find_table_oid(%s)"
    " and not exists (select 1 from pg_catalog.pg_constraint c where c.conindid = i.indexrelid)"
    " order by i.indexrelid"
)
# the sequences of a table's serial columns (the ones londiste.local_remove_table removes)
_SERIAL_SEQS_SQL = (
    "select n.nspname || '.' || s.relname from pg_catalog.pg_attribute a"
    " join pg_catalog.pg_class s"
    " on s.oid = pg_catalog.pg_get_serial_sequence(a.attrelid::regclass::text, a.attname)"
    "::regclass::oid"
    " join pg_catalog.pg_namespace n on n.oid = s.relnamespace"
    " where a.attrelid = londiste.find_table_oid(%s) and a.attnum > 0 and not a.attisdropped"
    " and a.atthasdef and a.atttypid in ('integer'::regtype, 'bigint'::regtype)"
    " order by a.attnum"
)
_PKEY_SQL = (
    "select a.attname from pg_catalog.pg_index i"
    " join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)"
    " where i.indrelid = londiste.find_table_oid(%s) and i.indisprimary"
    " order by array_position(i.indkey::int2[], a.attnum)"
)


class LondisteError(CascadeError):
    """A Londiste action was refused or failed; the message names the node or table."""


@dataclass(frozen=True, slots=True)
class TableState:
    """One table registered on this node."""

    name: str
    state: str  # ok, copy-needed, in-copy, catching-up, wanna-sync:T, do-sync:T
    lag: float | None  # seconds behind the root, for tables in sync
    handler: str | None
    dest_table: str | None = None
    attrs: str | None = None


@dataclass(frozen=True, slots=True)
class CompareResult:
    """A table's row count and checksum on the provider and here."""

    table: str
    provider_count: int
    local_count: int
    provider_hash: int | None = None
    local_hash: int | None = None

    @property
    def equal(self) -> bool:
        return self.provider_count == self.local_count and self.provider_hash == self.local_hash


@dataclass(frozen=True, slots=True)
class RepairResult:
    """The statements that make a subscriber's table equal to its provider's."""

    table: str
    statements: tuple[str, ...]
    applied: bool


def fqname(name: str) -> str:
    """A table name with its schema (``public`` when none is given)."""
    return name if "." in name else "public." + name


def _split(name: str) -> tuple[str, str]:
    schema, _, rel = fqname(name).partition(".")
    return schema, rel


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(*_split(name))


def _is_pattern(name: str) -> bool:
    return any(c in name for c in "*?[")


def parse_attrs(text: str | None) -> dict[str, str]:
    """A urlencoded attribute string as a dict."""
    return dict(urllib.parse.parse_qsl(text or "", keep_blank_values=True))


def handler_string(name: str, args: Mapping[str, Any] | None = None) -> str:
    """The original's handler string: ``name(urlencoded args)`` or just ``name``."""
    if not args:
        return name
    return f"{name}({urllib.parse.urlencode({k: str(v) for k, v in args.items()})})"


def parse_execute_attrs(text: str) -> dict[str, list[str]]:
    """The ``--*-- Key: value`` header lines of an EXECUTE file (engine.londiste.exec_attrs)."""
    try:
        return exec_attrs.parse_sql(text)
    except exec_attrs.ExecAttrsError as err:
        raise LondisteError(str(err)) from None


class LondisteAdmin(CascadeAdmin):
    """Administer the Londiste tables and sequences of one queue from one node."""

    def __init__(self, *args: Any, lock_timeout: float = 10.0, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.lock_timeout = lock_timeout

    def __enter__(self) -> LondisteAdmin:
        return self

    # -- small helpers -------------------------------------------------------------------------
    @contextmanager
    def _errors(self, node: str) -> Iterator[None]:
        """As the cascade's, raising LondisteError."""
        try:
            with super()._errors(node):
                yield
        except LondisteError:
            raise
        except CascadeError as err:
            raise LondisteError(err.message, hint=err.hint) from None

    def _node(self) -> Any:
        info = self._require_local()
        with self._errors(info.node_name), self._local_conn().cursor() as cur:
            have = installed_modules(cur)
        if "londiste" not in have:
            raise LondisteError(
                f'node "{info.node_name}": londiste is not installed', hint="INSTALL londiste;"
            )
        return info

    def _provider(self, info: Any) -> str:
        if info.node_type == "root" or not info.provider_node:
            raise LondisteError(f'node "{info.node_name}" is the root: it has no provider')
        return str(info.provider_node)

    def _table_rows(self, node: str) -> list[Any]:
        return self._query(node, "select * from londiste.get_table_list(%s)", [self.queue])

    def _seq_rows(self, node: str) -> list[Any]:
        return self._query(node, "select * from londiste.get_seq_list(%s)", [self.queue])

    def _local_tables(self, node: str) -> dict[str, Any]:
        return {r.table_name: r for r in self._table_rows(node) if r.local}

    def _expand(self, names: Iterable[str], candidates: Sequence[str], what: str) -> list[str]:
        """Names, patterns and ALL against the candidates; plain names pass as given."""
        out: list[str] = []
        for name in names:
            if name.upper() == ALL:
                picked = list(candidates)
            elif _is_pattern(name):
                pat = fqname(name)
                picked = [c for c in candidates if fnmatch.fnmatchcase(c, pat)]
                if not picked:
                    raise LondisteError(f"no {what} matches {name!r}")
            else:
                picked = [fqname(name)]
            out.extend(p for p in picked if p not in out)
        if not out:
            raise LondisteError(f"no {what} to act on")
        return out

    def _addable_tables(self, info: Any) -> list[str]:
        here = info.node_name
        if info.node_type == "root":
            rows = self._query(here, "select * from londiste.local_show_missing(%s)", [self.queue])
            return sorted(r.obj_name for r in rows if r.obj_kind == "r")
        prov = self._provider(info)
        mine = self._local_tables(here)
        return [t for t in self._local_tables(prov) if t not in mine]

    def _addable_seqs(self, info: Any) -> list[str]:
        here = info.node_name
        if info.node_type == "root":
            rows = self._query(here, "select * from londiste.local_show_missing(%s)", [self.queue])
            return sorted(r.obj_name for r in rows if r.obj_kind == "S")
        prov = self._provider(info)
        mine = {r.seq_name for r in self._seq_rows(here) if r.local}
        return [s.seq_name for s in self._seq_rows(prov) if s.local and s.seq_name not in mine]

    # -- tables ----------------------------------------------------------------------------------
    def add_table(
        self, tables: Sequence[str], *, skip_non_existing: bool = False, **options: Any
    ) -> list[str]:
        """Register tables here (on the root into the set, with capture triggers).

        On a subscriber each table must be replicated on the provider (unless
        expect_sync); create / create_full create a missing table from the provider's
        definition.  Returns the tables added; with wait_sync, returns when they are
        in sync.  skip_non_existing (londiste3's switch): a table the provider does
        not replicate is skipped instead of refused.
        """
        unknown = set(options) - set(ADD_TABLE_OPTIONS)
        if unknown:
            raise LondisteError(
                f"unknown add-table option {', '.join(sorted(unknown))};"
                f" options: {', '.join(ADD_TABLE_OPTIONS)}"
            )
        info = self._node()
        here = info.node_name
        names = self._expand(tables, self._addable_tables(info), "table")
        if any(t.upper() == ALL for t in tables) and info.node_type == "root":
            keyed = []
            for t in names:
                if self._query(here, _PKEY_SQL, [t]):
                    keyed.append(t)
                else:
                    self._say(f"{here}: skipping {t}: it has no primary key")
            names = keyed
        if options.get("from_dump") or options.get("dump_file"):
            return self._add_from_dump(info, names, options)
        dest = options.get("dest_table")
        if dest and len(names) > 1:
            raise LondisteError("dest_table needs a single table")
        prov_tables: dict[str, Any] = {}
        source = None  # the node the rows come from: the provider or copy_node
        copy_node = options.get("copy_node")
        if info.node_type != "root":
            source = self._provider(info)
            if copy_node and copy_node != "?":  # '?': the copy looks up from the provider
                if copy_node == here:
                    raise LondisteError(f'copy_node "{here}" is this node: copy from another')
                source = str(copy_node)
            prov_tables = self._local_tables(source)
        tgargs = self._trigger_args(options)
        attrs = self._table_attrs(options)
        added = []
        for table in names:
            target = fqname(dest) if dest else table
            if (
                info.node_type != "root"
                and table not in prov_tables
                and not options.get("expect_sync")
                and copy_node != "?"
            ):
                if skip_non_existing:
                    self._say(f"{here}: skipping {table}: not on provider {source}")
                    continue
                raise LondisteError(f'table "{table}" is not replicated on provider "{source}"')
            if options.get("create") or options.get("create_full"):
                self._create_from_provider(info, table, target, bool(options.get("create_full")))
            with self._transaction(here) as conn:
                # on the root: into the set; on a subscriber: a table the provider has
                # may not have reached this node's set yet (its add-table event is on
                # the way; adding it twice is harmless)
                in_set = info.node_type == "root" or table in prov_tables
                self._register(here, table, dest, tgargs, attrs, in_set, conn)
            if not options.get("skip_serial"):
                self._add_serial_seqs(info, target)
            added.append(table)
        if options.get("wait_sync"):
            self.wait_sync(tables=added)
        return added

    def _add_from_dump(self, info: Any, names: list[str], options: Mapping[str, Any]) -> list[str]:
        """add_table from_dump: the tables built from a pg_dump of the provider, no COPY.

        Dump (engine.londiste.dump.take_dump: one snapshot S, and a provider tick T
        that S contains), or the dump_file an earlier from_dump kept (its T and S
        beside it).  Then, in one transaction here: the dump restored without the
        provider's Londiste triggers, each table registered (set, local, trigger)
        in state catching-up with S as its copy snapshot, its copy consumer's
        position T stored here, the serial sequences added.  The copy process the
        worker starts for a catching-up table replays from T, skipping the events
        whose txid S sees (they are in the dump), and hands the table over to main
        replay at main's tick (wanna-sync / do-sync), wherever main is: nothing is
        applied twice or lost, and main's position is not touched.

        On the provider, a consumer ``<worker>.dump`` holds T while the restore runs
        (events are not rotated away under it) and the copy consumers are registered
        at T just before the commit here; T already gone (an old dump_file) is refused.
        Any failure rolls back here and unregisters what was registered there: the
        node is as before; a kept dump_file can be used again.
        """
        from engine.londiste import dump
        from engine.pgcluster import ClusterError, find_tool

        here = info.node_name
        bad = [k for k in _NOT_WITH_DUMP if options.get(k)]
        if bad:
            raise LondisteError(f"from_dump does not go with {', '.join(bad)}")
        if info.node_type == "root":
            raise LondisteError(f'node "{here}" is the root: from_dump builds a subscriber')
        worker = info.worker_name
        if not worker:
            raise LondisteError(f'node "{here}" has no worker: create it as a branch or leaf')
        prov = self._provider(info)
        prov_tables = self._local_tables(prov)
        mine = self._local_tables(here)
        for t in names:
            if t in mine:
                raise LondisteError(f'table "{t}" is added on node "{here}" already')
            if t not in prov_tables:
                raise LondisteError(f'table "{t}" is not replicated on provider "{prov}"')
        existing = self._query(
            here,
            "select t from unnest(%s::text[]) with ordinality u(t, i)"
            " where londiste.find_table_oid(t) is not null order by i limit 1",
            [list(names)],
        )
        if existing:
            raise LondisteError(
                f'table "{existing[0][0]}" exists on node "{here}": from_dump creates it'
                " (drop it first, or add it without from_dump to copy into it)"
            )
        try:
            pg_dump, pg_restore = find_tool("pg_dump"), find_tool("pg_restore")
        except ClusterError as err:
            raise LondisteError(str(err)) from None
        archive = options.get("dump_file")
        location = self._member(prov).location or ""
        tgargs = self._trigger_args(options)
        attrs = self._table_attrs(options)
        hold = f"{worker}.dump"
        copies = [f"{worker}.copy.{t}" for t in names]
        registered: list[str] = []
        with tempfile.TemporaryDirectory(prefix="londiste-dump-") as tmp:
            try:
                if archive and os.path.exists(archive):
                    found = dump.read_info(str(archive))
                    self._check_dump(found, prov, names)
                    self._say(f"{here}: restoring {archive} (tick {found.tick}) from {prov}")
                else:
                    path = str(archive) if archive else os.path.join(tmp, "tables.dump")
                    found = dump.take_dump(
                        self._member_conninfo(location), self.queue, prov, names, path, pg_dump
                    )
                    self._say(
                        f"{prov}: dumped {len(names)} tables at tick {found.tick},"
                        f" snapshot {found.snapshot}"
                    )
                self._hold_tick(prov, hold, found)
                registered.append(hold)
                # a session of its own: the script's SETs and the restore's locks end with it
                with self._errors(here):
                    conn = self.conninfo.connect(
                        autocommit=True, application_name="qadmin londiste from_dump"
                    )
                try:
                    with self._transaction(here, conn):
                        rows = dump.restore_into(conn, found.archive, pg_restore, tmp)
                        self._say(f"{here}: restored {rows} rows")
                        for t, consumer in zip(names, copies, strict=True):
                            self._register(here, t, None, tgargs, attrs, True, conn)
                            self._call(
                                here,
                                "londiste.local_set_table_state",
                                [self.queue, t, found.snapshot, "catching-up"],
                                conn=conn,
                            )
                            self._call(
                                here,
                                "pgq_node.register_consumer",
                                [self.queue, consumer, prov, found.tick],
                                conn=conn,
                            )
                            if not options.get("skip_serial"):
                                self._add_serial_seqs(info, t, conn=conn)
                        for consumer in copies:
                            self._hold_tick(prov, consumer, found)
                            registered.append(consumer)
                finally:
                    conn.close()
                registered = [hold]  # committed here: the copies' positions stay
            except dump.DumpError as err:
                raise LondisteError(str(err)) from None
            finally:
                for consumer in registered:
                    with contextlib.suppress(CascadeError):
                        self._query(
                            prov, "select pgq.unregister_consumer(%s, %s)", [self.queue, consumer]
                        )
        self._say(
            f"{here}: {len(names)} tables catching up from tick {found.tick} (no copy):"
            " the worker replays what the dump does not hold"
        )
        if options.get("wait_sync"):
            self.wait_sync(tables=names)
        return names

    def _check_dump(self, found: Any, prov: str, names: Sequence[str]) -> None:
        """A kept dump fits this node: same queue, taken on the provider, these tables."""
        if found.queue != self.queue:
            raise LondisteError(
                f"{found.archive} is a dump of queue {found.queue}, not of {self.queue}"
            )
        if found.provider != prov:
            raise LondisteError(
                f'{found.archive} was taken on node "{found.provider}", not on the'
                f' provider "{prov}" (txids are per node)'
            )
        if sorted(found.tables) != sorted(names):
            raise LondisteError(
                f"{found.archive} holds {', '.join(found.tables)}: add exactly those from it"
            )

    def _hold_tick(self, prov: str, consumer: str, found: Any) -> None:
        """Register consumer on the provider at the dump's tick; refused if it is gone."""
        try:
            self._query(
                prov,
                "select pgq.register_consumer_at(%s, %s, %s)",
                [self.queue, consumer, found.tick],
            )
        except CascadeError as err:
            if "tick not found" not in str(err):
                raise
            raise LondisteError(
                f'provider "{prov}" no longer has the events after the dump\'s tick'
                f" {found.tick} (rotated away): this dump cannot join; take a new one",
                hint="add the tables with from_dump without dump_file, or with a new file",
            ) from None

    def _register(
        self,
        here: str,
        table: str,
        dest: str | None,
        tgargs: list[str],
        attrs: str | None,
        in_set: bool,
        conn: psycopg2.extensions.connection,
    ) -> None:
        """The table into the set (in_set) and local here, in conn's transaction."""
        if in_set:
            self._call(here, "londiste.global_add_table", [self.queue, table], conn=conn)
        row = self._call(
            here,
            "londiste.local_add_table",
            [
                self.queue,
                table,
                self._handler_tgargs(table, attrs, tgargs),
                attrs,
                fqname(dest) if dest else None,
            ],
            conn=conn,
        )[0]
        self._say(f"{here}: {row.ret_note}")

    def _add_serial_seqs(
        self, info: Any, table: str, conn: psycopg2.extensions.connection | None = None
    ) -> None:
        """The automatic serial handling: the sequences of the table's serial columns are
        replicated with it (remove-table removes them, as the original's SQL does).

        On the root they are added to the set; on a subscriber those its provider
        replicates are added here (so that after a switchover they are ahead of the
        rows).  skip_serial turns it off for a table.
        """
        here = info.node_name
        seqs = [r[0] for r in self._query(here, _SERIAL_SEQS_SQL, [table], conn=conn)]
        if not seqs:
            return
        prov_seqs: dict[str, Any] = {}
        if info.node_type != "root":
            prov_seqs = {r.seq_name: r for r in self._seq_rows(self._provider(info)) if r.local}
        for seq in seqs:
            if info.node_type != "root":
                if seq not in prov_seqs:
                    continue
                # its update-seq event may not be here yet
                self._call(
                    here,
                    "londiste.global_update_seq",
                    [self.queue, seq, prov_seqs[seq].last_value or 0],
                    conn=conn,
                )
            row = self._call(here, "londiste.local_add_seq", [self.queue, seq], conn=conn)[0]
            self._say(f"{here}: {row.ret_note} (serial column of {table})")

    @staticmethod
    def _handler_tgargs(table: str, attrs: str | None, tgargs: list[str]) -> list[str]:
        """The trigger args with the handler's own (shard's hash, multimaster's no_merge)."""
        from engine.londiste.handlers import HandlerError
        from engine.londiste.handlers_extra import trigger_args as handler_trigger_args

        try:
            return handler_trigger_args(table, parse_attrs(attrs).get("handler"), tgargs)
        except HandlerError as e:
            raise LondisteError(str(e)) from None

    @staticmethod
    def _trigger_args(options: Mapping[str, Any]) -> list[str]:
        args = [str(a) for a in options.get("trigger_args") or ()]
        if options.get("trigger_flags"):
            args.append("tgflags=" + str(options["trigger_flags"]))
        for flag in ("no_triggers", "expect_sync"):
            if options.get(flag):
                args.append(flag)
        return args

    @staticmethod
    def _table_attrs(options: Mapping[str, Any]) -> str | None:
        attrs: dict[str, str] = {}
        if options.get("handler"):
            attrs["handler"] = handler_string(options["handler"], options.get("handler_args"))
        elif options.get("handler_args"):
            raise LondisteError("handler_args needs a handler")
        if options.get("copy_node"):
            attrs["copy_node"] = str(options["copy_node"])
        if options.get("skip_truncate"):
            attrs["skip_truncate"] = "1"
        if options.get("max_parallel_copy"):
            try:
                attrs["max_parallel_copy"] = str(int(options["max_parallel_copy"]))
            except (TypeError, ValueError):
                raise LondisteError("max_parallel_copy must be a number") from None
        if options.get("copy_condition"):
            attrs["copy_condition"] = str(options["copy_condition"])
        if options.get("skip_serial"):
            attrs["skip_serial"] = "1"
        return urllib.parse.urlencode(attrs) if attrs else None

    def _create_from_provider(self, info: Any, table: str, target: str, full: bool) -> None:
        """Create a missing table here from the provider's definition.

        create: the columns (types, NOT NULL) and the primary key; create_full also
        the other unique and check constraints and the indexes.  Column defaults and
        foreign keys are not copied (their sequences and tables may not exist here).
        """
        here = info.node_name
        exists = self._query(here, "select londiste.find_table_oid(%s)", [target])[0][0]
        if exists is not None:
            return
        prov = self._provider(info)
        cols = self._query(prov, _COLUMNS_SQL, [table])
        if not cols:
            raise LondisteError(f'table "{table}" does not exist on provider "{prov}"')
        kinds = ["p", "u", "c"] if full else ["p"]
        cons = self._query(prov, _CONSTRAINTS_SQL, [table, kinds])
        idx = self._query(prov, _INDEXES_SQL, [table]) if full else []
        parts: list[sql.Composable] = [
            sql.SQL("{} {}{}").format(
                sql.Identifier(c.attname),
                sql.SQL(c.type),
                sql.SQL(" not null" if c.attnotnull else ""),
            )
            for c in cols
        ]
        parts += [
            sql.SQL("constraint {} {}").format(sql.Identifier(c.conname), sql.SQL(c.definition))
            for c in cons
        ]
        schema, _ = _split(target)
        with self._transaction(here) as conn, conn.cursor() as cur:
            cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            cur.execute(
                sql.SQL("create table {} ({})").format(_ident(target), sql.SQL(", ").join(parts))
            )
            src = sql.SQL(" on {} ").format(_ident(table)).as_string(cur)
            dst = sql.SQL(" on {} ").format(_ident(target)).as_string(cur)
            for row in idx:
                ddl = row[0]
                src_plain = " ON " + ".".join(_split(table)) + " "
                ddl = ddl.replace(src_plain, dst).replace(src.upper(), dst)
                cur.execute(ddl)
        self._say(f"{here}: created table {target} from provider {prov}")

    def remove_table(self, tables: Sequence[str]) -> list[str]:
        """Stop replicating tables here (on the root: remove them from the set)."""
        info = self._node()
        here = info.node_name
        names = self._expand(tables, list(self._local_tables(here)), "added table")
        for table in names:
            row = self._call(here, "londiste.local_remove_table", [self.queue, table])[0]
            self._say(f"{here}: {row.ret_note}")
        return names

    def tables(self) -> list[TableState]:
        """The tables replicated here: name, state, lag, handler."""
        info = self._node()
        here = info.node_name
        lag = None
        if info.node_type != "root":
            try:
                lag = self.node_status(here).lag
            except CascadeError as err:
                self._say(f"warning: {err}")
        else:
            lag = 0.0
        out = []
        for r in self._table_rows(here):
            if not r.local:
                continue
            state = r.merge_state or "copy-needed"
            if state == "?":
                state = "ok"
            out.append(
                TableState(
                    r.table_name,
                    state,
                    lag if state == "ok" else None,
                    parse_attrs(r.table_attrs).get("handler"),
                    r.dest_table,
                    r.table_attrs,
                )
            )
        return out

    def resync(self, tables: Sequence[str], copy_node: str | None = None) -> list[str]:
        """Copy tables again: their state goes back to 'needs copy'.

        copy_node (the original's --copy-node / --find-copy-node): copy from that
        node this time and after (stored in the table's attributes; ``?``: the copy
        looks for one up from the provider).
        """
        info = self._node()
        here = info.node_name
        prov = self._provider(info)
        if copy_node and copy_node != "?":
            if copy_node == here:
                raise LondisteError(f'copy_node "{here}" is this node: copy from another')
            prov = copy_node
        mine = self._local_tables(here)
        names = self._expand(tables, list(mine), "added table")
        prov_tables = self._local_tables(prov) if copy_node != "?" else {}
        for table in names:
            if table not in mine:
                raise LondisteError(f'table "{table}" is not added on node "{here}"')
            if table not in prov_tables and copy_node != "?":
                raise LondisteError(f'table "{table}" is not replicated on provider "{prov}"')
        for table in names:
            if copy_node:
                attrs = parse_attrs(mine[table].table_attrs)
                attrs["copy_node"] = copy_node
                self._call(
                    here,
                    "londiste.local_set_table_attrs",
                    [self.queue, table, urllib.parse.urlencode(attrs)],
                )
            self._call(here, "londiste.local_set_table_state", [self.queue, table, None, None])
            self._say(f"{here}: {table} will be copied again")
        return names

    def change_handler(
        self, table: str, handler: str, args: Mapping[str, Any] | None = None
    ) -> None:
        """Give a table another handler (with its arguments); the trigger is recreated."""
        info = self._node()
        here = info.node_name
        table = fqname(table)
        row = self._local_tables(here).get(table)
        if row is None:
            raise LondisteError(f'table "{table}" is not added on node "{here}"')
        attrs = parse_attrs(row.table_attrs)
        attrs["handler"] = handler_string(handler, args)
        self._call(
            here,
            "londiste.local_change_handler",
            [
                self.queue,
                table,
                self._handler_tgargs(table, urllib.parse.urlencode(attrs), []),
                urllib.parse.urlencode(attrs),
            ],
        )
        self._say(f"{here}: {table} uses handler {attrs['handler']}")

    def wait_sync(self, timeout: float | None = None, tables: Sequence[str] | None = None) -> None:
        """Wait until every table replicated here (or the ones given) is in sync."""
        info = self._node()
        here = info.node_name
        limit = self.wait_timeout if timeout is None else timeout
        deadline = None if limit is None else time.monotonic() + limit
        last: list[str] | None = None
        while True:
            rows = self._local_tables(here)
            pending = sorted(
                t
                for t, r in rows.items()
                if (tables is None or t in tables) and (r.merge_state or "") not in ("ok", "?")
            )
            if not pending:
                self._say(f"{here}: all tables in sync")
                return
            if pending != last:
                self._say(f"{here}: waiting for {len(pending)} tables: {', '.join(pending)}")
                last = pending
            if deadline is not None and time.monotonic() > deadline:
                raise LondisteError(
                    f'node "{here}": not in sync within {limit:g} s: {", ".join(pending)}'
                )
            time.sleep(max(self.poll_interval, 0.2))

    # -- sequences ---------------------------------------------------------------------------------
    def add_seq(self, seqs: Sequence[str]) -> list[str]:
        """Register sequences here (on the root into the set)."""
        info = self._node()
        here = info.node_name
        names = self._expand(seqs, self._addable_seqs(info), "sequence")
        for seq in names:
            row = self._call(here, "londiste.local_add_seq", [self.queue, seq])[0]
            self._say(f"{here}: {row.ret_note}")
        return names

    def remove_seq(self, seqs: Sequence[str]) -> list[str]:
        """Stop replicating sequences here."""
        info = self._node()
        here = info.node_name
        mine = [r.seq_name for r in self._seq_rows(here) if r.local]
        names = self._expand(seqs, mine, "added sequence")
        for seq in names:
            row = self._call(here, "londiste.local_remove_seq", [self.queue, seq])[0]
            self._say(f"{here}: {row.ret_note}")
        return names

    def seqs(self) -> Table:
        """The sequences of the set: seq_name, local, last_value."""
        info = self._node()
        rows = self._seq_rows(info.node_name)
        return Table(
            ("seq_name", "local", "last_value"),
            tuple((r.seq_name, r.local, r.last_value) for r in rows),
        )

    def missing(self) -> Table:
        """Tables and sequences that could be added here (on the provider, not added here)."""
        info = self._node()
        rows = [("table", t) for t in self._addable_tables(info)]
        rows += [("sequence", s) for s in self._addable_seqs(info)]
        return Table(("obj_kind", "obj_name"), tuple(rows))

    # -- foreign keys --------------------------------------------------------------------------
    def fkeys(self, restore: bool = False) -> Table:
        """Foreign keys dropped for a copy; with restore, recreate those whose tables are ok."""
        info = self._node()
        here = info.node_name
        if restore:
            valid = self._query(
                here, "select * from londiste.get_valid_pending_fkeys(%s)", [self.queue]
            )
            done = []
            for fk in valid:
                self._query(
                    here,
                    "select londiste.restore_table_fkey(%s, %s)",
                    [fk.from_table, fk.fkey_name],
                )
                self._say(f"{here}: restored {fk.fkey_name} on {fk.from_table}")
                done.append((fk.from_table, fk.to_table, fk.fkey_name, fk.fkey_def))
            return Table(("from_table", "to_table", "fkey_name", "fkey_def"), tuple(done))
        seen: dict[tuple[str, str], tuple[Any, ...]] = {}
        for table in self._local_tables(here):
            for fk in self._query(
                here, "select * from londiste.get_table_pending_fkeys(%s)", [table]
            ):
                seen[(fk.from_table, fk.fkey_name)] = (
                    fk.from_table,
                    fk.to_table,
                    fk.fkey_name,
                    fk.fkey_def,
                )
        return Table(
            ("from_table", "to_table", "fkey_name", "fkey_def"),
            tuple(seen[k] for k in sorted(seen)),
        )

    # -- status --------------------------------------------------------------------------------
    def londiste_status(self) -> dict[str, Any]:
        """The seed's status list for this node.

        Keys: node, node_type, modules, replay (running / paused / stopped / not
        started), lag, copy (tables being copied), tables_ok, tables_pending, last_error.
        """
        info = self._require_local()
        here = info.node_name
        with self._errors(here), self._local_conn().cursor() as cur:
            modules = sorted(installed_modules(cur))
        out: dict[str, Any] = {
            "node": here,
            "node_type": info.node_type,
            "modules": modules,
            "replay": "not started",
            "lag": None,
            "copy": [],
            "tables_ok": [],
            "tables_pending": [],
            "last_error": None,
        }
        try:
            node = self.node_status(here)
            out["lag"] = node.lag
            out["last_error"] = node.last_error
        except CascadeError as err:
            out["last_error"] = str(err)
            node = None
        if info.node_type == "root":
            out["replay"] = "root (no replay)"
        elif info.worker_name:
            out["replay"] = self._replay_state(info)
        if "londiste" in modules:
            for t in self.tables():
                if t.state == "ok":
                    out["tables_ok"].append(t.name)
                else:
                    out["tables_pending"].append(t.name)
                if t.state in COPY_STATES or t.state.startswith(("wanna-sync", "do-sync")):
                    out["copy"].append(t.name)
        return out

    def _replay_state(self, info: Any) -> str:
        prov = info.provider_node
        try:
            rows = self._query(
                prov,
                "select extract(epoch from last_seen)::float8 as seen"
                " from pgq.get_consumer_info(%s, %s)",
                [self.queue, info.worker_name],
            )
        except CascadeError as err:
            return f"unknown ({err})"
        if info.worker_paused:
            return "paused"
        if not rows or rows[0].seen is None:
            return "not started"
        seen = rows[0].seen
        return "running" if seen < 60 else f"stopped (last seen {seen:.0f} s ago)"

    # -- execute --------------------------------------------------------------------------------
    def execute_files(
        self, files: Sequence[str], wait: bool = False, timeout: float | None = None
    ) -> list[str]:
        """Run SQL files on the root and send them through the queue to every node.

        Each file runs in one transaction with replication role ``local``; its base
        name is its unique id (a file already applied is skipped).  With wait,
        returns when every live node has applied it.
        """
        info = self._node()
        here = info.node_name
        if info.node_type != "root":
            raise LondisteError(f'node "{here}" is no root: execute runs on the root')
        done = []
        for path in files:
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except OSError as err:
                raise LondisteError(f"cannot read {path}: {err.strerror}") from None
            name = os.path.basename(path)
            attrs = parse_execute_attrs(text)
            self._refuse_if_copying(attrs)
            with self._transaction(here) as conn:
                self._query(
                    here,
                    "select londiste.set_session_replication_role('local', true)",
                    conn=conn,
                )
                row = self._call(
                    here,
                    "londiste.execute_start",
                    [self.queue, name, text, True, exec_attrs.to_urlenc(attrs)],
                    conn=conn,
                )[0]
                if row.ret_code == 201:
                    self._say(f"{here}: {name} was applied already")
                    continue
                with conn.cursor() as cur:
                    self._run_here(cur, name, text, attrs)
                self._call(here, "londiste.execute_finish", [self.queue, name], conn=conn)
            self._say(f"{here}: executed {name}")
            done.append(name)
        if wait and done:
            self._wait_everywhere(timeout)
        return done

    execute = execute_files  # londiste3's name

    def _run_here(self, cur: Any, name: str, text: str, attrs: Mapping[str, list[str]]) -> None:
        """The script on the root, if its headers say so (the subscribers decide alike)."""
        cur.execute(
            "select table_name, dest_table from londiste.get_table_list(%s) where local",
            [self.queue],
        )
        tables = {r[0]: r[1] or r[0] for r in cur.fetchall()}
        cur.execute("select seq_name from londiste.get_seq_list(%s) where local", [self.queue])
        seqs = {r[0]: r[0] for r in cur.fetchall()}
        try:
            if not exec_attrs.need_execute(cur, attrs, tables, seqs):
                self._say(f"{name}: not needed on this node (sent on to the others)")
                return
            text = exec_attrs.process_sql(cur, text, attrs, tables, seqs)
        except exec_attrs.ExecAttrsError as err:
            raise LondisteError(f"{name}: {err}") from None
        cur.execute(text)

    def _refuse_if_copying(self, attrs: Mapping[str, list[str]]) -> None:
        """The rule for DDL on tables still being copied: refused before anything runs.

        The tables a file may change are those its headers name (Local-Table,
        Local-Destination, Need-Table), or every table when it names none (a file
        without headers runs everywhere on anything).  If some live member is still
        copying one of them (any state but ok), the file is not executed: a copy that
        read the provider's rows before the DDL would lose what the DDL changes.  Run
        it after WAIT SYNC there.
        """
        keys = ("Local-Table", "Local-Destination", "Need-Table")
        named = {fqname(t) for key in keys for t in attrs.get(key, [])}
        for node in sorted(self._members):
            if not self._alive(node):
                continue
            try:
                rows = self._local_tables(node)
            except CascadeError as err:
                self._say(f"warning: {err}")
                continue
            for table in sorted(named & set(rows) if named else rows):
                state = rows[table].merge_state
                if state not in ("ok", "?"):
                    raise LondisteError(
                        f'node "{node}" is still copying table "{table}"'
                        f" (state {state or 'copy-needed'}): not executed",
                        hint="wait until it is in sync (LONDISTE WAIT SYNC there), then again;"
                        " headers (--*-- Local-Table: ...) limit the check to their tables",
                    )

    def _tick_root(self, root: str) -> int:
        """A new tick on the root (events committed so far are before it)."""
        self._query(root, "select pgq.force_tick(%s)", [self.queue])
        tick = self._query(root, "select pgq.ticker(%s)", [self.queue])[0][0]
        if tick is None:
            tick = self._top_tick(root)
        return int(tick or 0)

    def _wait_everywhere(self, timeout: float | None) -> None:
        info = self._require_local()
        tick = self._tick_root(info.node_name)
        for name in sorted(self._members):
            if name == info.node_name or not self._alive(name):
                continue
            self._wait_position(name, tick, timeout, "execute")
        self._say(f"every node has tick {tick}")

    # -- compare and repair --------------------------------------------------------------------
    def _sync_tables(self, tables: Sequence[str] | None) -> tuple[Any, str, list[Any]]:
        info = self._node()
        here = info.node_name
        prov = self._provider(info)
        mine = self._local_tables(here)
        names = self._expand(tables or [ALL], list(mine), "added table")
        rows = []
        for t in names:
            r = mine.get(t)
            if r is None:
                raise LondisteError(f'table "{t}" is not added on node "{here}"')
            if (r.merge_state or "") not in ("ok", "?"):
                raise LondisteError(f'table "{t}" is not in sync on node "{here}"')
            rows.append(r)
        return info, prov, rows

    @contextmanager
    def _sync_point(self, info: Any, prov: str, table: str) -> Iterator[Any]:
        """A provider connection where the table stays as it is at a tick that the
        local node has applied, for as long as the block runs.

        Root provider: its table locked in SHARE mode (writers wait; the lock is got
        within lock_timeout), a tick made, the local node waited for.  Branch
        provider: its worker paused (the table changes only through it), the local
        node waited for until it has the provider's last tick; resumed afterwards.
        """
        here = info.node_name
        prov_info = self._node_info(prov)
        if prov_info.node_type != "root":
            self.pause(prov)
            try:
                self._wait_position(here, self._position(prov), None, f"compare {table}")
                yield self._conn(prov)
            finally:
                self.resume(prov)
            return
        conn = self._member_conninfo(self._member(prov).location or "").connect(
            autocommit=True, application_name="qadmin londiste compare"
        )
        try:
            with conn.cursor() as cur:
                cur.execute("begin")
                cur.execute("set local statement_timeout = %s", [int(self.lock_timeout * 1000)])
                cur.execute(sql.SQL("lock table only {} in share mode").format(_ident(table)))
                cur.execute("set local statement_timeout = 0")
            tick = self._tick_root(prov)
            self._wait_position(here, tick, None, f"compare {table}")
            yield conn
        except psycopg2.Error as err:
            raise LondisteError(f'node "{prov}": {str(err).strip()}') from None
        finally:
            conn.close()

    def _columns(self, node: str, table: str) -> list[str]:
        return [r.attname for r in self._query(node, _COLUMNS_SQL, [table])]

    def compare(
        self, tables: Sequence[str] | None = None, count_only: bool = False
    ) -> list[CompareResult]:
        """Row count and a hash of each table, on the provider and here, at a sync point."""
        info, prov, rows = self._sync_tables(tables)
        here = info.node_name
        out = []
        for r in rows:
            dest = r.dest_table or r.table_name
            cols = [c for c in self._columns(prov, r.table_name) if c in self._columns(here, dest)]
            cond = parse_attrs(r.table_attrs).get("copy_condition")
            with self._sync_point(info, prov, r.table_name) as conn:
                p = self._count(conn, r.table_name, cols, cond, count_only)
                loc = self._count(self._local_conn(), dest, cols, None, count_only)
            res = CompareResult(r.table_name, p[0], loc[0], p[1], loc[1])
            self._say(
                f"{r.table_name}: provider {p[0]} rows, {here} {loc[0]} rows"
                + ("" if res.equal else " -- DIFFERENT")
            )
            out.append(res)
        return out

    @staticmethod
    def _count(
        conn: psycopg2.extensions.connection,
        table: str,
        cols: list[str],
        cond: str | None,
        count_only: bool,
    ) -> tuple[int, int | None]:
        if count_only or not cols:
            q = sql.SQL("select count(1), null::int8 from only {} t").format(_ident(table))
        else:
            q = sql.SQL(
                "select count(1), coalesce(sum(hashtext(row({})::text)::int8), 0) from only {} t"
            ).format(sql.SQL(", ").join(sql.Identifier("t", c) for c in cols), _ident(table))
        if cond:
            q = q + sql.SQL(" where ") + sql.SQL(cond)
        with conn.cursor() as cur:
            cur.execute(q)
            row = cur.fetchone()
            assert row is not None
            return int(row[0]), (None if row[1] is None else int(row[1]))

    def repair(
        self, tables: Sequence[str] | None = None, apply: bool = False
    ) -> list[RepairResult]:
        """The statements that make each table here equal to the provider's, at a sync
        point; with apply, run them here (replication role replica)."""
        info, prov, rows = self._sync_tables(tables)
        here = info.node_name
        out = []
        for r in rows:
            dest = r.dest_table or r.table_name
            cols = [c for c in self._columns(prov, r.table_name) if c in self._columns(here, dest)]
            pkey = [c[0] for c in self._query(prov, _PKEY_SQL, [r.table_name])]
            if not pkey:
                raise LondisteError(f'table "{r.table_name}" has no primary key')
            cond = parse_attrs(r.table_attrs).get("copy_condition")
            local_conn = self._local_conn()
            applied = False
            # the fix-up runs inside the sync point: no later change of the table can
            # be replayed here before it
            with self._sync_point(info, prov, r.table_name) as conn:
                src = self._rows(conn, r.table_name, cols, pkey, cond)
                dst = self._rows(local_conn, dest, cols, pkey, None)
                stmts = self._fix_statements(local_conn, dest, cols, pkey, src, dst)
                if apply and stmts:
                    with self._transaction(here) as c2, c2.cursor() as cur:
                        cur.execute("select londiste.set_session_replication_role('replica', true)")
                        for s in stmts:
                            cur.execute(s)
                    applied = True
            self._say(f"{r.table_name}: {len(stmts)} statements" + (" applied" if applied else ""))
            out.append(RepairResult(r.table_name, tuple(stmts), applied))
        return out

    @staticmethod
    def _rows(
        conn: psycopg2.extensions.connection,
        table: str,
        cols: list[str],
        pkey: list[str],
        cond: str | None,
    ) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        q = sql.SQL("select {} from only {}").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in cols), _ident(table)
        )
        if cond:
            q = q + sql.SQL(" where ") + sql.SQL(cond)
        idx = [cols.index(k) for k in pkey]
        with conn.cursor() as cur:
            cur.execute(q)
            return {tuple(row[i] for i in idx): tuple(row) for row in cur.fetchall()}

    @staticmethod
    def _fix_statements(
        conn: psycopg2.extensions.connection,
        table: str,
        cols: list[str],
        pkey: list[str],
        src: dict[tuple[Any, ...], tuple[Any, ...]],
        dst: dict[tuple[Any, ...], tuple[Any, ...]],
    ) -> list[str]:
        out = []
        t = _ident(table)
        with conn.cursor() as cur:

            def where(key: tuple[Any, ...]) -> sql.Composable:
                return sql.SQL(" and ").join(
                    sql.SQL("{} = {}").format(sql.Identifier(k), sql.Literal(v))
                    for k, v in zip(pkey, key, strict=True)
                )

            for key in sorted(set(src) | set(dst), key=repr):
                a, b = src.get(key), dst.get(key)
                if a == b:
                    continue
                if b is None:
                    assert a is not None
                    s: sql.Composable = sql.SQL("insert into {} ({}) values ({})").format(
                        t,
                        sql.SQL(", ").join(sql.Identifier(c) for c in cols),
                        sql.SQL(", ").join(sql.Literal(v) for v in a),
                    )
                elif a is None:
                    s = sql.SQL("delete from only {} where {}").format(t, where(key))
                else:
                    sets = [
                        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Literal(v))
                        for c, v, w in zip(cols, a, b, strict=True)
                        if v != w
                    ]
                    s = sql.SQL("update only {} set {} where {}").format(
                        t, sql.SQL(", ").join(sets), where(key)
                    )
                out.append(s.as_string(cur) + ";")
        return out

    # -- cascade creation with the set ---------------------------------------------------------
    def copy_set_from_provider(self) -> None:
        """A new subscriber learns the provider's set (tables and sequences): extra_init."""
        info = self._node()
        here = info.node_name
        prov = self._provider(info)
        with self._transaction(here) as conn:
            for r in self._table_rows(prov):
                self._call(here, "londiste.global_add_table", [self.queue, r.table_name], conn=conn)
            for s in self._seq_rows(prov):
                self._call(
                    here,
                    "londiste.global_update_seq",
                    [self.queue, s.seq_name, s.last_value],
                    conn=conn,
                )

    def create_branch(self, *args: Any, **kw: Any) -> None:
        super().create_branch(*args, **kw)
        self._after_create()

    def create_leaf(self, *args: Any, **kw: Any) -> None:
        super().create_leaf(*args, **kw)
        self._after_create()

    def _after_create(self) -> None:
        with self._local_conn().cursor() as cur:
            if "londiste" in installed_modules(cur):
                self.copy_set_from_provider()
