"""Handlers for cascade commands (pgq_node): thin calls into engine.cascade.admin.

Every command works on one cascaded queue (ON <queue>, else the default queue)
through a CascadeAdmin opened on the console's connection settings; it reaches
the other members itself.  Steps of long operations (switchover, failover,
waits) are shown as they happen through Context.say.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from engine import supervisor as sv
from engine.cascade.admin import CascadeAdmin, NodeStatus
from engine.daemon_keys import SUPERVISOR_KEYS, WORKER_ARGUMENT_KEYS, worker_keys
from qadmin import ast
from qadmin.commands.registry import CommandError, Context, Result, command

__all__: list[str] = []

# what sets the keys START WORKER sets itself (from the node and the console's
# connection), by the supervisor.start_worker argument they come from
_GIVEN_BY_STATEMENT = {
    "db": "the worker connects as the console does (CONNECT to another node first)",
    "queue": "the queue is the one after ON (or the default queue)",
    "worker": "the worker's name is the node's (AS names only the daemon)",
}
_PASSWORD_NOTE = (
    "NOTE:  the password typed at CONNECT does not reach daemons: they need ~/.pgpass or "
    "PGPASSWORD in the environment qadmin was started with"
)

NODES_COLUMNS = ("node", "type", "provider", "lag", "last_tick", "status", "last_error")
NODE_COLUMNS = (
    "node",
    "type",
    "queue",
    "provider",
    "worker",
    "combined_queue",
    "lag",
    "last_tick",
    "status",
    "last_error",
    "attrs",
)
TYPES = {"lag": "duration", "last_tick": "number"}
# what changes from run to run, or from machine to machine (masked in test output)
VOLATILE = frozenset({"lag", "last_tick", "location", "node_location"})
DAEMON_COLUMNS = ("name", "kind", "state", "pid", "detail")


@contextlib.contextmanager
def _admin(ctx: Context, queue: str | None) -> Iterator[CascadeAdmin]:
    """The cascade admin of the statement's queue, on the console's connection settings."""
    name = ctx.queue_or_default(queue)
    ctx.require_conn()
    with CascadeAdmin(ctx.conn_params, name, progress=ctx.say) as adm:
        yield adm


def _status(node: NodeStatus) -> str:
    """ok, dead, unreachable, or the worker's flags: paused, not up to date."""
    if node.dead:
        return "dead"
    if not node.reachable:
        return "unreachable"
    flags = []
    if node.paused:
        flags.append("paused")
    if not node.uptodate:
        flags.append("not up to date")
    return ", ".join(flags) or "ok"


def _error(node: NodeStatus) -> str | None:
    text = node.last_error if node.reachable else (node.error or node.last_error)
    if not text:
        return None
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= 100 else first[:99] + "…"


def _tree_label(node: NodeStatus) -> str:
    """The node's name indented under its provider (the tree from the root)."""
    depth = max(node.depth or 0, 0)
    return node.name if depth == 0 else "   " * (depth - 1) + "└─ " + node.name


def _volatile(columns: Sequence[str]) -> frozenset[str]:
    return frozenset(c for c in columns if c in VOLATILE or "location" in c)


def _table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Result:
    return Result(
        title=title,
        columns=tuple(columns),
        rows=tuple(tuple(r) for r in rows),
        types=TYPES,
        volatile=_volatile(columns),
    )


# -- creating nodes -----------------------------------------------------------------------


@command(ast.CreateRootNode, changes_catalog=True)
def create_root_node(ctx: Context, cmd: ast.CreateRootNode) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.create_root(cmd.name, location=cmd.location)
    return Result(status="CREATE NODE")


@command(ast.CreateBranchNode, changes_catalog=True)
def create_branch_node(ctx: Context, cmd: ast.CreateBranchNode) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.create_branch(cmd.name, cmd.provider, location=cmd.location)
    return Result(status="CREATE NODE")


