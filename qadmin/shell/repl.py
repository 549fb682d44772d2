"""The interactive loop: read -> run (parse, dispatch, render) -> repeat."""

from __future__ import annotations

import contextlib
import threading

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from prompt_toolkit import prompt as pt_prompt
from prompt_toolkit.application import Application
from prompt_toolkit.formatted_text import FormattedText

from qadmin.catalog import EMPTY, Catalog
from qadmin.commands.registry import Context
from qadmin.commands.session import describe_connection
from qadmin.refresher import CatalogRefresher
from qadmin.runner import ConnectionLost, Runner

__all__ = ["prompt_text", "run_interactive"]


def prompt_text(ctx: Context) -> str:
    """`queue@database=> ` (`=#` for a superuser, `=*>`/`=!>` in a transaction)."""
    if ctx.conn is None or ctx.conn.closed:
        return "!> "
    db = ctx.conn.info.dbname
    su = ctx.conn.get_parameter_status("is_superuser") == "on"
    status = ctx.conn.get_transaction_status()
    tx = {
        psycopg2.extensions.TRANSACTION_STATUS_INTRANS: "*",
        psycopg2.extensions.TRANSACTION_STATUS_INERROR: "!",
    }.get(status, "")
    head = f"{ctx.queue}@{db}" if ctx.queue else db
    return f"{head}={tx}{'#' if su else '>'} "


class _CatalogHolder:
    """The shell's one reference to the current snapshot, swapped under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalog: Catalog = EMPTY
        self.app: Application[str] | None = None

    def get(self) -> Catalog:
        return self._catalog

    def swap(self, catalog: Catalog) -> None:
        with self._lock:
            self._catalog = catalog
        app = self.app
        if app is not None:
            app.invalidate()


def _ask(question: str) -> bool:
    try:
        answer = pt_prompt(f"{question} [y/N] ")
    except (KeyboardInterrupt, EOFError):
        return False
    return answer.strip().lower() in ("y", "yes")


def _reconnect(ctx: Context, runner: Runner) -> None:
    try:
        ctx.conn = ctx.conn_params.connect(autocommit=True)
        runner.notice("The connection to the server was lost. Attempting reset: Succeeded.")
    except psycopg2.Error:
        ctx.conn = None
        runner.notice("The connection to the server was lost. Attempting reset: Failed.")


def run_interactive(ctx: Context, runner: Runner) -> int:
    """Run the console until EXIT, \\q or ^D; returns the exit status."""
    from qadmin.shell.session import build_session

    # ^C during a query cancels it on the server instead of waiting for it
    psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)
    holder = _CatalogHolder()
    refresher = CatalogRefresher(holder.swap)
    refresher.refresh(ctx.conn_params)
    ctx.interactive = True
    ctx.ask = _ask
    ctx.on_connect = lambda c: refresher.refresh(c.conn_params)
    ctx.settings.pager = True
    # sparklines and charts for a person at a terminal, not for `qadmin > file`
    ctx.settings.charts = runner.out.isatty()
    runner.on_error = "continue"
    runner.source = None
    runner.catalog_changed = refresher.refresh

    session = build_session(ctx, holder.get, lambda: (refresher.busy, refresher.last_error))
    holder.app = session.app
    with contextlib.suppress(psycopg2.Error):
        runner.write(f'{describe_connection(ctx)}\nType "help;" for help, \\q or ^D to quit.\n\n')
    try:
        while True:
            try:
                text = session.prompt(
                    lambda: FormattedText([("class:prompt", prompt_text(ctx))]),
                    prompt_continuation=lambda width, line, wrap: "-" * max(width - 2, 0) + "> ",
                )
            except KeyboardInterrupt:
                continue
            except EOFError:
                runner.write("\n")
                break
            if not text.strip():
                continue
            try:
                outcome = runner.run_text(text)
            except ConnectionLost as err:
                runner.error(f"connection to server lost: {err}")
                _reconnect(ctx, runner)
                continue
            except KeyboardInterrupt:
                continue
            if outcome.exit:
                break
    finally:
        refresher.close()
    return 0
