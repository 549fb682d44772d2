"""Handlers for queue commands: create, alter, drop, rename, show, stats, tick."""

from __future__ import annotations

from engine.admin import queue as admin
from qadmin import ast
from qadmin.commands.registry import CommandError, Context, Result, command
from qadmin.commands.trend import RATE_TREND, rate_trend

__all__: list[str] = []

# every setting ALTER QUEUE takes is a column, under the name ALTER QUEUE gives it
QUEUE_COLUMNS = (
    "queue_name",
    "tables",
    "max_count",
    "max_lag",
    "idle_period",
    "paused",
    "rotation_period",
    "external_ticker",
    "per_tx_limit",
    "disable_insert",
    "notify",
    "extra_maint",
    "ticker_lag",
    "ev_per_sec",
    "ev_new",
    "last_tick",
)
QUEUE_TYPES = {
    "max_lag": "duration",
    "idle_period": "duration",
    "rotation_period": "duration",
    "per_tx_limit": "number",
    "ticker_lag": "duration",
    "ev_per_sec": "rate",
    "max_count": "number",
    "ev_new": "number",
    "last_tick": "number",
}


def _settings(settings: tuple[ast.Setting, ...]) -> list[tuple[str, str | None]]:
    return [(s.key, s.value) for s in settings]


@command(ast.CreateQueue, changes_catalog=True)
def create_queue(ctx: Context, cmd: ast.CreateQueue) -> Result:
    admin.create_queue(ctx.require_conn(), cmd.name, _settings(cmd.settings))
    return Result(status="CREATE QUEUE")


@command(ast.AlterQueue, changes_catalog=True)
def alter_queue(ctx: Context, cmd: ast.AlterQueue) -> Result:
    conn = ctx.require_conn()
    if cmd.queue is ast.ALL:
        with conn.cursor() as cur:
            queues = admin.queue_names(cur)
    else:
        queues = [cmd.queue]  # type: ignore[list-item]
    n = admin.alter_queue(conn, queues, _settings(cmd.settings))
    return Result(status=f"ALTER QUEUE {n}")


@command(ast.DropQueue, changes_catalog=True)
def drop_queue(ctx: Context, cmd: ast.DropQueue) -> Result:
    conn = ctx.require_conn()
    with conn.cursor() as cur:
        admin.require_queue(cur, cmd.queue)
    what = f'Drop queue "{cmd.queue}" and all its events'
    if cmd.force:
        what += " (unregistering its consumers)"
    if not ctx.confirm(what + "?"):
        return Result(status="cancelled")
    admin.drop_queue(conn, cmd.queue, cmd.force)
    if ctx.queue == cmd.queue:
        ctx.queue = None
    return Result(status="DROP QUEUE")


@command(ast.RenameQueue, changes_catalog=True)
def rename_queue(ctx: Context, cmd: ast.RenameQueue) -> Result:
    admin.rename_queue(ctx.require_conn(), cmd.queue, cmd.new_name)
    if ctx.queue == cmd.queue:
        ctx.queue = cmd.new_name
    return Result(status="RENAME QUEUE")


def _queue_rows(info: list[dict], more: dict[str, dict]) -> tuple[tuple, ...]:
    return tuple(
        (
            r["queue_name"],
            f"{r['queue_cur_table']}/{r['queue_ntables']}",
            r["queue_ticker_max_count"],
            r["queue_ticker_max_lag"],
            r["queue_ticker_idle_period"],
            r["queue_ticker_paused"],
            r["queue_rotation_period"],
            r["queue_external_ticker"],
            more.get(r["queue_name"], {}).get("per_tx_limit"),
            more.get(r["queue_name"], {}).get("disable_insert"),
            more.get(r["queue_name"], {}).get("notify"),
            more.get(r["queue_name"], {}).get("extra_maint"),
            r["ticker_lag"],
            r["ev_per_sec"],
            r["ev_new"],
            r["last_tick_id"],
        )
        for r in info
    )


@command(ast.ShowQueue)
def show_queue(ctx: Context, cmd: ast.ShowQueue) -> Result:
    target = cmd.queue if cmd.queue is not None else (ctx.queue or ast.ALL)
    with ctx.cursor() as cur:
        info = admin.queue_info(cur).dicts()
        more = {r["queue_name"]: r for r in admin.queue_settings(cur).dicts()}
        if isinstance(target, str):
            admin.require_queue(cur, target)
            info = [r for r in info if r["queue_name"] == target]
            title = f'Queue "{target}"'
        elif isinstance(target, ast.Pattern):
            wanted = set(admin.queue_names(cur, target.text))
            info = [r for r in info if r["queue_name"] in wanted]
            title = f"Queues matching '{target.text}'"
        else:
            title = "Queues"
    return Result(
        title=title,
        columns=QUEUE_COLUMNS,
        rows=_queue_rows(info, more),
        types=QUEUE_TYPES,
        volatile=frozenset({"ticker_lag", "ev_per_sec"}),
    )


@command(ast.ShowQueueStats)
def show_queue_stats(ctx: Context, cmd: ast.ShowQueueStats) -> Result:
    target = cmd.queue if cmd.queue is not None else (ctx.queue or ast.ALL)
    with ctx.cursor() as cur:
        if isinstance(target, str):
            admin.require_queue(cur, target)
            table = admin.queue_stats(cur, target)
            title = f'Queue statistics "{target}"'
        else:
            table = admin.queue_stats(cur)
            title = "Queue statistics"
    table = rate_trend(ctx, table)  # sampled for the session's history; a sparkline once it has one
    types = {c: "rate" for c in table.columns if c.startswith("rate")}
    types.update(period="duration", ticks="number", events="number")
    types[RATE_TREND] = "sparkline"
    return Result(
        title=title,
        columns=table.columns,
        rows=table.rows,
        types=types,
        volatile=frozenset({"period", "rate_1m", "rate_5m", "rate_1h", "rate_all", RATE_TREND}),
    )


@command(ast.Tick, changes_catalog=True)
def tick(ctx: Context, cmd: ast.Tick) -> Result:
    conn = ctx.require_conn()
    target = cmd.queue if cmd.queue is not None else ctx.queue_or_default(None)
    if target is ast.ALL:
        with conn.cursor() as cur:
            info = admin.queue_info(cur).dicts()
        queues = [
            r["queue_name"]
            for r in info
            if not r["queue_ticker_paused"] and not r["queue_external_ticker"]
        ]
    else:
        queues = [target]  # type: ignore[list-item]
    if not queues:
        raise CommandError("no queue to tick")
    rows = tuple((q, admin.tick(conn, q)) for q in queues)
    return Result(
        columns=("queue_name", "tick_id"), rows=rows, types={"tick_id": "number"}, status="TICK"
    )
