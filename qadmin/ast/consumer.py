"""Consumer commands: register, unregister, rename, subconsumers, batches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qadmin.ast.base import All, AtTick, Command, CopyFrom

__all__ = [
    "FinishBatch",
    "NextBatch",
    "RegisterConsumer",
    "RegisterSubconsumer",
    "RenameConsumer",
    "ShowBatchEvents",
    "ShowBatchInfo",
    "ShowConsumer",
    "UnregisterConsumer",
    "UnregisterSubconsumer",
]


@dataclass(frozen=True, slots=True)
class RegisterConsumer(Command):
    """Register a consumer: register consumer <name> [on <queue>] [at <tick_id> | copy <consumer>];

    AT starts it at (or moves it to) a tick; COPY starts it where another
    consumer stands (its last finished tick).
    """

    consumer: str
    queue: str | None
    position: AtTick | CopyFrom | None


@dataclass(frozen=True, slots=True)
class UnregisterConsumer(Command):
    """Unregister a consumer: unregister consumer (<consumer> | *) [from <queue>];

    Its retry events go too.  `*` (every consumer of the queue) asks for
    confirmation in the interactive console.
    """

    consumer: str | All
    queue: str | None


@dataclass(frozen=True, slots=True)
class RenameConsumer(Command):
    """Rename a consumer on a queue: rename consumer <consumer> to <new_name> [on <queue>];

    Keeps its position, open batch, retry events and subconsumers.
    """

    consumer: str
    new_name: str
    queue: str | None


@dataclass(frozen=True, slots=True)
class RegisterSubconsumer(Command):
    """Register a cooperative subconsumer: register subconsumer <sub> for <consumer> [on <queue>];"""

    subconsumer: str
    consumer: str
    queue: str | None


@dataclass(frozen=True, slots=True)
class UnregisterSubconsumer(Command):
    """Unregister subconsumers: unregister subconsumer (<sub> | *) for <consumer> [from <queue>] [close batch];

    CLOSE BATCH drops a batch the subconsumer has open (its events are lost
    for this consumer); without it a subconsumer with an open batch stays.
    """

    subconsumer: str | All
    consumer: str
    queue: str | None
    close_batch: bool


@dataclass(frozen=True, slots=True)
class ShowConsumer(Command):
    """Show consumers: show consumer [(<consumer> | *) [on (<queue> | *)]];

    Without a queue: the default queue, or all queues if there is none.
    The console remembers each lag it shows; once it has seen a consumer twice
    (WATCH 5 SHOW CONSUMER * ON *;) a lag_trend column draws the newest lags as a
    sparkline, on a terminal only (PLOT LAG draws them as a chart).
    """

    consumer: str | All | None
    queue: str | All | None


@dataclass(frozen=True, slots=True)
class ShowBatchInfo(Command):
    """Show where an open batch lies: show batch info (<batch_id> | <consumer>) [on <queue>];"""

    batch: int | str
    queue: str | None


@dataclass(frozen=True, slots=True)
class ShowBatchEvents(Command):
    """Show the events of a batch: show batch events (<batch_id> | <consumer>) [on <queue>];

    For a consumer without an open batch: the events its next batch would hold,
    read-only (no batch is opened; NEXT BATCH opens it).
    """

    batch: int | str
    queue: str | None


@dataclass(frozen=True, slots=True)
class NextBatch(Command):
    """Open a consumer's next batch: next batch <consumer> [on <queue>];

    Shows the batch id and the ticks it lies between, or says that there is no
    batch yet (no tick after the consumer's position: TICK makes one).  A batch
    the consumer has open already is shown again.  Finish it with FINISH BATCH.
    """

    watchable: ClassVar[bool] = False

    consumer: str
    queue: str | None


@dataclass(frozen=True, slots=True)
class FinishBatch(Command):
    """Close an open batch: finish batch (<batch_id> | <consumer>) [on <queue>];

    The consumer moves on past the batch's events (those not put back for retry).
    With ON, the batch must belong to that queue.
    """

    watchable: ClassVar[bool] = False

    batch: int | str
    queue: str | None
