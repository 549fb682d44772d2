"""The Londiste handlers beyond engine.londiste.handlers' own, and their hooks for the worker.

engine.londiste.handlers registers these by name (``extra_handlers()``, imported
when first asked so that the modules here may subclass its handlers).  Besides
the BaseHandler methods, a handler here may have the original's hooks:

``add(trigger_arg_list)``
    the table is being added (or its handler changed): the handler adds capture
    trigger arguments (shard: ``ev_extra3='hash='||...``; multimaster: ``no_merge``).
    ``trigger_args()`` below applies it for the admin.
``prepare_copy(cur)`` / ``real_copy(src_conn, dst_cur, src_table, columns, cond)``
    asked by the copy before its COPY (engine.londiste.handlers_copy).
``get_copy_event(cur, ev)``
    on a branch, the event its own queue gets instead (None: left out); shard keeps
    this shard's events, obfuscate the rewritten rows.

Ini keys of the worker read by ``configure(cf)``: ``shard_hash_func``,
``shard_info_sql`` (shard, part, dispatch with a hash key), ``obfuscator_map``,
``obfuscator_key`` (obfuscate).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["configure", "extra_handlers", "trigger_args"]


def extra_handlers() -> dict[str, Callable[[str, dict[str, str], str], Any]]:
    """Name -> handler class of the dispatch, shard, multimaster and obfuscate families."""
    from engine.londiste.handlers_dispatch import DISPATCH_HANDLERS
    from engine.londiste.handlers_misc import MultimasterHandler, Obfuscator
    from engine.londiste.handlers_shard import PartHandler, ShardHandler

    return {
        **DISPATCH_HANDLERS,
        "shard": ShardHandler,
        "part": PartHandler,
        "multimaster": MultimasterHandler,
        "obfuscate": Obfuscator,
    }


def configure(cf: Any) -> None:
    """Read the handlers' ini keys from the worker's config section."""
    from engine.londiste import handlers_misc, handlers_shard

    handlers_shard.configure(cf)
    handlers_misc.configure(cf)


def trigger_args(table: str, handler: str | None, args: list[str]) -> list[str]:
    """The capture trigger's args for a table with this handler string (the handler's add()).

    Raises HandlerError for an unknown handler or bad arguments, so that add-table
    and change-handler refuse them before anything changes."""
    from engine.londiste.handlers import build_handler

    h = build_handler(table, handler, None)
    out = list(args)
    add = getattr(h, "add", None)
    if add is not None:
        add(out)
    return out
