"""Session commands: connect, install, help, settings, watch."""

from __future__ import annotations

from dataclasses import dataclass

from qadmin.ast.base import Command

__all__ = [
    "Connect",
    "Exit",
    "Help",
    "Install",
    "Refresh",
    "SetExpanded",
    "SetFormat",
    "SetTiming",
    "ShowVersion",
    "Watch",
]


@dataclass(frozen=True, slots=True)
class Connect(Command):
    """Connect or switch queue: connect [dbname=D] [host=H] [port=P] [user=U] [queue=Q] [node=N] ...;

    Any libpq key works (password, sslmode, service, application_name ...).
    With libpq keys a new connection replaces the current one, the keys not
    given come from the current connection.  `connect queue=q;` alone only
    switches the default queue.  `node=N` connects to the cascade node N of
    the default queue (needs pgq_node).
    """

    params: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Install(Command):
    """Install or upgrade SQL modules: install pgq | pgq_coop | pgq_node | londiste | qadmin_ext | all [, ...] [without roles];

    Installs what each module needs first, all in one transaction; running it
    again replaces the functions and keeps queues, consumers and events.
    `without roles` does not create the roles pgq_reader, pgq_writer and
    pgq_admin when they are missing (a database owner without CREATEROLE).
    """

    modules: tuple[str, ...]
    without_roles: bool | None = None


@dataclass(frozen=True, slots=True)
class Help(Command):
    """Show help: help; help <command>;  (also: show help; \\?)"""

    topic: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Exit(Command):
    """Leave the console: exit;  quit;  \\q  (or ^D)"""


@dataclass(frozen=True, slots=True)
class SetFormat(Command):
    """Choose the output format: set format aligned | expanded | csv | json;"""

    format: str


@dataclass(frozen=True, slots=True)
class SetTiming(Command):
    """Show how long each command took: set timing on | off;  \\timing [on|off]"""

    on: bool | None = None


@dataclass(frozen=True, slots=True)
class SetExpanded(Command):
    """Toggle expanded output (one record per block): \\x [on|off]"""

    on: bool | None = None


@dataclass(frozen=True, slots=True)
class Refresh(Command):
    """Reload the names used by tab completion: \\refresh"""


@dataclass(frozen=True, slots=True)
class Watch(Command):
    """Repeat a command every N seconds (default 2) until ^C: watch [N] <command>;

    Example: watch 5 show consumer * on *;
    """

    seconds: float | None
    command: Command


@dataclass(frozen=True, slots=True)
class ShowVersion(Command):
    """Show versions of qadmin, the server and the installed modules: show version;"""
