"""setadm's door: ``python -m engine.cascade [options] CONFIG.ini COMMAND [args]``.

The same ini file and switches as Skytools' ``setadm.py`` (section ``[cascade_admin]``,
as the original's launcher names its service; ``[setadm]`` is read too), and every
command runs the one implementation in ``engine.cascade.admin``.  Keys::

    queue_name = myqueue            # or pgq_queue_name; --queue wins
    db = dbname=mydb host=...       # this node's database (setadm's node_db too)
    node_name = node1               # create-*: the default node name
    public_node_location = ...      # create-*: how the other nodes reach this one
    initial_provider_location = ... # create-branch/leaf: the default --provider
    remote_extra_connstr = ...      # libpq settings added for the other nodes

``worker`` runs this node's cascade worker (``engine.cascade.worker``) with the same
file.  Steps go to stderr as they happen; an error is one line and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import psycopg2

from engine.admin import AdminError
from engine.cascade.admin import CascadeAdmin, CascadeError, NodeStatus
from engine.config import Config, ConfigError
from engine.db import ConnInfo, describe_error

__all__ = ["COMMANDS", "main"]

SECTIONS = ("cascade_admin", "setadm")
PROG = "python -m engine.cascade"

COMMANDS = {
    "create-root": "create-root NAME [PUBLIC_CONNSTR]   make this database the root node",
    "create-branch": "create-branch NAME [PUBLIC_CONNSTR] --provider=CONNSTR",
    "create-leaf": "create-leaf NAME [PUBLIC_CONNSTR] --provider=CONNSTR [--merge=QUEUE]",
    "status": "status [--compact]                  the whole cascade, from the root",
    "node-status": "node-status                         the local node",
    "node-info": "node-info                           the local node's settings",
    "members": "members                             the member list",
    "change-provider": "change-provider --provider=NODE [--node=N | --consumer=C]",
    "takeover": "takeover OLD_NODE [--node=NEW] [--all] [--dead-root | --dead-branch]",
    "pause": "pause [--node=N] [--consumer=C]     pause a worker and wait",
    "resume": "resume [--node=N] [--consumer=C]    resume a worker and wait",
    "wait-root": "wait-root                           until this node has the root's tick",
    "wait-provider": "wait-provider                       until it has its provider's tick",
    "drop-node": "drop-node NAME                      remove a node from the cascade",
    "tag-dead": "tag-dead NODE ...                   tag nodes dead",
    "tag-alive": "tag-alive NODE ...                  tag nodes alive again",
    "rename-node": "rename-node OLD NEW                 rename a node everywhere",
    "resurrect": "resurrect                           bring a dead old root back as a branch",
    "install": "install                             install pgq and pgq_node here",
    "worker": "worker [switches]                   run this node's cascade worker",
}
# how many positional arguments each command takes: (least, most); None: any number
_ARGS: dict[str, tuple[int, int | None]] = {
    "create-root": (0, 2),
    "create-branch": (0, 2),
    "create-leaf": (0, 2),
    "takeover": (0, 1),
    "drop-node": (1, 1),
    "tag-dead": (1, None),
    "tag-alive": (1, None),
    "rename-node": (2, 2),
}
# switches that take a value (the worker's are passed on untouched)
_VALUED = {
    "--provider",
    "--queue",
    "--worker",
    "--node",
    "--consumer",
    "--target",
    "--merge",
    "--dead",
    "--sync-watermark",
    "--dump-file",
    "--timeout",
}


class UsageError(Exception):
    """The command line or the config file is wrong."""


def _parser() -> argparse.ArgumentParser:
    usage = "\n".join(
        [f"{PROG} [options] CONFIG.ini COMMAND [args]", "", "commands:"]
        + [f"  {line}" for line in COMMANDS.values()]
    )
    p = argparse.ArgumentParser(
        prog=PROG,
        usage=usage,
        description="Administer a cascaded queue (pgq_node) with Skytools setadm's commands.",
    )
    p.add_argument("config", metavar="CONFIG.ini")
    p.add_argument("command", metavar="COMMAND")
    p.add_argument("args", nargs="*", default=[], metavar="ARG")
    g = p.add_argument_group("cascade admin options")
    g.add_argument("--connstr", action="store_true", help="(the original's; ignored)")
    g.add_argument("--provider", help="create-*: the provider's connect string; else its name")
    g.add_argument("--queue", help="the cascaded queue (default: queue_name of the config)")
    g.add_argument("--worker", help="create-*: the node's worker name (default: node name)")
    g.add_argument("--node", help="the node to act on")
    g.add_argument("--consumer", help="the cascaded consumer to act on")
    g.add_argument("--target", help="takeover: the node taking over (as --node)")
    g.add_argument("--merge", help="create-leaf: the combined queue")
    g.add_argument("--dead", action="append", default=[], help="assume this node is dead")
    g.add_argument("--dead-root", action="store_true", help="takeover: the old root is dead")
    g.add_argument("--dead-branch", action="store_true", help="takeover: the old branch is dead")
    g.add_argument("--sync-watermark", help="create-branch: nodes to sync the watermark with")
    g.add_argument("--nocheck", action="store_true", help="create-*: skip the location check")
    g.add_argument("--compact", action="store_true", help="status: one line per node")
    g.add_argument("--all", action="store_true", help="takeover: move all old subscribers")
    g.add_argument("--dump-file", help="resurrect: where the lost events go")
    g.add_argument("--timeout", type=float, help="waits: give up after so many seconds")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return p


def _split_worker(argv: list[str]) -> list[str] | None:
    """The worker's command line when COMMAND is worker: the config and the switches."""
    positional = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in _VALUED
            continue
        positional.append(i)
        if len(positional) == 2:
            break
    if len(positional) == 2 and argv[positional[1]] == "worker":
        rest = argv[: positional[1]] + argv[positional[1] + 1 :]
        config = rest.pop(positional[0])
        return [config, *[a for a in rest if a not in ("-q", "--quiet")]]
    return None


