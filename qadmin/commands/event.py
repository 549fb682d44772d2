"""Handlers for event commands: insert an event, delete a poison event."""

from __future__ import annotations

from engine.admin import event as admin
from engine.admin.queue import require_queue
from qadmin import ast
from qadmin.commands.registry import Context, Result, command

__all__: list[str] = []


@command(ast.InsertEvent)
def insert_event(ctx: Context, cmd: ast.InsertEvent) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    ev_id = admin.insert_event(ctx.require_conn(), queue, cmd.values)
    return Result(
        columns=("ev_id",), rows=((ev_id,),), types={"ev_id": "number"}, status="INSERT EVENT 1"
    )


@command(ast.DeleteEvent)
def delete_event(ctx: Context, cmd: ast.DeleteEvent) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    conn = ctx.require_conn()
    with conn.cursor() as cur:
        require_queue(cur, queue)
    if not ctx.confirm(f'Delete event {cmd.event_id} from queue "{queue}"?'):
        return Result(status="cancelled")
    n = admin.delete_event(conn, queue, cmd.event_id)
    return Result(status=f"DELETE EVENT {n}")