@command(ast.CreateLeafNode, changes_catalog=True)
def create_leaf_node(ctx: Context, cmd: ast.CreateLeafNode) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.create_leaf(cmd.name, cmd.provider, location=cmd.location, merge=cmd.merge)
    return Result(status="CREATE NODE")


def _worker_options(settings: Sequence[ast.Setting]) -> dict[str, str]:
    out: dict[str, str] = {}
    known = worker_keys()
    for s in settings:
        if s.key in WORKER_ARGUMENT_KEYS:
            given_by = _GIVEN_BY_STATEMENT[WORKER_ARGUMENT_KEYS[s.key]]
            raise CommandError(f"{s.key} cannot be given in WITH: {given_by}")
        if s.key in SUPERVISOR_KEYS:
            raise CommandError(f"{s.key} is set by the supervisor (the daemon's files are its own)")
        if s.key not in known:
            raise CommandError(f"unknown worker key {s.key!r}", hint="keys: " + ", ".join(known))
        if s.key in out:
            raise CommandError(f"{s.key} given twice")
        if s.value is not None:  # null: the worker's default
            out[s.key] = s.value
    return out


@command(ast.StartWorker, changes_catalog=True)
def start_worker(ctx: Context, cmd: ast.StartWorker) -> Result:
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
    name = cmd.daemon or worker
    try:
        info = sv.start_worker(name, queue, worker, options, db=db)
    except sv.SupervisorError as e:
        hint = "name the daemon with AS <name>" if str(e).startswith("bad daemon name") else None
        raise CommandError(str(e), hint=hint) from None
    except OSError as e:
        raise CommandError(
            f"daemon state directory {sv.default_state_dir()}: {e.strerror or e}",
            hint=f"point ${sv.STATE_DIR_ENV} at a writable directory",
        ) from None
    row = (info.name, info.kind, info.state, info.pid, info.detail)
    return Result(
        columns=DAEMON_COLUMNS,
        rows=(row,),
        types={"pid": "number"},
        volatile=frozenset({"pid"}),
        status="START WORKER",
        notes=(*(f"NOTE:  {n}" for n in info.notes), *notes),
    )


# -- looking at the cascade ----------------------------------------------------------------


@command(ast.ShowNodes)
def show_nodes(ctx: Context, cmd: ast.ShowNodes) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    with _admin(ctx, queue) as adm:
        nodes = adm.status()
    rows = [
        (_tree_label(n), n.node_type, n.provider, n.lag, n.last_tick, _status(n), _error(n))
        for n in nodes
    ]
    return _table(f'Cascade of queue "{queue}"', NODES_COLUMNS, rows)


@command(ast.ShowNode)
def show_node(ctx: Context, cmd: ast.ShowNode) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        node = adm.node_status(cmd.node)
        members = adm.members()
    row = (
        node.name,
        node.node_type,
        node.queue,
        node.provider,
        node.worker_name,
        node.combined_queue,
        node.lag,
        node.last_tick,
        _status(node),
        _error(node),
        node.attrs or None,
    )
    main = _table(f'Node "{node.name}"', NODE_COLUMNS, [row])
    subscribers = _table("Subscribers", ("subscriber",), [(s,) for s in node.subscribers])
    locations = _table("Members", members.columns, members.rows)
    return Result(
        title=main.title,
        columns=main.columns,
        rows=main.rows,
        types=main.types,
        volatile=main.volatile,
        more=(subscribers, locations),
    )


@command(ast.ShowMembers)
def show_members(ctx: Context, cmd: ast.ShowMembers) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        members = adm.members()
    return _table("Members", members.columns, members.rows)


# -- changing the cascade -----------------------------------------------------------------


@command(ast.AlterNodeProvider)
def alter_node_provider(ctx: Context, cmd: ast.AlterNodeProvider) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.change_provider(cmd.node, cmd.provider)
    return Result(status="ALTER NODE")