def read_config(path: str, sections: Sequence[str] = SECTIONS) -> Config:
    """The first of the sections the ini file has (the original tools' service names)."""
    last: ConfigError | None = None
    for section in sections:
        try:
            return Config(section, path)
        except ConfigError as err:
            if "no [" not in str(err):
                raise UsageError(str(err)) from None
            last = err
    raise UsageError(
        str(last).replace(f"[{sections[-1]}]", " or ".join(f"[{s}]" for s in sections))
    )


def _interval(seconds: float | None) -> str:
    if seconds is None:
        return "(n/a)"
    secs = int(seconds)
    days, secs = divmod(secs, 86400)
    hours, secs = divmod(secs, 3600)
    mins, secs = divmod(secs, 60)
    out = f"{days}d" if days else ""
    out += f"{hours}h" if hours else ""
    out += f"{mins}m" if mins else ""
    return out + f"{secs}s"


def _title(node: NodeStatus) -> str:
    if node.dead:
        return f"{node.name} (dead)"
    if not node.reachable:
        return f"{node.name} (down: {node.error})"
    return f"{node.name} ({node.node_type})"


def _info_lines(node: NodeStatus) -> list[str]:
    if not node.reachable:
        return []
    line = f"Lag: {_interval(node.lag)}"
    if node.last_tick is not None:
        line += f", Tick: {node.last_tick}"
    if node.paused:
        line += ", PAUSED"
    if not node.uptodate:
        line += ", NOT UPTODATE"
    lines = [line]
    for attr in (node.attrs or "").split("&"):
        if attr:
            lines.append(f"Attr: {attr}")
    if node.last_error:
        lines.append(f"ERR: {node.worker_name}: {node.last_error}")
    return lines


