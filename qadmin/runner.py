"""Run statements: split, parse, dispatch, render, report errors; used by every way in.

The runner owns the policy that is the same for -c, -f, piped stdin and the
interactive console: statements run one by one, an error is reported with its
place (syntax) or the server's message, DETAIL and HINT, and --on-error decides
whether the rest still runs.  No exception from a statement ever escapes as a
traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import psycopg2

from engine.admin import AdminError
from engine.db import ApiError, describe_error
from qadmin import ast
from qadmin.commands.registry import Context, changes_catalog, dispatch
from qadmin.output import render, side_notes
from qadmin.parser import QadminSyntaxError, commands_starting, parse
from qadmin.result import Result
from qadmin.scan import split_statements
from qadmin.variables import interpolate

__all__ = ["ConnectionLost", "ExitRequested", "Outcome", "Runner"]

log = logging.getLogger(__name__)


# undefined function, table, schema: a command ran on a database without PgQ
_MISSING_OBJECT = {"42883", "42P01", "3F000"}


def _mistyped_command(text: str) -> str | None:
    """The console command a statement that failed as SQL is one word off (CREATE QUEU)."""
    import difflib  # only for a failed statement: not every start-up's import

    words = text.split()
    if len(words) < 2:
        return None
    for size in (3, 2):
        typed = " ".join(words[:size]).upper()
        known = [c for c in commands_starting(words[0]) if len(c.split()) == size]
        close = difflib.get_close_matches(typed, known, n=1, cutoff=0.8)
        if close and close[0] != typed:
            return close[0]
    return None


def _is_show(text: str) -> bool:
    return text.lstrip().lower().startswith("show")


class ExitRequested(Exception):
    """EXIT, QUIT or \\q."""


class ConnectionLost(Exception):
    """The server connection broke (exit status 2)."""


@dataclass
class Outcome:
    """How running some text went."""

    errors: int = 0
    exit: bool = False
    stopped: bool = False  # an error stopped the rest (on-error stop)


@dataclass
class Runner:
    """Runs text against a Context and writes results to out, errors to err."""

    ctx: Context
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    on_error: str = "stop"
    source: str | None = None  # script name, for error prefixes
    catalog_changed: Callable[[], None] | None = None
    watch_sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.ctx.progress is None:
            self.ctx.progress = self.notice  # a long command's steps, as they happen

    # -- output ---------------------------------------------------------------------
    def write(self, text: str) -> None:
        if not text:
            return
        if self.ctx.settings.pager and self._page(text):
            return
        self.out.write(text)
        self.out.flush()

    def _page(self, text: str) -> bool:
        """Send long output through $PAGER in an interactive terminal."""
        pager = os.environ.get("QADMIN_PAGER", os.environ.get("PAGER"))
        if pager == "" or not self.out.isatty():
            return False
        size = shutil.get_terminal_size((80, 24))
        lines = text.split("\n")
        if len(lines) < size.lines - 1 and max(map(len, lines)) <= size.columns:
            return False
        cmd = pager or ("less -SRFX" if shutil.which("less") else None)
        if not cmd:
            return False
        import subprocess  # only an interactive terminal pages

        try:
            subprocess.run(cmd, shell=True, input=text, text=True, check=False)
        except OSError:
            return False
        return True

    def error(self, message: str, line: int | None = None) -> None:
        self.out.flush()
        prefix = ""
        if self.source is not None:
            prefix = f"qadmin:{self.source}:{line}: " if line else f"qadmin:{self.source}: "
        lines = message.rstrip("\n").split("\n")
        self.err.write(f"{prefix}ERROR:  {lines[0]}\n")
        for extra in lines[1:]:
            self.err.write(extra + "\n")
        self.err.flush()

    def notice(self, text: str) -> None:
        self.out.flush()
        self.err.write(text.rstrip("\n") + "\n")
        self.err.flush()

    # -- running --------------------------------------------------------------------
    def run_text(self, text: str, *, final_terminator_optional: bool = True) -> Outcome:
        """Run every statement of text in order, honouring on_error."""
        outcome = Outcome()
        for piece in split_statements(text):
            if piece.blank:
                continue
            try:
                # variables as psql does: a \\set takes effect from the next statement on
                commands = parse(interpolate(piece.text, self.ctx.variable))
            except QadminSyntaxError as err:
                err = err.shifted(piece.line, piece.column)
                self.error(err.render(), err.line)
                outcome.errors += 1
                if self.on_error == "stop":
                    outcome.stopped = True
                    return outcome
                continue
            for cmd in commands:
                ok = self.run_command(cmd, piece.line)
                if ok is None:
                    outcome.exit = True
                    return outcome
                if not ok:
                    outcome.errors += 1
                    if self.on_error == "stop":
                        outcome.stopped = True
                        return outcome
        return outcome

    def run_command(self, cmd: ast.Command, line: int | None = None) -> bool | None:
        """Run one command; True if it worked, False on error, None to exit."""
        conn = self.ctx.conn
        if conn is not None and not conn.closed:
            del conn.notices[:]
        started = time.perf_counter()
        try:
            result = dispatch(self.ctx, cmd)
        except (QadminSyntaxError, AdminError, ApiError) as err:
            self._flush_notices()
            self.error(str(err), line)
            return False
        except psycopg2.Error as err:
            self._flush_notices()
            if self._lost(err):
                raise ConnectionLost(describe_error(err)) from None
            message = describe_error(err, context=isinstance(cmd, ast.Sql))
            if (
                not isinstance(cmd, ast.Sql)
                and err.pgcode in _MISSING_OBJECT
                and "pgq" in message
                and "HINT" not in message
            ):
                message += "\nHINT:  is PgQ installed in this database? INSTALL pgq;"
            elif isinstance(cmd, ast.Sql) and err.pgcode == "42704" and _is_show(cmd.text):
                shows = ", ".join(commands_starting("show"))
                message += f"\nHINT:  qadmin's SHOW commands: {shows}"
            elif (
                isinstance(cmd, ast.Sql)
                and err.pgcode == "42601"
                and (meant := _mistyped_command(cmd.text))
            ):
                message += f"\nHINT:  did you mean qadmin's {meant}? (HELP {meant};)"
            self.error(message, line)
            return False
        except KeyboardInterrupt:
            self._cancel()
            self.error("canceled by user", line)
            return False
        except Exception as err:  # a bug: say so in one line, never a traceback
            log.debug("internal error", exc_info=True)
            if os.environ.get("QADMIN_DEBUG"):
                import traceback

                traceback.print_exc(file=self.err)
            self.error(f"internal error: {type(err).__name__}: {err}", line)
            return False
        elapsed = time.perf_counter() - started
        self._flush_notices()
        if result.exit:
            return None
        if result.watch is not None:
            return self._watch(result.watch, line)
        self._show(result)
        if self.ctx.settings.timing:
            shown = "***" if self.ctx.settings.mask_volatile else f"{elapsed * 1000:.3f}"
            self.write(f"Time: {shown} ms\n")
        if self.catalog_changed is not None and changes_catalog(cmd):
            self.catalog_changed()
        return True

    def _show(self, result: Result) -> None:
        for note in side_notes(result, self.ctx.settings):
            self.notice(note)
        self.write(render(result, self.ctx.settings))

    def _watch(self, watch: ast.Watch, line: int | None) -> bool:
        every = watch.seconds or 2.0
        try:
            while True:
                stamp = "***" if self.ctx.settings.mask_volatile else time.strftime("%c")
                self.write(f"{stamp} (every {every:g}s)\n\n")
                ok = self.run_command(watch.command, line)
                if not ok:
                    return bool(ok)
                self.watch_sleep(every)
        except KeyboardInterrupt:
            self.write("\n")
            return True

    def _flush_notices(self) -> None:
        conn = self.ctx.conn
        if conn is None or conn.closed:
            return
        for notice in conn.notices:
            self.notice(notice.strip())
        del conn.notices[:]

    def _cancel(self) -> None:
        conn = self.ctx.conn
        if conn is not None and not conn.closed:
            with contextlib.suppress(psycopg2.Error):
                conn.cancel()

    def _lost(self, err: psycopg2.Error) -> bool:
        conn = self.ctx.conn
        return (conn is not None and bool(conn.closed)) or isinstance(err, psycopg2.InterfaceError)
