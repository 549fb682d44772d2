"""Command line: psql-style switches -> settings -> script runner or interactive shell."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qadmin import __version__

if TYPE_CHECKING:
    from engine.db import ConnInfo

__all__ = ["main"]

EXIT_OK, EXIT_FATAL, EXIT_LOST, EXIT_SCRIPT = 0, 1, 2, 3
RC_FILE = "~/.qadminrc"

USAGE = """\
qadmin is the interactive console for PgQ queues and consumers.

Usage:
  qadmin [OPTION]... [DBNAME [USERNAME]]

General options:
  -c, --command=COMMAND    run one command (or several, separated by ;) and exit;
                           repeatable, runs in order with -f
  -f, --file=FILE          run commands from FILE ("-" = stdin) and exit; repeatable
  -1, --single-transaction run the -c/-f commands as one transaction
  --on-error=stop|continue what a failing command does to the rest of a script
                           (default: stop, exit status 3)
  -Q, --queue=QUEUE        default queue
  -v, --set=NAME=VALUE     set a variable (as \\set NAME VALUE; used as :NAME)
  -X, --no-rc              do not read the startup file (~/.qadminrc)
  -y, --yes                do not ask before DROP QUEUE, UNREGISTER CONSUMER *,
                           DELETE EVENT in the interactive console
  --sandbox                start a throwaway local PostgreSQL with the schemas
                           installed, work on it, remove it on exit
  --version                show the version and exit
  --help                   show this help and exit

Output options:
  --csv                    CSV output (tables only; notes go to stderr)
  --json                   JSON output, one array per result
  -x, --expanded           expanded output (one block per record)

Connection options (libpq environment variables, ~/.pgpass and service files
apply as in psql):
  -h, --host=HOSTNAME      database server host or socket directory
  -p, --port=PORT          database server port
  -U, --username=USERNAME  database user name
  -d, --dbname=DBNAME      database name or conninfo string
  -W, --password           ask for a password before connecting