def _print_status(nodes: list[NodeStatus], local: str | None, queue: str, compact: bool) -> None:
    print(f"Queue: {queue}   Local node: {local}")
    print()
    for node in nodes:
        pad = "    " * node.depth
        if compact:
            print((pad + _title(node)).ljust(50) + "  ".join(_info_lines(node)))
            continue
        print(pad + _title(node))
        for line in _info_lines(node):
            print(pad + "    " + line)


def _print_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    text = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in text:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


class Door:
    """One command of the door, with the config and switches it was given."""

    def __init__(self, opts: argparse.Namespace, cf: Config) -> None:
        self.opts = opts
        self.cf = cf
        queue = opts.queue or cf.get_first(("queue_name", "pgq_queue_name"), "")
        if not queue:
            raise UsageError(f"queue_name is not set in {cf.filename} (or give --queue)")
        self.queue = queue
        db = cf.get_first(("db", "node_db"), "")
        if not db:
            raise UsageError(f"db is not set in [{cf.section}] of {cf.filename}")
        try:
            self.conninfo = ConnInfo.parse(db)
            extra = ConnInfo.parse(cf.get("remote_extra_connstr", "") or None)
        except psycopg2.Error as err:
            raise UsageError(f"bad connect string in {cf.filename}: {err}") from None
        quiet = opts.quiet
        self.admin = CascadeAdmin(
            self.conninfo,
            queue,
            progress=(lambda s: None) if quiet else (lambda s: print(s, file=sys.stderr)),
            remote_extra=extra,
            wait_timeout=opts.timeout,
        )

    def run(self, command: str, args: list[str]) -> None:
        least, most = _ARGS.get(command, (0, 0))
        if len(args) < least or (most is not None and len(args) > most):
            raise UsageError(f"usage: {COMMANDS[command]}")
        for node in self.opts.dead:
            self.admin.assume_dead(node)
        getattr(self, "cmd_" + command.replace("-", "_"))(*args)

    # -- creating ----------------------------------------------------------------------
    def _create(self, kind: str, args: list[str]) -> None:
        name = args[0] if args else self.cf.get("node_name", "")
        if not name:
            raise UsageError("give the node name (or node_name in the config)")
        location = args[1] if len(args) > 1 else self.cf.get("public_node_location", "") or None
        options: dict[str, Any] = {
            "worker": self.opts.worker,
            "check_location": not self.opts.nocheck,
        }
        if self.opts.sync_watermark:
            options["sync_watermark"] = self.opts.sync_watermark
        if kind == "root":
            self.admin.create_root(name, location, **options)
            return
        provider = self.opts.provider or self.cf.get("initial_provider_location", "")
        if not provider:
            raise UsageError(f"create-{kind} needs --provider (or initial_provider_location)")
        if kind == "branch":
            self.admin.create_branch(name, provider, location, **options)
        else:
            self.admin.create_leaf(name, provider, location, self.opts.merge, **options)

    def cmd_create_root(self, *args: str) -> None:
        self._create("root", list(args))

    def cmd_create_branch(self, *args: str) -> None:
        self._create("branch", list(args))

    def cmd_create_leaf(self, *args: str) -> None:
        self._create("leaf", list(args))

    def cmd_install(self) -> None:
        done = self.admin.install_code()
        if not done:
            print("pgq and pgq_node are installed already", file=sys.stderr)

    # -- looking -------------------------------------------------------------------------
    def cmd_status(self) -> None:
        nodes = self.admin.status()
        _print_status(nodes, self.admin.local_node(), self.queue, self.opts.compact)

    def cmd_members(self) -> None:
        table = self.admin.members()
        print(f"Member info on {self.admin.local_node()}@{self.queue}:")
        _print_table(table.columns, table.rows)

    def cmd_node_status(self) -> None:
        node = self.admin.node_status(self.admin.local_node() or "")
        print(_title(node))
        print(f"    Provider: {node.provider or '--'}")
        print(f"    Subscribers: {', '.join(node.subscribers)}")
        for line in _info_lines(node):
            print("    " + line)

    def cmd_node_info(self) -> None:
        info = self.admin.local_info()
        members = {r[0]: r for r in self.admin.members().rows}
        me = members.get(info.node_name)
        states = []
        if me is not None and me[1]:
            states.append("DEAD")
        if info.worker_paused:
            states.append("PAUSED")
        if not info.worker_uptodate:
            states.append("NON-UP-TO-DATE")
        print(f"Node: {info.node_name}  Type: {info.node_type}  Queue: {self.queue}")
        print(f"Status: {', '.join(states) or 'OK'}")
        root = info.node_type == "root"
        print(f"Provider: {'--' if root else info.provider_node}")
        print("Connect strings:")
        print(f"  Local   : {self.conninfo.without_password(mask=True).to_dsn()}")
        if me is not None:
            print(f"  Public  : {me[2]}")
        if not root:
            print(f"  Provider: {info.provider_location}")
        if info.combined_queue:
            print(f"Combined Queue: {info.combined_queue}  (node type: {info.combined_type})")

    # -- acting ----------------------------------------------------------------------------
    def _target(self) -> tuple[str, str | None]:
        """The node and consumer --node / --consumer name (a consumer searched for)."""
        node, consumer = self.opts.node, self.opts.consumer
        if node:
            return node, consumer
        if consumer:
            found = self.admin.find_consumer(consumer)
            return found, consumer
        return self.admin.local_node() or "", None

    def cmd_pause(self) -> None:
        node, consumer = self._target()
        self.admin.pause(node, consumer)

    def cmd_resume(self) -> None:
        node, consumer = self._target()
        self.admin.resume(node, consumer)

    def cmd_change_provider(self) -> None:
        if not self.opts.provider:
            raise UsageError("change-provider needs --provider=NODE")
        node, consumer = self._target()
        self.admin.change_provider(node, self.opts.provider, consumer)

    def cmd_takeover(self, *args: str) -> None:
        old = args[0] if args else None
        new = self.opts.node or self.opts.target or self.admin.local_node() or ""
        if not old:
            raise UsageError("takeover needs the node taken over: takeover OLD_NODE")
        if self.opts.dead_root:
            self.admin.tag_dead(old)
            self.admin.failover(new)
        elif self.opts.dead_branch:
            self.admin.takeover_dead_branch(old, new)
        else:
            self.admin.switchover(new, old=old, all_subscribers=self.opts.all)

    def cmd_wait_root(self) -> None:
        self.admin.wait_root(timeout=self.opts.timeout)

    def cmd_wait_provider(self) -> None:
        self.admin.wait_provider(timeout=self.opts.timeout)

    def cmd_drop_node(self, name: str) -> None:
        self.admin.drop_node(name)

    def cmd_tag_dead(self, *names: str) -> None:
        for name in names:
            self.admin.tag_dead(name)

    def cmd_tag_alive(self, *names: str) -> None:
        for name in names:
            self.admin.tag_alive(name)

    def cmd_rename_node(self, old: str, new: str) -> None:
        self.admin.rename_node(old, new)

    def cmd_resurrect(self) -> None:
        node = self.opts.node or self.admin.local_node() or ""
        path = self.admin.resurrect(node, self.opts.dump_file)
        print(f"lost events: {path}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 when it did what was asked, 1 on an error, 2 on bad usage."""
    args = list(sys.argv[1:] if argv is None else argv)
    worker_argv = _split_worker(args)
    if worker_argv is not None:
        from engine.cascade import worker

        return worker.main(worker_argv)
    parser = _parser()
    opts = parser.parse_args(args)
    if opts.command not in COMMANDS:
        parser.error(f"unknown command {opts.command!r}; commands: {', '.join(COMMANDS)}")
    try:
        door = Door(opts, read_config(opts.config))
    except UsageError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    try:
        door.run(opts.command, opts.args)
    except UsageError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    except (AdminError, CascadeError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    except psycopg2.Error as err:
        print(f"{PROG}: error: {describe_error(err, context=False)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted: run the command again to finish it", file=sys.stderr)
        return 130
    finally:
        door.admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
