"""londiste3's door: ``python -m engine.londiste [options] CONFIG.ini COMMAND [args]``.

The same ini file, subcommands and switches as Skytools' ``londiste3``: section
``[londiste3]`` (``[londiste]`` is read too), keys ``db``, ``queue_name``,
``public_node_location``, ``initial_provider_location``, ``remote_extra_connstr``,
``lock_timeout`` (seconds, compare / repair), ``node_name`` (create-*: the default
node name).  The Londiste commands run ``engine.londiste.admin``; the cascade ones
(create-root, create-branch, create-leaf, members, takeover, pause ...) run the
cascade door's code (``engine.cascade.__main__``) with a LondisteAdmin, so a new
branch or leaf also learns its provider's tables and sequences.  ``worker`` runs
``engine.londiste.worker`` with the same file.  An error is one line and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import psycopg2

from engine.admin import AdminError
from engine.cascade import __main__ as cascade_door
from engine.cascade.admin import CascadeError
from engine.config import Config, ConfigError
from engine.db import describe_error
from engine.londiste.admin import LondisteAdmin

__all__ = ["COMMANDS", "main"]

SECTIONS = ("londiste3", "londiste")
PROG = "python -m engine.londiste"

LONDISTE_COMMANDS = {
    "add-table": "add-table TABLE ... [--all] [--create|--create-full] [--expect-sync]"
    " [--from-dump [--dump-file=PATH]] ...",
    "remove-table": "remove-table TABLE ...                stop replicating tables here",
    "add-seq": "add-seq SEQ ... [--all]               replicate sequences here",
    "remove-seq": "remove-seq SEQ ...                    stop replicating sequences",
    "tables": "tables                                the tables replicated here",
    "seqs": "seqs                                  the sequences of the set",
    "missing": "missing                               what the provider has that is not here",
    "resync": "resync TABLE ...                      copy tables again",
    "compare": "compare [TABLE ...] [--count-only]    compare with the provider",
    "repair": "repair [TABLE ...] [--apply]          fix-up SQL for differences",
    "execute": "execute FILE ... [--wait] [--timeout=S]  run DDL on every node",
    "wait-sync": "wait-sync [--timeout=S]               until every table is in sync",
    "change-handler": "change-handler TABLE --handler=NAME [--handler-arg=K=V ...]",
    "fkeys": "fkeys [--restore]                     pending foreign keys",
    "local-status": "local-status                          the Londiste status of this node",
}
COMMANDS = {**cascade_door.COMMANDS, **LONDISTE_COMMANDS}
COMMANDS["status"] = "status [--compact]                    the cascade and this node's tables"
COMMANDS["worker"] = "worker [switches]                     run this node's Londiste worker"
_NEEDS_ARGS = {"add-table", "remove-table", "add-seq", "remove-seq", "resync", "execute"}


UsageError = cascade_door.UsageError  # one error for both doors


def _parser() -> argparse.ArgumentParser:
    p = cascade_door._parser()
    p.prog = PROG
    p.usage = "\n".join(
        [f"{PROG} [options] CONFIG.ini COMMAND [args]", "", "commands:"]
        + [f"  {line}" for line in COMMANDS.values()]
    )
    p.description = "Administer Londiste replication with londiste3's commands."
    g = p.add_argument_group("londiste options")
    g.add_argument("--wait-sync", action="store_true", help="add-table: wait until in sync")
    g.add_argument("--dest-table", help="add-table: the table's name here")
    g.add_argument("--expect-sync", action="store_true", help="add-table: no copy")
    g.add_argument("--skip-truncate", action="store_true", help="add-table: copy w/o truncate")
    g.add_argument("--create", action="store_true", help="add-table: create table and pkey")
    g.add_argument("--create-full", action="store_true", help="add-table: also indexes")
    g.add_argument("--trigger-flags", help="add-table: trigger flags (IUD, B/A, Q/L, S)")
    g.add_argument("--trigger-arg", action="append", default=[], help="add-table: trigger arg")
    g.add_argument("--no-triggers", action="store_true", help="add-table: no triggers")
    g.add_argument("--handler", help="add-table, change-handler: the handler")
    g.add_argument("--handler-arg", action="append", default=[], help="handler argument K=V")
    g.add_argument("--copy-node", help="add-table, resync: copy from this node")
    g.add_argument(
        "--find-copy-node", action="store_true", help="add-table, resync: search upstream"
    )
    g.add_argument("--copy-condition", help="add-table: WHERE of the initial copy")
    g.add_argument("--max-parallel-copy", type=int, help="add-table: copies at once")
    g.add_argument("--skip-serial", action="store_true", help="add-table: no serial handling")
    g.add_argument("--skip-non-existing", action="store_true", help="add-table: skip unknown")
    g.add_argument(
        "--from-dump", action="store_true", help="add-table: build from a pg_dump, no copy"
    )
    g.add_argument("--count-only", action="store_true", help="compare: counts only")
    g.add_argument("--apply", action="store_true", help="repair: run the fix-up SQL")
    g.add_argument("--force", action="store_true", help="(the original's; ignored)")
    g.add_argument("--wait", action="store_true", help="execute: until every node has it")
    g.add_argument("--restore", action="store_true", help="fkeys: restore the valid ones")
    for action in p._actions:  # the cascade door's switch, which add-table uses too
        if action.dest == "dump_file":
            action.help = f"{action.help}; add-table --from-dump: keep / reuse the dump there"
    return p


def _handler_args(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--handler-arg needs KEY=VALUE, not {item!r}")
        out[key] = value
    return out


class Door(cascade_door.Door):
    """The cascade door's commands plus Londiste's, on a LondisteAdmin."""

    admin: LondisteAdmin

    def __init__(self, opts: argparse.Namespace, cf: Config) -> None:
        super().__init__(opts, cf)
        try:
            lock_timeout = cf.getfloat("lock_timeout", 10.0)
        except ConfigError as err:
            raise UsageError(str(err)) from None
        old = self.admin
        self.admin = LondisteAdmin(
            old.conninfo,
            old.queue,
            progress=old.progress,
            remote_extra=old.remote_extra,
            wait_timeout=old.wait_timeout,
            lock_timeout=lock_timeout,
        )
        old.close()

    def run_command(self, command: str, args: list[str]) -> int:
        """Run one command; its exit status."""
        if command in LONDISTE_COMMANDS or command == "status":
            if command in _NEEDS_ARGS and not args and not self.opts.all:
                raise UsageError(f"usage: {COMMANDS[command]}")
            if command in ("tables", "seqs", "missing", "wait-sync", "fkeys", "status") and args:
                raise UsageError(f"usage: {COMMANDS[command]}")
            for node in self.opts.dead:
                self.admin.assume_dead(node)
            ret = getattr(self, "cmd_" + command.replace("-", "_"))(*args)
            return int(ret or 0)
        self.run(command, args)
        return 0

    def _names(self, args: Sequence[str]) -> list[str]:
        return [*args, "ALL"] if self.opts.all else list(args)

    # -- tables and sequences ----------------------------------------------------------------
    def cmd_add_table(self, *args: str) -> None:
        o = self.opts
        options: dict[str, Any] = {
            "create": o.create,
            "create_full": o.create_full,
            "expect_sync": o.expect_sync,
            "skip_truncate": o.skip_truncate,
            "dest_table": o.dest_table,
            "handler": o.handler,
            "handler_args": _handler_args(o.handler_arg) or None,
            "trigger_flags": o.trigger_flags,
            "trigger_args": o.trigger_arg or None,
            "no_triggers": o.no_triggers,
            "copy_condition": o.copy_condition,
            "copy_node": "?" if o.find_copy_node else o.copy_node,
            "max_parallel_copy": o.max_parallel_copy,
            "wait_sync": o.wait_sync,
            "skip_serial": o.skip_serial,
            "from_dump": o.from_dump,
            "dump_file": o.dump_file,
        }
        self.admin.add_table(
            self._names(args),
            skip_non_existing=o.skip_non_existing,
            **{k: v for k, v in options.items() if v},
        )

    def cmd_remove_table(self, *args: str) -> None:
        self.admin.remove_table(self._names(args))

    def cmd_add_seq(self, *args: str) -> None:
        self.admin.add_seq(self._names(args))

    def cmd_remove_seq(self, *args: str) -> None:
        self.admin.remove_seq(self._names(args))

    def cmd_tables(self) -> None:
        rows = [(t.name, t.state, t.attrs) for t in self.admin.tables()]
        print(f"Tables on node {self.admin.local_node()}")
        cascade_door._print_table(("table_name", "merge_state", "table_attrs"), rows)

    def cmd_seqs(self) -> None:
        table = self.admin.seqs()
        print(f"Sequences on node {self.admin.local_node()}")
        cascade_door._print_table(table.columns, table.rows)

    def cmd_missing(self) -> None:
        table = self.admin.missing()
        cascade_door._print_table(table.columns, table.rows)

    def cmd_resync(self, *args: str) -> None:
        o = self.opts
        self.admin.resync(self._names(args), copy_node="?" if o.find_copy_node else o.copy_node)

    def cmd_wait_sync(self) -> None:
        self.admin.wait_sync(timeout=self.opts.timeout)

    def cmd_change_handler(self, *args: str) -> None:
        if len(args) != 1 or not self.opts.handler:
            raise UsageError(f"usage: {COMMANDS['change-handler']}")
        self.admin.change_handler(
            args[0], self.opts.handler, _handler_args(self.opts.handler_arg) or None
        )

    def cmd_fkeys(self) -> None:
        table = self.admin.fkeys(restore=self.opts.restore)
        cascade_door._print_table(table.columns, table.rows)

    # -- checking ------------------------------------------------------------------------------
    def cmd_compare(self, *args: str) -> int:
        results = self.admin.compare(list(args) or None, count_only=self.opts.count_only)
        rows = [
            (r.table, r.provider_count, r.local_count, "ok" if r.equal else "DIFFERENT")
            for r in results
        ]
        cascade_door._print_table(("table_name", "provider_rows", "local_rows", "result"), rows)
        return 0 if all(r.equal for r in results) else 3

    def cmd_repair(self, *args: str) -> None:
        for r in self.admin.repair(list(args) or None, apply=self.opts.apply):
            print(f"-- {r.table}: {len(r.statements)} statements")
            for s in r.statements:
                print(s)

    def cmd_execute(self, *files: str) -> None:
        self.admin.execute(list(files), wait=self.opts.wait, timeout=self.opts.timeout)

    def cmd_status(self) -> None:
        super().cmd_status()
        print()
        self.cmd_local_status()

    def cmd_local_status(self) -> None:
        st = self.admin.londiste_status()
        print(f"Node: {st['node']} ({st['node_type']})")
        print(f"Modules: {', '.join(st['modules'])}")
        lag = cascade_door._interval(st["lag"])
        print(f"Replay: {st['replay']}, lag {lag}")
        print(f"Copy: {', '.join(st['copy']) or '--'}")
        print(f"Tables: {len(st['tables_ok'])} ok, {len(st['tables_pending'])} not in sync")
        for name in st["tables_pending"]:
            print(f"    not in sync: {name}")
        print(f"Last error: {st['last_error'] or '--'}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 when it did what was asked, 1 on an error, 2 on bad usage
    (compare: 3 when a table differs)."""
    args = list(sys.argv[1:] if argv is None else argv)
    worker_argv = cascade_door._split_worker(args)
    if worker_argv is not None:
        from engine.londiste import worker

        return int(worker.main(worker_argv))
    parser = _parser()
    opts = parser.parse_args(args)
    if opts.command not in COMMANDS:
        parser.error(f"unknown command {opts.command!r}; commands: {', '.join(COMMANDS)}")
    try:
        door = Door(opts, cascade_door.read_config(opts.config, SECTIONS))
    except UsageError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    try:
        ret = door.run_command(opts.command, opts.args)
    except UsageError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    except (AdminError, CascadeError) as err:
        print(f"{PROG}: error: {str(err).splitlines()[0]}", file=sys.stderr)
        return 1
    except psycopg2.Error as err:
        print(f"{PROG}: error: {describe_error(err, context=False)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted: run the command again to finish it", file=sys.stderr)
        return 130
    finally:
        door.admin.close()
    return ret


if __name__ == "__main__":
    sys.exit(main())
