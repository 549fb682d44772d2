"""Build the PromptSession: history, completer, lexer, validator, keys, toolbar, style."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import ThreadedCompleter
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.validation import ThreadedValidator

from qadmin.catalog import Catalog
from qadmin.commands.registry import Context
from qadmin.complete.completer import QadminCompleter
from qadmin.shell.keys import build_key_bindings
from qadmin.shell.lexer import lexer_class
from qadmin.shell.style import build_style
from qadmin.shell.toolbar import build_toolbar
from qadmin.shell.validator import QadminValidator

__all__ = ["HISTORY_FILE", "build_session"]

HISTORY_FILE = "~/.qadmin_history"


def _history() -> History:
    path = Path(os.path.expanduser(os.environ.get("QADMIN_HISTORY", HISTORY_FILE)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return FileHistory(str(path))
    except OSError:
        return InMemoryHistory()


def build_session(
    ctx: Context,
    get_catalog: Callable[[], Catalog],
    refresh_state: Callable[[], tuple[bool, str | None]],
) -> PromptSession[str]:
    return PromptSession(
        history=_history(),
        completer=ThreadedCompleter(QadminCompleter(get_catalog, lambda: ctx.queue)),
        complete_while_typing=False,
        lexer=PygmentsLexer(lexer_class()),
        validator=ThreadedValidator(QadminValidator(ctx.variable)),
        validate_while_typing=True,
        key_bindings=build_key_bindings(),
        bottom_toolbar=build_toolbar(ctx, get_catalog, refresh_state),
        style=build_style(),
        multiline=True,
        enable_history_search=False,
        search_ignore_case=True,
        include_default_pygments_style=False,
    )
