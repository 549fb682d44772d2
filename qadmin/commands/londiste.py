"""Handlers for Londiste commands: thin calls into engine.londiste.admin.

Every command works on the console's default queue (START LONDISTE: ON <queue>,
else the default) through a LondisteAdmin on the console's connection settings;
it reaches the provider and the other members itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from engine import supervisor as sv
from engine.londiste.admin import ADD_TABLE_OPTIONS, LondisteAdmin
from qadmin import ast
from qadmin.commands.node import _PASSWORD_NOTE, DAEMON_COLUMNS, _worker_options
from qadmin.commands.registry import CommandError, Context, Result, command

__all__: list[str] = []

TABLES_COLUMNS = ("table", "state", "lag", "handler")
# options given as key=value; the others are flags
_VALUED = {
    "dest_table",
    "handler",
    "handler_args",
    "trigger_flags",
    "trigger_args",
    "copy_condition",
    "copy_node",
    "max_parallel_copy",
    "dump_file",
}


@contextlib.contextmanager
def _admin(ctx: Context, queue: str | None = None) -> Iterator[LondisteAdmin]:
    name = ctx.queue_or_default(queue)
    ctx.require_conn()
    with LondisteAdmin(ctx.conn_params, name, progress=ctx.say) as adm:
        yield adm


def _add_options(settings: Sequence[ast.Setting]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in settings:
        key = s.key.lower()
        if key not in ADD_TABLE_OPTIONS:
            raise CommandError(
                f"unknown add table option {s.key}", hint="options: " + ", ".join(ADD_TABLE_OPTIONS)
            )
        if key in out:
            raise CommandError(f"{key} given twice")
        if key in _VALUED:
            if s.value is None:
                raise CommandError(f"{key} needs a value: {key}=...")
            value: Any = s.value
            if key == "handler_args":
                value = dict(p.partition("=")[::2] for p in s.value.split("&") if p)
            elif key == "trigger_args":
                value = [a.strip() for a in s.value.split(",") if a.strip()]
            out[key] = value
        else:
            if s.value is not None and s.value.lower() not in ("true", "1", "on", "yes"):
                if s.value.lower() in ("false", "0", "off", "no"):
                    continue
                raise CommandError(f"{key} is a flag: give it without a value")
            out[key] = True
    return out


def _names(items: Sequence[str]) -> list[str]:
    return list(items)


@command(ast.StartLondiste, changes_catalog=True)
def start_londiste(ctx: Context, cmd: ast.StartLondiste) -> Result:
    options = _worker_options(cmd.options)
    queue = ctx.queue_or_default(cmd.queue)
    with _admin(ctx, queue) as adm:
        worker = adm.worker_name()
    if worker is None:
        raise CommandError(
            f'this database is not a node of queue "{queue}"',
            hint="make it one first: CREATE ROOT | BRANCH | LEAF NODE ...;",
        )
    conn = ctx.require_conn()
    db = ctx.conn_params.for_daemon(conn.get_dsn_parameters()).to_dsn()
    notes = []
    if ctx.conn_params.get("password") and conn.info.used_password:
        notes.append(_PASSWORD_NOTE)
    try:
        info = sv.start_londiste(cmd.daemon or worker, queue, worker, options, db=db)
    except sv.SupervisorError as e:
        hint = "name the daemon with AS <name>" if str(e).startswith("bad daemon name") else None
        raise CommandError(str(e), hint=hint) from None
    except OSError as e:
        raise CommandError(
            f"daemon state directory {sv.default_state_dir()}: {e.strerror or e}",
            hint=f"point ${sv.STATE_DIR_ENV} at a writable directory",
        ) from None
    return Result(
        columns=DAEMON_COLUMNS,
        rows=((info.name, info.kind, info.state, info.pid, info.detail),),
        types={"pid": "number"},
        volatile=frozenset({"pid"}),
        status="START LONDISTE",
        notes=(*(f"NOTE:  {n}" for n in info.notes), *notes),
    )


@command(ast.LondisteAddTable, changes_catalog=True)
def londiste_add_table(ctx: Context, cmd: ast.LondisteAddTable) -> Result:
    options = _add_options(cmd.options)
    with _admin(ctx) as adm:
        added = adm.add_table(_names(cmd.tables), **options)
    return Result(columns=("table",), rows=tuple((t,) for t in added), status="ADD TABLE")


@command(ast.LondisteRemoveTable, changes_catalog=True)
def londiste_remove_table(ctx: Context, cmd: ast.LondisteRemoveTable) -> Result:
    with _admin(ctx) as adm:
        done = adm.remove_table(_names(cmd.tables))
    return Result(columns=("table",), rows=tuple((t,) for t in done), status="REMOVE TABLE")


@command(ast.LondisteAddSequence, changes_catalog=True)
def londiste_add_sequence(ctx: Context, cmd: ast.LondisteAddSequence) -> Result:
    with _admin(ctx) as adm:
        done = adm.add_seq(_names(cmd.sequences))
    return Result(columns=("sequence",), rows=tuple((s,) for s in done), status="ADD SEQUENCE")


@command(ast.LondisteRemoveSequence, changes_catalog=True)
def londiste_remove_sequence(ctx: Context, cmd: ast.LondisteRemoveSequence) -> Result:
    with _admin(ctx) as adm:
        done = adm.remove_seq(_names(cmd.sequences))
    return Result(columns=("sequence",), rows=tuple((s,) for s in done), status="REMOVE SEQUENCE")


@command(ast.LondisteShowTables)
def londiste_show_tables(ctx: Context, cmd: ast.LondisteShowTables) -> Result:
    with _admin(ctx) as adm:
        tables = adm.tables()
    return Result(
        title=f'Tables of queue "{adm.queue}"',
        columns=TABLES_COLUMNS,
        rows=tuple((t.name, t.state, t.lag, t.handler) for t in tables),
        types={"lag": "duration"},
        volatile=frozenset({"lag"}),
    )


@command(ast.LondisteShowSequences)
def londiste_show_sequences(ctx: Context, cmd: ast.LondisteShowSequences) -> Result:
    with _admin(ctx) as adm:
        table = adm.seqs()
    return Result(
        title=f'Sequences of queue "{adm.queue}"',
        columns=table.columns,
        rows=table.rows,
        volatile=frozenset({"last_value"}),
    )


@command(ast.LondisteShowMissing)
def londiste_show_missing(ctx: Context, cmd: ast.LondisteShowMissing) -> Result:
    with _admin(ctx) as adm:
        table = adm.missing()
    return Result(title="Not added here", columns=table.columns, rows=table.rows)


@command(ast.LondisteResync)
def londiste_resync(ctx: Context, cmd: ast.LondisteResync) -> Result:
    with _admin(ctx) as adm:
        done = adm.resync(_names(cmd.tables))
    return Result(columns=("table",), rows=tuple((t,) for t in done), status="RESYNC")


@command(ast.LondisteCompare)
def londiste_compare(ctx: Context, cmd: ast.LondisteCompare) -> Result:
    with _admin(ctx) as adm:
        results = adm.compare(_names(cmd.tables or ()) or None, count_only=cmd.count_only)
    rows = tuple(
        (
            r.table,
            r.provider_count,
            r.local_count,
            r.provider_hash,
            r.local_hash,
            "equal" if r.equal else "DIFFERENT",
        )
        for r in results
    )
    return Result(
        columns=("table", "provider_rows", "local_rows", "provider_hash", "local_hash", "result"),
        rows=rows,
        types={"provider_rows": "number", "local_rows": "number"},
        status="COMPARE",
    )


@command(ast.LondisteRepair)
def londiste_repair(ctx: Context, cmd: ast.LondisteRepair) -> Result:
    with _admin(ctx) as adm:
        results = adm.repair(_names(cmd.tables or ()) or None, apply=cmd.apply)
    rows = tuple((r.table, s) for r in results for s in r.statements)
    return Result(
        columns=("table", "statement"),
        rows=rows,
        status="REPAIR APPLIED" if cmd.apply else "REPAIR",
    )


@command(ast.LondisteExecute, changes_catalog=True)
def londiste_execute(ctx: Context, cmd: ast.LondisteExecute) -> Result:
    with _admin(ctx) as adm:
        done = adm.execute_files([cmd.file], wait=cmd.wait, timeout=cmd.timeout)
    status = "EXECUTE" if done else "EXECUTE (applied already)"
    return Result(status=status)


@command(ast.LondisteFkeys)
def londiste_fkeys(ctx: Context, cmd: ast.LondisteFkeys) -> Result:
    with _admin(ctx) as adm:
        table = adm.fkeys(restore=cmd.restore)
    return Result(
        title="Restored foreign keys" if cmd.restore else "Pending foreign keys",
        columns=table.columns,
        rows=table.rows,
    )


@command(ast.LondisteChangeHandler)
def londiste_change_handler(ctx: Context, cmd: ast.LondisteChangeHandler) -> Result:
    args = {s.key: s.value or "" for s in cmd.args}
    with _admin(ctx) as adm:
        adm.change_handler(cmd.table, cmd.handler, args or None)
    return Result(status="CHANGE HANDLER")


@command(ast.LondisteWaitSync)
def londiste_wait_sync(ctx: Context, cmd: ast.LondisteWaitSync) -> Result:
    with _admin(ctx) as adm:
        adm.wait_sync(timeout=cmd.timeout)
    return Result(status="WAIT SYNC")


@command(ast.LondisteStatus)
def londiste_status(ctx: Context, cmd: ast.LondisteStatus) -> Result:
    with _admin(ctx) as adm:
        st = adm.londiste_status()
    rows = (
        ("node", f"{st['node']} ({st['node_type']})"),
        ("modules", ", ".join(st["modules"])),
        ("replay", st["replay"]),
        ("lag", None if st["lag"] is None else f"{st['lag']:.1f} s"),
        ("copy", ", ".join(st["copy"]) or None),
        ("tables in sync", str(len(st["tables_ok"]))),
        ("tables not in sync", ", ".join(st["tables_pending"]) or None),
        ("last error", st["last_error"]),
    )
    return Result(
        title=f'Londiste on queue "{adm.queue}"',
        columns=("item", "value"),
        rows=rows,
        volatile=frozenset({"value"}),
    )
