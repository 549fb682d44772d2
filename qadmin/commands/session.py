"""Handlers for session commands: connect, install, help, settings, watch, exit."""

from __future__ import annotations

import psycopg2

from engine import install as installer
from engine.admin.node import node_conninfo
from engine.admin.objects import module_versions
from engine.admin.queue import queue_exists
from engine.admin.server import schema_present, server_version
from engine.db import ConnInfo
from qadmin import __version__, ast
from qadmin.commands.registry import (
    OUTPUT_FORMATS,
    CommandError,
    Context,
    Result,
    command,
)
from qadmin.help import command_help, overview
from qadmin.output import MASK

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


def _node_conninfo(ctx: Context, node: str, queue: str | None) -> ConnInfo:
    with ctx.cursor() as cur:
        if not schema_present(cur, "pgq_node"):
            built = "pgq_node" in installer.MODULES
            raise CommandError(
                "CONNECT node= needs the pgq_node module, which is not installed here",
                hint="INSTALL pgq_node; first"
                if built
                else "cascaded queues (pgq_node) are not available in this qadmin version yet",
            )
        if queue is None:
            raise CommandError("CONNECT node= needs a queue: give queue= or set a default")
        info = node_conninfo(cur, queue, node)
    if info is None:
        raise CommandError(f'node "{node}" not found for queue "{queue}"')
    return info


def describe_connection(ctx: Context) -> str:
    """`qadmin 0.1.0 (server 15.4, pgq 3.6.0)` for the current connection."""
    with ctx.cursor() as cur:
        versions = module_versions(cur)
        server = server_version(cur).split()[0]
    if ctx.settings.mask_volatile:  # test output: the same on every PostgreSQL version
        server = MASK
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
        _swap(ctx, ctx.conn_params)
        notes.append(describe_connection(ctx))
    elif node is not None:
        _swap(ctx, _node_conninfo(ctx, node, queue or ctx.queue))
        ctx.queue = queue or ctx.queue
        notes.append(describe_connection(ctx))
    elif params:
        # keys not given come from the current connection
        _swap(ctx, ctx.conn_params.replace(**params))
        ctx.queue = None
        notes.append(describe_connection(ctx))
    else:
        swapped = False
    if swapped and ctx.on_connect is not None:
        ctx.on_connect(ctx)  # new server or database: new completion names
    if queue is not None:
        with ctx.cursor() as cur:
            if not schema_present(cur, "pgq"):
                raise CommandError("pgq is not installed in this database", hint="INSTALL pgq;")
            if not queue_exists(cur, queue):
                raise CommandError(f'queue "{queue}" does not exist')
        ctx.queue = queue
    return Result(status="CONNECT", notes=tuple(notes))


def _swap(ctx: Context, info: ConnInfo) -> None:
    """Connect with info; only once that worked, it replaces the current connection."""
    new_conn = info.connect(autocommit=True)
    old = ctx.conn
    ctx.conn = new_conn
    ctx.conn_params = info
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
    try:
        reports = installer.install(conn, wanted, roles=not cmd.without_roles)
    except installer.InstallError as err:
        raise CommandError(str(err)) from err
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
    rows = [("qadmin", __version__)]
    with ctx.cursor() as cur:
        rows.append(("server", server_version(cur)))
        rows.extend(module_versions(cur).items())
    return Result(
        columns=("component", "version"), rows=tuple(rows), volatile=frozenset({"version"})
    )
