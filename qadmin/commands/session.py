"""Handlers for session commands: connect, install, help, settings, watch, exit."""

from __future__ import annotations

import psycopg2

from engine import install as installer
from engine.admin.objects import module_versions
from engine.admin.queue import queue_exists
from engine.db import connect as db_connect
from qadmin import __version__, ast
from qadmin.commands.registry import (
    OUTPUT_FORMATS,
    CommandError,
    Context,
    Result,
    command,
)
from qadmin.help import command_help, overview

__all__: list[str] = []

# modules the grammar knows; those not in engine.install.MODULES are not built yet
PLANNED_MODULES = ("pgq", "pgq_coop", "pgq_node", "londiste")

# commands that make no sense to repeat
_NOT_WATCHABLE = (
    ast.Watch,
    ast.Exit,
    ast.Connect,
    ast.Install,
    ast.Help,
    ast.SetFormat,
    ast.SetTiming,
    ast.SetExpanded,
    ast.Refresh,
    ast.DropQueue,
    ast.DeleteEvent,
    ast.UnregisterConsumer,
)


def _pgq_installed(conn: psycopg2.extensions.connection) -> bool:
    with conn.cursor() as cur:
        cur.execute("select pg_catalog.to_regclass('pgq.queue') is not null")
        return bool(cur.fetchone()[0])


def _node_location(ctx: Context, node: str, queue: str | None) -> str:
    conn = ctx.require_conn()
    with conn.cursor() as cur:
        cur.execute("select pg_catalog.to_regclass('pgq_node.node_location') is not null")
        if not cur.fetchone()[0]:
            built = "pgq_node" in installer.MODULES
            raise CommandError(
                "CONNECT node= needs the pgq_node module, which is not installed here",
                hint="INSTALL pgq_node; first"
                if built
                else "cascaded queues (pgq_node) are not available in this qadmin version yet",
            )
        if queue is None:
            raise CommandError("CONNECT node= needs a queue: give queue= or set a default")
        cur.execute(
            "select node_location from pgq_node.get_queue_locations(%s) where node_name = %s",
            (queue, node),
        )
        row = cur.fetchone()
    if row is None:
        raise CommandError(f'node "{node}" not found for queue "{queue}"')
    return row[0]


def describe_connection(ctx: Context) -> str:
    """`qadmin 0.1.0 (server 15.4, pgq 3.6.0)` for the current connection."""
    conn = ctx.require_conn()
    with conn.cursor() as cur:
        versions = module_versions(cur)
        cur.execute("show server_version")
        server = cur.fetchone()[0].split()[0]
    mods = ", ".join(f"{k} {v}" for k, v in versions.items()) or "no pgq installed"
    return f"qadmin {__version__} (server {server}, {mods})"


@command(ast.Connect, changes_catalog=True)
def connect(ctx: Context, cmd: ast.Connect) -> Result:
    params = dict(cmd.params)
    queue = params.pop("queue", None)
    node = params.pop("node", None)
    if node is not None and params:
        raise CommandError("node= cannot be used together with connection settings")
    notes = []
    swapped = True
    if not params and queue is None and node is None:
        # plain CONNECT: connect again with the same settings
        base = dict(ctx.conn_params)
        dsn = base.pop("dsn", None)
        new_conn = db_connect(dsn, autocommit=True, **base)
        _swap(ctx, new_conn, ctx.conn_params)
        notes.append(describe_connection(ctx))
    elif node is not None:
        location = _node_location(ctx, node, queue or ctx.queue)
        new_conn = db_connect(location, autocommit=True)
        _swap(ctx, new_conn, {"dsn": location})
        ctx.queue = queue or ctx.queue
        notes.append(describe_connection(ctx))
    elif params:
        # keys not given come from the current connection (libpq lets the
        # keyword arguments override the same keys of the conninfo string)
        merged = {k: v for k, v in ctx.conn_params.items() if k != "dsn"}
        base_dsn = ctx.conn_params.get("dsn")
        merged.update(params)
        new_conn = db_connect(base_dsn, autocommit=True, **merged)
        _swap(ctx, new_conn, {**({"dsn": base_dsn} if base_dsn else {}), **merged})
        ctx.queue = None
        notes.append(describe_connection(ctx))
    else:
        swapped = False
    if swapped and ctx.on_connect is not None:
        ctx.on_connect(ctx)  # new server or database: new completion names
    if queue is not None:
        conn = ctx.require_conn()
        if _pgq_installed(conn):
            with conn.cursor() as cur:
                if not queue_exists(cur, queue):
                    raise CommandError(f'queue "{queue}" does not exist')
        else:
            raise CommandError("pgq is not installed in this database", hint="INSTALL pgq;")
        ctx.queue = queue
    return Result(status="CONNECT", notes=tuple(notes))


