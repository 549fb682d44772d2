"""Queue commands: create, alter, drop, rename, show, tick."""

from __future__ import annotations

from dataclasses import dataclass

from qadmin.ast.base import All, Command, Pattern, Setting

__all__ = [
    "AlterQueue",
    "CreateQueue",
    "DropQueue",
    "RenameQueue",
    "ShowQueue",
    "ShowQueueStats",
    "Tick",
]


@dataclass(frozen=True, slots=True)
class CreateQueue(Command):
    """Create a queue: create queue <name> [with <setting>=<value>, ...];

    Settings as in alter queue, e.g.
        create queue q1 with max_count=1000, max_lag='1 second';
    """

    name: str
    settings: tuple[Setting, ...]


@dataclass(frozen=True, slots=True)
class AlterQueue(Command):
    """Change queue settings: alter queue (<queue> | *) set <setting>=<value> [, ...];

    Settings (short name = full name):
        max_count       = ticker_max_count     tick after this many events
        max_lag         = ticker_max_lag       tick when events are this old ('3 s')
        idle_period     = ticker_idle_period   tick at least this often when idle
        paused          = ticker_paused        the ticker skips the queue (true/false)
        rotation_period                        how often event tables rotate ('2 hours')
        external_ticker                        ticks come from elsewhere (cascading)
        per_tx_limit                           max events per transaction (null = no limit)
        disable_insert                         refuse new events (true/false)
        extra_maint                            extra maintenance functions ('{f1,f2}')
        notify                                 producers send NOTIFY pgq_insert
    """

    queue: str | All
    settings: tuple[Setting, ...]


@dataclass(frozen=True, slots=True)
class DropQueue(Command):
    """Drop a queue and its events: drop queue <queue> [force];

    Without FORCE a queue that still has consumers is not dropped; FORCE
    unregisters them first.  Asks for confirmation in the interactive console.
    """

    queue: str
    force: bool


@dataclass(frozen=True, slots=True)
class RenameQueue(Command):
    """Rename a queue: rename queue <queue> to <new_name>;"""

    queue: str
    new_name: str


@dataclass(frozen=True, slots=True)
class ShowQueue(Command):
    """Show queues: show queue [<queue> | * | 'pattern*'];

    Without a name: the default queue, or all queues if there is none.
    """

    queue: str | All | Pattern | None


@dataclass(frozen=True, slots=True)
class ShowQueueStats(Command):
    """Show event counts and rates from the ticks: show queue stats [<queue> | *];

    Counts come from the event sequence positions recorded in each tick, for
    the last minute, 5 minutes, hour and all kept ticks.  The console remembers
    each rate it shows; once it has seen a queue twice (WATCH 5 SHOW QUEUE STATS;)
    a rate_trend column draws the newest 1-minute rates as a sparkline, on a
    terminal only.
    """

    queue: str | All | None


@dataclass(frozen=True, slots=True)
class Tick(Command):
    """Tick a queue now (close the current batch window): tick [<queue> | *];"""

    queue: str | All | None