Piped standard input without -c/-f runs as a script.  Exit status: 0 success,
1 fatal start-up error, 2 connection lost, 3 a script or -c command failed.
Type HELP; in the console for the commands.
"""


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # type: ignore[override]
        raise _Usage(message)


class _Ordered(argparse.Action):
    """-c and -f keep their relative order in one list."""

    def __call__(self, parser: Any, ns: Any, value: Any, option: Any = None) -> None:
        items = list(getattr(ns, "actions", None) or [])
        items.append((self.dest, value))
        ns.actions = items


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="qadmin", add_help=False, usage=argparse.SUPPRESS)
    p.add_argument("positional", nargs="*")
    p.add_argument("-c", "--command", dest="c", action=_Ordered)
    p.add_argument("-f", "--file", dest="f", action=_Ordered)
    p.add_argument("-1", "--single-transaction", action="store_true")
    p.add_argument("--on-error", choices=("stop", "continue"), default="stop")
    p.add_argument("-Q", "--queue")
    p.add_argument("-v", "--set", "--variable", dest="variables", action="append", default=[])
    p.add_argument("-X", "--no-rc", action="store_true")
    p.add_argument("-y", "--yes", action="store_true")
    p.add_argument("--sandbox", action="store_true")
    p.add_argument("--version", action="store_true")
    p.add_argument("--help", action="store_true")
    p.add_argument("--csv", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("-x", "--expanded", action="store_true")
    p.add_argument("-h", "--host")
    p.add_argument("-p", "--port")
    p.add_argument("-U", "--username")
    p.add_argument("-d", "--dbname")
    p.add_argument("-W", "--password", action="store_true")
    # regression tests: mask values that change from run to run
    p.add_argument("--mask-volatile", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(actions=[])
    return p


def _check_positional(args: argparse.Namespace) -> None:
    if len(args.positional) > 2:
        raise _Usage(f'extra command-line argument "{args.positional[2]}" ignored is not allowed')


def _variables(args: argparse.Namespace) -> dict[str, str]:
    """-v NAME=VALUE switches as \\set variables (psql's --set)."""
    from qadmin.variables import valid_name

    out = {}
    for item in args.variables:
        name, eq, value = item.partition("=")
        if not eq or not valid_name(name):
            raise _Usage(f"bad variable {item!r}: -v NAME=VALUE")
        out[name] = value
    return out


def _conn_params(args: argparse.Namespace) -> ConnInfo:
    """The ConnInfo of the switches and DBNAME [USERNAME] (a conninfo string or URI too).

    A string libpq cannot read raises psycopg2.ProgrammingError.
    """
    from engine.db import ConnInfo

    pos = list(args.positional)
    dbname = args.dbname or (pos[0] if pos else None)
    user = args.username or (pos[1] if len(pos) > 1 else None)
    conninfo = None
    if dbname and ("=" in dbname or dbname.startswith(("postgresql://", "postgres://"))):
        conninfo, dbname = dbname, None
    return ConnInfo.parse(
        conninfo,
        dbname=dbname or None,
        host=args.host or None,
        port=args.port or None,
        user=user or None,
    )


def _connect(params: ConnInfo, ask_password: bool, interactive: bool) -> Any:
    """Connect (asking for a password with -W, or when the server wants one);
    returns the connection and the ConnInfo that made it."""
    import psycopg2

    if ask_password:
        params = params.replace(password=getpass.getpass("Password: "))
    try:
        return params.connect(autocommit=True), params
    except psycopg2.OperationalError as err:
        if "password" in str(err) and "no password supplied" in str(err) and interactive:
            params = params.replace(password=getpass.getpass("Password: "))
            return params.connect(autocommit=True), params
        raise


@contextlib.contextmanager
def _sandbox(quiet: bool) -> Iterator[ConnInfo]:
    """A throwaway cluster with every module installed, removed on exit; yields its ConnInfo.

    Daemons started inside get a state directory of their own: they are stopped
    (and their records removed) with the sandbox, which says which ones.
    """
    from engine.admin.server import create_database
    from engine.install import install
    from engine.pgcluster import create_cluster

    if not quiet:
        print("qadmin: starting a throwaway PostgreSQL ...", file=sys.stderr)
    cluster = create_cluster()
    try:
        with _sandbox_daemons():
            with contextlib.closing(cluster.conn_info("postgres").connect(autocommit=True)) as a:
                create_database(a, "qadmin")
            info = cluster.conn_info("qadmin")
            with contextlib.closing(info.connect()) as conn:
                for report in install(conn):
                    if not quiet:
                        print(f"qadmin: {report}", file=sys.stderr)
            yield info
    finally:
        cluster.destroy()
        if not quiet:
            print("qadmin: throwaway PostgreSQL removed", file=sys.stderr)


@contextlib.contextmanager
def _sandbox_daemons() -> Iterator[Path]:
    """A private daemon state directory for a sandbox; its daemons stop when it ends."""
    import shutil
    import tempfile

    from engine import supervisor as sv

    state = Path(tempfile.mkdtemp(prefix="qadmin-sandbox-daemons-"))
    saved = os.environ.get(sv.STATE_DIR_ENV)
    os.environ[sv.STATE_DIR_ENV] = str(state)
    try:
        yield state
    finally:
        if saved is None:
            os.environ.pop(sv.STATE_DIR_ENV, None)
        else:
            os.environ[sv.STATE_DIR_ENV] = saved
        try:
            stopped = _stop_sandbox_daemons(sv.Supervisor(state))
        finally:
            shutil.rmtree(state, ignore_errors=True)
        if stopped:
            print(f"qadmin: stopped the sandbox's daemons: {', '.join(stopped)}", file=sys.stderr)


def _stop_sandbox_daemons(supervisor: Any) -> list[str]:
    """Stop every daemon of the sandbox now (kill -9 those that do not go); their names."""
    running = {n: pid for n in supervisor.names() if (pid := supervisor.running_pid(n))}
    if not running:
        return []
    with contextlib.suppress(Exception):
        supervisor.stop("ALL", now=True, timeout=10)
    for name, pid in running.items():
        if supervisor.running_pid(name) == pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    return sorted(running)


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run qadmin; never lets an exception out as a traceback (QADMIN_DEBUG=1 shows it)."""
    try:
        return _main(argv)
    except Exception as err:
        if os.environ.get("QADMIN_DEBUG"):
            raise
        print(f"qadmin: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_FATAL


def _main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        _check_positional(args)
        variables = _variables(args)
    except _Usage as err:
        print(f'qadmin: {err}\nTry "qadmin --help" for more information.', file=sys.stderr)
        return EXIT_FATAL
    if args.help:
        sys.stdout.write(USAGE)
        return EXIT_OK
    if args.version:
        print(f"qadmin {__version__}")
        return EXIT_OK
    scripted = bool(args.actions) or sys.stdin is None or not sys.stdin.isatty()
    signal.signal(signal.SIGTERM, _raise_exit)
    with contextlib.suppress(AttributeError, ValueError):
        signal.signal(signal.SIGHUP, _raise_exit)
    try:
        if args.sandbox:
            from engine.install import InstallError
            from engine.pgcluster import ClusterError

            try:
                with _sandbox(quiet=scripted) as sandbox_params:
                    return _run(args, sandbox_params, scripted, variables)
            except (ClusterError, InstallError) as err:
                print(f"qadmin: sandbox: {err}", file=sys.stderr)
                return EXIT_FATAL
        return _run(args, None, scripted, variables)
    except KeyboardInterrupt:
        return EXIT_FATAL


def _run(
    args: argparse.Namespace,
    params: ConnInfo | None,
    scripted: bool,
    variables: dict[str, str] | None = None,
) -> int:
    """Connect (with params, a ConnInfo, else as the switches say) and run the console."""
    import psycopg2

    from engine.db import describe_error
    from qadmin.commands.registry import Context, Settings
    from qadmin.runner import ConnectionLost, Runner

    try:
        if params is None:
            params = _conn_params(args)
        conn, used = _connect(params, args.password, not scripted)
    except psycopg2.Error as err:
        print(f"qadmin: error: cannot connect: {describe_error(err)}", file=sys.stderr)
        return EXIT_FATAL
    fmt = "csv" if args.csv else "json" if args.json else "expanded" if args.expanded else "aligned"
    settings = Settings(format=fmt, mask_volatile=args.mask_volatile)
    ctx = Context(conn=conn, conn_params=used, settings=settings, assume_yes=args.yes)
    ctx.variables.update(variables or {})
    runner = Runner(ctx, on_error=args.on_error)
    try:
        if args.queue:
            from engine.admin.queue import queue_exists
            from engine.admin.server import schema_present

            with conn.cursor() as cur:
                if not (schema_present(cur, "pgq") and queue_exists(cur, args.queue)):
                    print(f'qadmin: warning: queue "{args.queue}" does not exist', file=sys.stderr)
            ctx.queue = args.queue
        if not args.no_rc:
            _run_rc(runner)
        if scripted:
            return _run_scripts(args, runner)
        from qadmin.shell.repl import run_interactive

        return run_interactive(ctx, runner)
    except ConnectionLost as err:
        print(f"qadmin: connection to server lost: {err}", file=sys.stderr)
        return EXIT_LOST
    finally:
        if ctx.conn is not None and not ctx.conn.closed:
            ctx.conn.close()


def _run_rc(runner: Any) -> None:
    path = Path(os.path.expanduser(RC_FILE))
    if not path.is_file():
        return
    saved = runner.source, runner.on_error
    runner.source, runner.on_error = str(path), "continue"
    try:
        runner.run_text(path.read_text())
    finally:
        runner.source, runner.on_error = saved


def _run_scripts(args: argparse.Namespace, runner: Any) -> int:
    from engine.db import begin, finish

    actions = args.actions or [("f", "-")]
    ctx = runner.ctx
    if args.single_transaction:
        begin(ctx.conn)
    failed = False
    for kind, value in actions:
        if kind == "c":
            runner.source = None
            text = value
        else:
            runner.source = "<stdin>" if value == "-" else value
            try:
                if value == "-":
                    text = sys.stdin.read() if sys.stdin is not None else ""
                else:
                    text = Path(value).read_text()
            except OSError as err:
                print(f"qadmin: {value}: {err.strerror}", file=sys.stderr)
                return EXIT_FATAL
        outcome = runner.run_text(text)
        if outcome.errors:
            failed = True
        if outcome.exit or outcome.stopped:
            break
    if args.single_transaction and ctx.conn is not None and not ctx.conn.closed:
        finish(ctx.conn, commit=not failed)
    if failed and args.on_error == "stop":
        return EXIT_SCRIPT
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
