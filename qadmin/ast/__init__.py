"""The console's typed syntax tree: one frozen dataclass per command, a module per family.

Each command class maps to the grammar rule of the same name in snake_case
(``CreateQueue`` <-> ``create_queue``), wired by ``qadmin.transform``.  The first
line of a command's docstring is its one-line help; the rest is ``HELP <cmd>``.
The package imports no engine and no driver, so parsing needs neither.

A family's module is imported when one of its names is first used
(``ast.ShowQueue``, ``from qadmin.ast import ShowQueue``): building a hundred
frozen slotted dataclasses took ~60 ms of every start-up, and ``qadmin -c``
needs one family.  A new family adds ``qadmin/ast/<family>.py``, its entry in
``FAMILIES`` and its import under ``TYPE_CHECKING`` (tests/unit/test_ast_lazy.py
checks the three agree).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from qadmin.ast.base import (
    ALL,
    All,
    AtTick,
    Command,
    CopyFrom,
    Pattern,
    Setting,
    command_classes,
    is_node_class,
    loaded_node_classes,
    node_classes,
)

if TYPE_CHECKING:
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
        StartExporter,
        StartTicker,
        StopDaemon,
    )
    from qadmin.ast.event import DeleteEvent, InsertEvent
    from qadmin.ast.londiste import (
        LondisteAddSequence,
        LondisteAddTable,
        LondisteChangeHandler,
        LondisteCompare,
        LondisteExecute,
        LondisteFkeys,
        LondisteRemoveSequence,
        LondisteRemoveTable,
        LondisteRepair,
        LondisteResync,
        LondisteShowMissing,
        LondisteShowSequences,
        LondisteShowTables,
        LondisteStatus,
        LondisteWaitSync,
        StartLondiste,
    )
    from qadmin.ast.node import (
        AlterNodeLocation,
        AlterNodeProvider,
        CreateBranchNode,
        CreateLeafNode,
        CreateRootNode,
        DropNode,
        Failover,
        PauseNode,
        RenameNode,
        ResumeNode,
        ResurrectNode,
        ShowMembers,
        ShowNode,
        ShowNodes,
        StartWorker,
        Switchover,
        TagNodeAlive,
        TagNodeDead,
        WaitProvider,
        WaitRoot,
        WaitSync,
    )
    from qadmin.ast.objects import ShowSequence, ShowTable
    from qadmin.ast.plot import PlotLag
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
    from qadmin.ast.variable import Echo, SetVariable, UnsetVariable

# family module (qadmin.ast.<family>) -> the names it defines
FAMILIES: dict[str, tuple[str, ...]] = {
    "consumer": (
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
    ),
    "daemon": (
        "ForgetDaemon",
        "ForgetStopped",
        "ReloadDaemon",
        "RestartDaemon",
        "ShowDaemons",
        "ShowLog",
        "StartConsumer",
        "StartConsumerFrom",
        "StartExporter",
        "StartTicker",
        "StopDaemon",
    ),
    "event": (
        "DeleteEvent",
        "InsertEvent",
    ),
    "londiste": (
        "LondisteAddSequence",
        "LondisteAddTable",
        "LondisteChangeHandler",
        "LondisteCompare",
        "LondisteExecute",
        "LondisteFkeys",
        "LondisteRemoveSequence",
        "LondisteRemoveTable",
        "LondisteRepair",
        "LondisteResync",
        "LondisteShowMissing",
        "LondisteShowSequences",
        "LondisteShowTables",
        "LondisteStatus",
        "LondisteWaitSync",
        "StartLondiste",
    ),
    "node": (
        "AlterNodeLocation",
        "AlterNodeProvider",
        "CreateBranchNode",
        "CreateLeafNode",
        "CreateRootNode",
        "DropNode",
        "Failover",
        "PauseNode",
        "RenameNode",
        "ResumeNode",
        "ResurrectNode",
        "ShowMembers",
        "ShowNode",
        "ShowNodes",
        "StartWorker",
        "Switchover",
        "TagNodeAlive",
        "TagNodeDead",
        "WaitProvider",
        "WaitRoot",
        "WaitSync",
    ),
    "objects": (
        "ShowSequence",
        "ShowTable",
    ),
    "plot": ("PlotLag",),
    "queue": (
        "AlterQueue",
        "CreateQueue",
        "DropQueue",
        "RenameQueue",
        "ShowQueue",
        "ShowQueueStats",
        "Tick",
    ),
    "session": (
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
    ),
    "sql": ("Sql",),
    "variable": (
        "Echo",
        "SetVariable",
        "UnsetVariable",
    ),
}
_FAMILY_OF = {name: family for family, names in FAMILIES.items() for name in names}


def load_families() -> None:
    """Import every family (what listing all classes needs)."""
    for family in FAMILIES:
        importlib.import_module(f"qadmin.ast.{family}")


if not TYPE_CHECKING:  # type checkers see the imports above, and flag a misspelt name

    def __getattr__(name: str) -> Any:
        """A family's class, importing its module on first use."""
        family = _FAMILY_OF.get(name)
        if family is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"qadmin.ast.{family}"), name)
        globals()[name] = value  # later lookups are plain module attributes
        return value


__all__ = [
    "ALL",
    "FAMILIES",
    "All",
    "AlterNodeLocation",
    "AlterNodeProvider",
    "AlterQueue",
    "AtTick",
    "Command",
    "Connect",
    "CopyFrom",
    "CreateBranchNode",
    "CreateLeafNode",
    "CreateQueue",
    "CreateRootNode",
    "DeleteEvent",
    "DropNode",
    "DropQueue",
    "Echo",
    "Exit",
    "Failover",
    "FinishBatch",
    "ForgetDaemon",
    "ForgetStopped",
    "Help",
    "InsertEvent",
    "Install",
    "LondisteAddSequence",
    "LondisteAddTable",
    "LondisteChangeHandler",
    "LondisteCompare",
    "LondisteExecute",
    "LondisteFkeys",
    "LondisteRemoveSequence",
    "LondisteRemoveTable",
    "LondisteRepair",
    "LondisteResync",
    "LondisteShowMissing",
    "LondisteShowSequences",
    "LondisteShowTables",
    "LondisteStatus",
    "LondisteWaitSync",
    "NextBatch",
    "Pattern",
    "PauseNode",
    "PlotLag",
    "Refresh",
    "RegisterConsumer",
    "RegisterSubconsumer",
    "ReloadDaemon",
    "RenameConsumer",
    "RenameNode",
    "RenameQueue",
    "RestartDaemon",
    "ResumeNode",
    "ResurrectNode",
    "SetExpanded",
    "SetFormat",
    "SetTiming",
    "SetVariable",
    "Setting",
    "ShowBatchEvents",
    "ShowBatchInfo",
    "ShowConsumer",
    "ShowDaemons",
    "ShowLog",
    "ShowMembers",
    "ShowNode",
    "ShowNodes",
    "ShowQueue",
    "ShowQueueStats",
    "ShowSequence",
    "ShowTable",
    "ShowVersion",
    "Sql",
    "StartConsumer",
    "StartConsumerFrom",
    "StartExporter",
    "StartLondiste",
    "StartTicker",
    "StartWorker",
    "StopDaemon",
    "Switchover",
    "TagNodeAlive",
    "TagNodeDead",
    "Tick",
    "UnregisterConsumer",
    "UnregisterSubconsumer",
    "UnsetVariable",
    "WaitProvider",
    "WaitRoot",
    "WaitSync",
    "Watch",
    "command_classes",
    "is_node_class",
    "load_families",
    "loaded_node_classes",
    "node_classes",
]