def _swap(ctx: Context, new_conn: psycopg2.extensions.connection, params: dict) -> None:
    old = ctx.conn
    ctx.conn = new_conn
    ctx.conn_params = {k: str(v) for k, v in params.items() if v is not None}
    if old is not None and not old.closed:
        old.close()


@command(ast.Install, changes_catalog=True)
def install(ctx: Context, cmd: ast.Install) -> Result:
    conn = ctx.require_conn()
    if conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        raise CommandError("INSTALL cannot run inside a transaction block")
    wanted: list[str] = []
    for mod in cmd.modules:
        names = list(installer.MODULES) if mod == "all" else [mod]
        for name in names:
            if name not in installer.MODULES:
                raise CommandError(
                    f"module {name} is not built yet",
                    hint="available: " + ", ".join(installer.MODULES),
                )
            if name not in wanted:
                wanted.append(name)
    reports = installer.install(conn, wanted)
    notes = [str(r) for r in reports]
    if "all" in cmd.modules:
        later = [m for m in PLANNED_MODULES if m not in installer.MODULES]
        if later:
            notes.append(f"{', '.join(later)}: not built yet in this qadmin version, skipped")
    return Result(status="INSTALL", notes=tuple(notes))


@command(ast.Help)
def help(ctx: Context, cmd: ast.Help) -> Result:
    if not cmd.topic:
        return Result(notes=(overview(),))
    text = command_help(cmd.topic)
    if text is None:
        raise CommandError(f'no help for "{" ".join(cmd.topic)}"', hint="HELP; lists the commands")
    return Result(notes=(text,))


@command(ast.Exit)
def exit(ctx: Context, cmd: ast.Exit) -> Result:
    return Result(exit=True)


@command(ast.SetFormat)
def set_format(ctx: Context, cmd: ast.SetFormat) -> Result:
    if cmd.format not in OUTPUT_FORMATS:
        raise CommandError(f"unknown format {cmd.format}")
    ctx.settings.format = cmd.format
    return Result(notes=(f"Output format is {cmd.format}.",))


@command(ast.SetTiming)
def set_timing(ctx: Context, cmd: ast.SetTiming) -> Result:
    ctx.settings.timing = (not ctx.settings.timing) if cmd.on is None else cmd.on
    return Result(notes=(f"Timing is {'on' if ctx.settings.timing else 'off'}.",))


@command(ast.SetExpanded)
def set_expanded(ctx: Context, cmd: ast.SetExpanded) -> Result:
    on = (ctx.settings.format != "expanded") if cmd.on is None else cmd.on
    ctx.settings.format = "expanded" if on else "aligned"
    return Result(notes=(f"Expanded display is {'on' if on else 'off'}.",))


@command(ast.Refresh, changes_catalog=True)
def refresh(ctx: Context, cmd: ast.Refresh) -> Result:
    return Result(notes=("Reloading completion names in the background.",))


@command(ast.Watch)
def watch(ctx: Context, cmd: ast.Watch) -> Result:
    if isinstance(cmd.command, _NOT_WATCHABLE) or not cmd.command.watchable:
        raise CommandError("WATCH repeats SHOW commands and SQL queries only")
    if cmd.seconds is not None and cmd.seconds <= 0:
        raise CommandError("WATCH needs a positive number of seconds")
    return Result(watch=cmd)


@command(ast.ShowVersion)
def show_version(ctx: Context, cmd: ast.ShowVersion) -> Result:
    conn = ctx.require_conn()
    rows = [("qadmin", __version__)]
    with conn.cursor() as cur:
        cur.execute("show server_version")
        rows.append(("server", cur.fetchone()[0]))
        rows.extend(module_versions(cur).items())
    return Result(
        columns=("component", "version"), rows=tuple(rows), volatile=frozenset({"version"})
    )
