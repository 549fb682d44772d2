"""The console's own errors: a command that cannot run as given."""

from __future__ import annotations

from engine.admin import AdminError

__all__ = ["CommandError"]


class CommandError(AdminError):
    """A command cannot run as given (no default queue, bad setting ...); hint says what to do."""
