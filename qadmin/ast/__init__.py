"""The console's typed syntax tree: one frozen dataclass per command, a module per family.

Each command class maps to the grammar rule of the same name in snake_case
(``CreateQueue`` <-> ``create_queue``), wired by ``lark.ast_utils``.  The first
line of a command's docstring is its one-line help; the rest is ``HELP <cmd>``.
A new family adds ``qadmin/ast/<family>.py`` and one import line here; the
package imports no engine and no driver, so parsing needs neither.
"""

from __future__ import annotations

from qadmin.ast.base import (
    ALL,
    All,
    AtTick,
    Command,
    CopyFrom,
    Pattern,
    Setting,
    command_classes,
    node_classes,
)
from qadmin.ast.consumer import (
    FinishBatch,
    NextBatch,
    RegisterConsumer,
    RegisterSubconsumer,
    RenameConsumer,
    ShowBatchEvents,
    ShowBatchInfo,
    ShowConsumer,
    UnregisterConsumer,
    UnregisterSubconsumer,
)
from qadmin.ast.daemon import (
    ForgetDaemon,
    ForgetStopped,
    ReloadDaemon,
    RestartDaemon,
    ShowDaemons,
    ShowLog,
    StartConsumer,
    StartConsumerFrom,
    StartTicker,
    StopDaemon,
)
from qadmin.ast.event import DeleteEvent, InsertEvent
from qadmin.ast.objects import ShowSequence, ShowTable
from qadmin.ast.queue import (
    AlterQueue,
    CreateQueue,
    DropQueue,
    RenameQueue,
    ShowQueue,
    ShowQueueStats,
    Tick,
)
from qadmin.ast.session import (
    Connect,
    Exit,
    Help,
    Install,
    Refresh,
    SetExpanded,
    SetFormat,
    SetTiming,
    ShowVersion,
    Watch,
)
from qadmin.ast.sql import Sql

__all__ = [
    "ALL",
    "All",
    "AlterQueue",
    "AtTick",
    "Command",
    "Connect",
    "CopyFrom",
    "CreateQueue",
    "DeleteEvent",
    "DropQueue",
    "Exit",
    "FinishBatch",
    "ForgetDaemon",
    "ForgetStopped",
    "Help",
    "InsertEvent",
    "Install",
    "NextBatch",
    "Pattern",
    "Refresh",
    "RegisterConsumer",
    "RegisterSubconsumer",
    "ReloadDaemon",
    "RenameConsumer",
    "RenameQueue",
    "RestartDaemon",
    "SetExpanded",
    "SetFormat",
    "SetTiming",
    "Setting",
    "ShowBatchEvents",
    "ShowBatchInfo",
    "ShowConsumer",
    "ShowDaemons",
    "ShowLog",
    "ShowQueue",
    "ShowQueueStats",
    "ShowSequence",
    "ShowTable",
    "ShowVersion",
    "Sql",
    "StartConsumer",
    "StartConsumerFrom",
    "StartTicker",
    "StopDaemon",
    "Tick",
    "UnregisterConsumer",
    "UnregisterSubconsumer",
    "Watch",
    "command_classes",
    "node_classes",
]
