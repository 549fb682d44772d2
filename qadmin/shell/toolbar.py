"""The bottom toolbar: connection, default queue, transaction state, completion state."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg2.extensions
from prompt_toolkit.formatted_text import StyleAndTextTuples

from qadmin.catalog import Catalog
from qadmin.commands.registry import Context

__all__ = ["build_toolbar", "transaction_state"]

_TX = {
    psycopg2.extensions.TRANSACTION_STATUS_IDLE: "idle",
    psycopg2.extensions.TRANSACTION_STATUS_ACTIVE: "busy",
    psycopg2.extensions.TRANSACTION_STATUS_INTRANS: "in transaction",
    psycopg2.extensions.TRANSACTION_STATUS_INERROR: "failed transaction",
    psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN: "connection lost",
}


def transaction_state(ctx: Context) -> str:
    if ctx.conn is None or ctx.conn.closed:
        return "not connected"
    return _TX.get(ctx.conn.get_transaction_status(), "?")


def connection_label(ctx: Context) -> str:
    if ctx.conn is None or ctx.conn.closed:
        return "not connected"
    info = ctx.conn.info
    host = info.host or "local"
    return f"{info.user}@{host}:{info.port}/{info.dbname}"


def build_toolbar(
    ctx: Context,
    get_catalog: Callable[[], Catalog],
    refresh_state: Callable[[], tuple[bool, str | None]],
) -> Callable[[], StyleAndTextTuples]:
    def toolbar() -> StyleAndTextTuples:
        catalog = get_catalog()
        busy, error = refresh_state()
        if error:
            comp = ("class:bottom-toolbar.warn", f"completion: {error[:60]}")
        elif busy:
            comp = ("class:bottom-toolbar", "completion: refreshing...")
        elif catalog.fetched_at is None:
            comp = ("class:bottom-toolbar", "completion: loading...")
        else:
            stamp = time.strftime("%H:%M:%S", time.localtime(catalog.fetched_at))
            comp = (
                "class:bottom-toolbar",
                f"completion: {len(catalog.queues)} queues @ {stamp}",
            )
        tx = transaction_state(ctx)
        tx_style = "class:bottom-toolbar.warn" if tx not in ("idle",) else "class:bottom-toolbar"
        return [
            ("class:bottom-toolbar", f" {connection_label(ctx)} | queue: {ctx.queue or '-'} | "),
            (tx_style, tx),
            ("class:bottom-toolbar", " | "),
            comp,
            ("class:bottom-toolbar", " | help; \\q "),
        ]

    return toolbar