@command(ast.AlterNodeLocation)
def alter_node_location(ctx: Context, cmd: ast.AlterNodeLocation) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.change_location(cmd.node, cmd.location)
    return Result(status="ALTER NODE")


@command(ast.Switchover)
def switchover(ctx: Context, cmd: ast.Switchover) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    if not ctx.confirm(f'Make node "{cmd.node}" the root of queue "{queue}"?'):
        return Result(status="cancelled")
    with _admin(ctx, queue) as adm:
        adm.switchover(cmd.node)
    return Result(status="SWITCHOVER")


@command(ast.Failover)
def failover(ctx: Context, cmd: ast.Failover) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    question = (
        f'Tag the root of queue "{queue}" dead and make node "{cmd.node}" the root'
        " (events the old root did not pass on stay behind)?"
    )
    if not ctx.confirm(question):
        return Result(status="cancelled")
    with _admin(ctx, queue) as adm:
        adm.failover(cmd.node)
    return Result(status="FAILOVER")


@command(ast.ResurrectNode)
def resurrect_node(ctx: Context, cmd: ast.ResurrectNode) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        dump = adm.resurrect(cmd.node, dump_file=cmd.dump_file)
    notes = (
        f"Events the cascade never got are in {dump}.",
        f"The worker of {cmd.node} is paused: RESUME NODE {cmd.node}; once they are looked at.",
    )
    return Result(status="RESURRECT", notes=notes)


@command(ast.PauseNode)
def pause_node(ctx: Context, cmd: ast.PauseNode) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.pause(cmd.node)
    return Result(status="PAUSE")


@command(ast.ResumeNode)
def resume_node(ctx: Context, cmd: ast.ResumeNode) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.resume(cmd.node)
    return Result(status="RESUME")


@command(ast.DropNode, changes_catalog=True)
def drop_node(ctx: Context, cmd: ast.DropNode) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    if not ctx.confirm(f'Drop node "{cmd.node}" from queue "{queue}" on every member?'):
        return Result(status="cancelled")
    with _admin(ctx, queue) as adm:
        adm.drop_node(cmd.node)
    return Result(status="DROP NODE")


@command(ast.RenameNode, changes_catalog=True)
def rename_node(ctx: Context, cmd: ast.RenameNode) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.rename_node(cmd.node, cmd.new_name)
    return Result(status="RENAME NODE")


@command(ast.TagNodeDead)
def tag_node_dead(ctx: Context, cmd: ast.TagNodeDead) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.tag_dead(cmd.node)
    return Result(status="TAG NODE")


@command(ast.TagNodeAlive)
def tag_node_alive(ctx: Context, cmd: ast.TagNodeAlive) -> Result:
    with _admin(ctx, cmd.queue) as adm:
        adm.tag_alive(cmd.node)
    return Result(status="TAG NODE")


# -- waiting ------------------------------------------------------------------------------


def _timeout(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise CommandError("TIMEOUT needs a positive number of seconds")
    return value


@command(ast.WaitSync)
def wait_sync(ctx: Context, cmd: ast.WaitSync) -> Result:
    timeout = _timeout(cmd.timeout)
    with _admin(ctx, cmd.queue) as adm:
        adm.wait_sync(timeout=timeout)
    return Result(status="WAIT")


@command(ast.WaitRoot)
def wait_root(ctx: Context, cmd: ast.WaitRoot) -> Result:
    timeout = _timeout(cmd.timeout)
    with _admin(ctx, cmd.queue) as adm:
        adm.wait_root(timeout=timeout)
    return Result(status="WAIT")


@command(ast.WaitProvider)
def wait_provider(ctx: Context, cmd: ast.WaitProvider) -> Result:
    timeout = _timeout(cmd.timeout)
    with _admin(ctx, cmd.queue) as adm:
        adm.wait_provider(timeout=timeout)
    return Result(status="WAIT")
