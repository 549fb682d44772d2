"""Handlers for consumer commands: (un)register, rename, subconsumers, consumers, batches."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.admin import Table
from engine.admin import consumer as admin
from engine.admin.queue import require_queue
from qadmin import ast
from qadmin.commands.registry import CommandError, Context, Result, command
from qadmin.commands.trend import LAG_TREND, lag_trend

__all__: list[str] = []

CONSUMER_TYPES = {
    "lag": "duration",
    "last_seen": "duration",
    "last_tick": "number",
    "current_batch": "number",
    "next_tick": "number",
    "pending_events": "number",
    LAG_TREND: "sparkline",
}
BATCH_TYPES = {"lag": "duration"}


@command(ast.RegisterConsumer, changes_catalog=True)
def register_consumer(ctx: Context, cmd: ast.RegisterConsumer) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    pos = cmd.position
    new = admin.register_consumer(
        ctx.require_conn(),
        queue,
        cmd.consumer,
        at_tick=pos.tick_id if isinstance(pos, ast.AtTick) else None,
        copy_from=pos.consumer if isinstance(pos, ast.CopyFrom) else None,
    )
    notes = () if new else (f'consumer "{cmd.consumer}" was registered already: moved',)
    return Result(status="REGISTER CONSUMER", notes=notes)


@command(ast.UnregisterConsumer, changes_catalog=True)
def unregister_consumer(ctx: Context, cmd: ast.UnregisterConsumer) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    conn = ctx.require_conn()
    if cmd.consumer is ast.ALL:
        with conn.cursor() as cur:
            require_queue(cur, queue)
            names = admin.consumer_names(cur, queue)
        if not names:
            return Result(status="UNREGISTER CONSUMER 0")
        if not ctx.confirm(f'Unregister all {len(names)} consumers of queue "{queue}"?'):
            return Result(status="cancelled")
        done = admin.unregister_consumers(conn, queue, names)
    else:
        done = admin.unregister_consumers(conn, queue, [cmd.consumer])  # type: ignore[list-item]
    return Result(status=f"UNREGISTER CONSUMER {len(done)}")


@command(ast.RenameConsumer, changes_catalog=True)
def rename_consumer(ctx: Context, cmd: ast.RenameConsumer) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    admin.rename_consumer(ctx.require_conn(), queue, cmd.consumer, cmd.new_name)
    return Result(status="RENAME CONSUMER")


@command(ast.RegisterSubconsumer, changes_catalog=True)
def register_subconsumer(ctx: Context, cmd: ast.RegisterSubconsumer) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    admin.register_subconsumer(ctx.require_conn(), queue, cmd.consumer, cmd.subconsumer)
    return Result(status="REGISTER SUBCONSUMER")


@command(ast.UnregisterSubconsumer, changes_catalog=True)
def unregister_subconsumer(ctx: Context, cmd: ast.UnregisterSubconsumer) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    subs = None if isinstance(cmd.subconsumer, ast.All) else [cmd.subconsumer]
    done = admin.unregister_subconsumers(
        ctx.require_conn(), queue, cmd.consumer, subs, cmd.close_batch
    )
    return Result(status=f"UNREGISTER SUBCONSUMER {len(done)}")


@command(ast.ShowConsumer)
def show_consumer(ctx: Context, cmd: ast.ShowConsumer) -> Result:
    queue = cmd.queue if cmd.queue is not None else (ctx.queue or ast.ALL)
    consumer = None if cmd.consumer in (None, ast.ALL) else cmd.consumer
    with ctx.cursor() as cur:
        if isinstance(queue, str):
            require_queue(cur, queue)
        q = queue if isinstance(queue, str) else None
        table = admin.consumer_info(cur, q, consumer)  # type: ignore[arg-type]
    if consumer is not None and not table.rows:
        where = f'queue "{queue}"' if isinstance(queue, str) else "any queue"
        raise CommandError(f'consumer "{consumer}" is not registered on {where}')
    if consumer is not None and isinstance(queue, str):
        title = f'Consumer "{consumer}" on queue "{queue}"'
    elif isinstance(queue, str):
        title = f'Consumers on queue "{queue}"'
    else:
        title = "Consumers"
    table = lag_trend(ctx, table)  # sampled for the session's history; a sparkline once it has one
    return Result(
        title=title,
        columns=table.columns,
        rows=table.rows,
        types=CONSUMER_TYPES,
        volatile=frozenset({"lag", "last_seen", LAG_TREND}),
    )


def _batch_id(ctx: Context, cur, batch: int | str, queue: str | None) -> int:  # type: ignore[no-untyped-def]
    if isinstance(batch, int):
        return batch
    return admin.current_batch(cur, ctx.queue_or_default(queue), batch)


def _batch_result(
    ctx: Context,
    cmd: ast.ShowBatchInfo | ast.ShowBatchEvents,
    fetch: Callable[[Any, int], Table],
    title: str,
    types: Mapping[str, str],
    volatile: frozenset[str],
) -> Result:
    with ctx.cursor() as cur:
        batch_id = _batch_id(ctx, cur, cmd.batch, cmd.queue)
        table = fetch(cur, batch_id)
    return Result(
        title=title.format(batch_id),
        columns=table.columns,
        rows=table.rows,
        types=types,
        volatile=volatile,
    )


@command(ast.ShowBatchInfo)
def show_batch_info(ctx: Context, cmd: ast.ShowBatchInfo) -> Result:
    volatile = frozenset({"batch_start", "batch_end", "lag"})
    return _batch_result(ctx, cmd, admin.batch_info, "Batch {}", BATCH_TYPES, volatile)


EVENT_TYPES = {"ev_id": "number", "ev_txid": "number", "ev_retry": "number"}
EVENT_VOLATILE = frozenset({"ev_time", "ev_txid"})
NEXT_COLUMNS = ("batch_id", "prev_tick_id", "tick_id", "prev_tick_time", "tick_time")
NEXT_TYPES = {"batch_id": "number", "prev_tick_id": "number", "tick_id": "number"}
NEXT_VOLATILE = frozenset({"prev_tick_time", "tick_time"})


@command(ast.ShowBatchEvents)
def show_batch_events(ctx: Context, cmd: ast.ShowBatchEvents) -> Result:
    if isinstance(cmd.batch, str):
        queue = ctx.queue_or_default(cmd.queue)
        with ctx.cursor() as cur:
            admin.require_consumer(cur, queue, cmd.batch)
            if admin.open_batch(cur, queue, cmd.batch) is None:
                return _preview(cur, queue, cmd.batch)
    return _batch_result(
        ctx, cmd, admin.batch_events, "Events of batch {}", EVENT_TYPES, EVENT_VOLATILE
    )


def _preview(cur, queue: str, consumer: str) -> Result:  # type: ignore[no-untyped-def]
    """SHOW BATCH EVENTS of a consumer without an open batch: its next batch, not opened."""
    info, table = admin.next_batch_preview(cur, queue, consumer)
    if info is None:
        note = (
            f'NOTE:  consumer "{consumer}" has no open batch and no next one yet'
            " (no tick after its position; TICK makes one)"
        )
        title = f'Next batch of consumer "{consumer}" (none yet)'
    else:
        note = (
            f'NOTE:  consumer "{consumer}" has no open batch: these are the events its next'
            f" batch would hold (ticks {info.prev_tick_id} to {info.tick_id}), read-only;"
            " NEXT BATCH opens it"
        )
        title = f'Events of the next batch of consumer "{consumer}" (not opened)'
    return Result(
        title=title,
        columns=table.columns,
        rows=table.rows,
        types=EVENT_TYPES,
        volatile=EVENT_VOLATILE,
        notes=(note,),
    )


@command(ast.NextBatch, changes_catalog=True)
def next_batch(ctx: Context, cmd: ast.NextBatch) -> Result:
    queue = ctx.queue_or_default(cmd.queue)
    info = admin.next_batch(ctx.require_conn(), queue, cmd.consumer)
    if info is None:
        return Result(
            status="NEXT BATCH 0",
            notes=(
                f'NOTE:  no batch for consumer "{cmd.consumer}" on queue "{queue}":'
                " no tick after its position (TICK makes one)",
            ),
        )
    notes = (f"NOTE:  batch {info.batch_id} was open already",) if info.was_open else ()
    row = (info.batch_id, info.prev_tick_id, info.tick_id, info.prev_tick_time, info.tick_time)
    return Result(
        title=f'Batch of consumer "{cmd.consumer}" on queue "{queue}"',
        columns=NEXT_COLUMNS,
        rows=(row,),
        types=NEXT_TYPES,
        volatile=NEXT_VOLATILE,
        status="NEXT BATCH 1",
        notes=notes,
    )


@command(ast.FinishBatch, changes_catalog=True)
def finish_batch(ctx: Context, cmd: ast.FinishBatch) -> Result:
    conn = ctx.require_conn()
    if isinstance(cmd.batch, str):
        with conn.cursor() as cur:
            batch_id = admin.current_batch(cur, ctx.queue_or_default(cmd.queue), cmd.batch)
    else:
        batch_id = cmd.batch
    admin.finish_batch(conn, batch_id, cmd.queue)
    return Result(status="FINISH BATCH")
