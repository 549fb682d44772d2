"""Cascade commands (pgq_node): nodes, their worker, status, provider changes, takeovers.

Each command acts on one cascaded queue: the one after ON, else the console's
default queue (queue is None here).  Connect strings arrive as 'string' tokens
and node names as plain values; both are normalised in __post_init__.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lark import Token

from qadmin.ast.base import Command, Setting
from qadmin.literals import unquote_name, unquote_string

__all__ = [
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
]


def _text(value: Any) -> Any:
    """A terminal the core transformer left as a token, as its plain value."""
    if not isinstance(value, Token):
        return value
    if value.type == "STRING":
        return unquote_string(value)
    if value.type in ("NAME", "QUOTED_NAME"):
        return unquote_name(value)
    if value.type == "NUMBER":
        return float(value)
    return str(value)


def _normalise(obj: object, *names: str) -> None:
    for name in names:
        object.__setattr__(obj, name, _text(getattr(obj, name)))  # frozen dataclass


# -- creating nodes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateRootNode(Command):
    """Make this database the root node of a cascaded queue: create root node <name> [location '<connstr>'] [on <queue>];

    Installs nothing: pgq and pgq_node must be installed (INSTALL pgq_node;).
    Creates the queue if it does not exist.  LOCATION is the connect string
    other nodes use to reach this one (default: the console's connection,
    without a password); it should name a host.  Producers insert events on
    the root only; the ticker ticks it.
    Example: create root node n1 location 'host=db1 dbname=app' on orders;
    """

    watchable: ClassVar[bool] = False

    name: str
    location: str | None = None
    queue: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "location")


@dataclass(frozen=True, slots=True)
class CreateBranchNode(Command):
    """Make this database a branch node: create branch node <name> [location '<connstr>'] provider '<connstr>' [on <queue>];

    PROVIDER is the connect string of an existing node of the cascade (root or
    branch); the new node subscribes to it and gets a full copy of the queue,
    so it can be a provider itself and take over from the root.  START WORKER
    then runs the worker that copies the events.
    Example: create branch node n2 location 'host=db2 dbname=app' provider 'host=db1 dbname=app';
    """

    watchable: ClassVar[bool] = False

    name: str
    location: str | None
    provider: str
    queue: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "location", "provider")


@dataclass(frozen=True, slots=True)
class CreateLeafNode(Command):
    """Make this database a leaf node: create leaf node <name> [location '<connstr>'] provider '<connstr>' [merge <queue>] [on <queue>];

    A leaf keeps no copy of the queue: its worker only applies the events, so
    it cannot be a provider.  MERGE names a local queue (root or branch on
    this database) that the leaf's events are copied into: several cascades
    merged into one.
    """

    watchable: ClassVar[bool] = False

    name: str
    location: str | None
    provider: str
    merge: str | None = None
    queue: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "location", "provider")


@dataclass(frozen=True, slots=True)
class StartWorker(Command):
    """Start the cascade worker of this node: start worker [on <queue>] [as <name>] [with <key>=<value>, ...];

    The worker copies batches from the node's provider (on a branch: events
    and ticks; on a leaf: events only) and on the root publishes the global
    watermark.  It runs detached like START CONSUMER (SHOW DAEMONS, STOP,
    SHOW LOG); the daemon is named after the node's worker unless AS names it.
    Keys are the worker's ini keys, e.g. loop_delay (seconds between polls),
    pgq_lazy_fetch, global_wm_publish_period, local_wm_publish_period,
    remote_extra_connstr.
    Example: start worker on orders with loop_delay=0.2;
    """

    watchable: ClassVar[bool] = False

    queue: str | None = None
    daemon: str | None = None
    options: tuple[Setting, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options or ()))


# -- looking at the cascade ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShowNodes(Command):
    """Show the cascade as a tree from the root: show nodes [on <queue>];

    Every member is asked for its state: type, provider, lag, last tick,
    paused or not up to date, the last error of its worker.  A member that
    cannot be reached, or that is tagged dead, is marked so.
    """

    queue: str | None = None


@dataclass(frozen=True, slots=True)
class ShowNode(Command):
    """Show one node: show node <node> [on <queue>];

    Its type, provider, worker, lag, last tick and status, its subscribers and
    the member list (locations) as that node knows them.
    """

    node: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class ShowMembers(Command):
    """Show the members of a cascade and their locations: show members [on <queue>];"""

    queue: str | None = None


# -- changing the cascade -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlterNodeProvider(Command):
    """Make a node read from another provider: alter node <node> set provider <node> [on <queue>];

    The node's worker is paused, subscribed on the new provider at the tick it
    has reached, moved, and resumed; the old provider forgets it.
    """

    watchable: ClassVar[bool] = False

    node: str
    provider: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class AlterNodeLocation(Command):
    """Change the connect string of a node: alter node <node> set location '<connstr>' [on <queue>];

    The new location is registered on the root, which passes it on to every
    member.
    """

    watchable: ClassVar[bool] = False

    node: str
    location: str
    queue: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "location")


@dataclass(frozen=True, slots=True)
class Switchover(Command):
    """Make a branch the new root while the old root is alive: switchover to <node> [on <queue>];

    The old root stops taking events, the new node catches up to its last
    tick, becomes root, and the old root becomes a branch under it.  No event
    is lost.  Asks for confirmation in the interactive console.
    """

    watchable: ClassVar[bool] = False

    node: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class Failover(Command):
    """Make a branch the new root when the old root is dead: failover to <node> [on <queue>];

    The old root is tagged dead everywhere, the most advanced node takes over,
    and the other subscribers are moved to the new root.  Events the dead root
    had not passed on are lost until RESURRECT NODE recovers them.  Asks for
    confirmation in the interactive console.
    """

    watchable: ClassVar[bool] = False

    node: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class ResurrectNode(Command):
    """Bring an old root back after a failover: resurrect node <node> [to '<file.json>'] [on <queue>];

    The old root becomes a branch under the new root again.  Events it had
    that never reached the cascade are written to the file (default
    resurrect-lost-events.json) and removed; its worker is left paused.
    """

    watchable: ClassVar[bool] = False

    node: str
    dump_file: str | None = None
    queue: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "dump_file")


@dataclass(frozen=True, slots=True)
class PauseNode(Command):
    """Pause a node's worker (waits until it stopped): pause node <node> [on <queue>];"""

    watchable: ClassVar[bool] = False

    node: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class ResumeNode(Command):
    """Let a paused node's worker go on: resume node <node> [on <queue>];"""

    watchable: ClassVar[bool] = False

    node: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class DropNode(Command):
    """Remove a node from the cascade: drop node <node> [on <queue>];

    Refused while it still has subscribers (move them first with ALTER NODE
    ... SET PROVIDER).  The node's own queue and state are dropped and every
    member forgets it.  Asks for confirmation in the interactive console.
    """

    watchable: ClassVar[bool] = False

    node: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class RenameNode(Command):
    """Rename a node on every member: rename node <node> to <new_name> [on <queue>];"""

    watchable: ClassVar[bool] = False

    node: str
    new_name: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class TagNodeDead(Command):
    """Mark a node dead on every other member: tag node <node> dead [on <queue>];

    Members stop trying to reach it; FAILOVER needs the old root tagged dead
    (it does that itself).
    """

    watchable: ClassVar[bool] = False

    node: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class TagNodeAlive(Command):
    """Mark a node alive again on every member: tag node <node> alive [on <queue>];"""

    watchable: ClassVar[bool] = False

    node: str
    queue: str | None = None


# -- waiting ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitSync(Command):
    """Wait until every node has caught up with the root: wait sync [timeout <seconds>] [on <queue>];

    Waits for the root's last tick on every live member; without TIMEOUT at
    most 60 seconds.  ^C stops waiting.
    """

    watchable: ClassVar[bool] = False

    timeout: float | None = None
    queue: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "timeout")


@dataclass(frozen=True, slots=True)
class WaitRoot(Command):
    """Wait until this node has caught up with the root: wait root [timeout <seconds>] [on <queue>];

    This node is the one the console is connected to; without TIMEOUT at most
    60 seconds.
    """

    watchable: ClassVar[bool] = False

    timeout: float | None = None
    queue: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "timeout")


@dataclass(frozen=True, slots=True)
class WaitProvider(Command):
    """Wait until this node has caught up with its provider: wait provider [timeout <seconds>] [on <queue>];

    This node is the one the console is connected to; without TIMEOUT at most
    60 seconds.
    """

    watchable: ClassVar[bool] = False

    timeout: float | None = None
    queue: str | None = None

    def __post_init__(self) -> None:
        _normalise(self, "timeout")
