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
from typing import Any

from qadmin import __version__

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


def _conn_params(args: argparse.Namespace) -> dict[str, str]:
    pos = list(args.positional)
    if len(pos) > 2:
        raise _Usage(f'extra command-line argument "{pos[2]}" ignored is not allowed')
    params: dict[str, str] = {}
    dbname = args.dbname or (pos[0] if pos else None)
    user = args.username or (pos[1] if len(pos) > 1 else None)
    if dbname and "=" in dbname:
        params["dsn"] = dbname
    elif dbname:
        params["dbname"] = dbname
    for key, value in (("host", args.host), ("port", args.port), ("user", user)):
        if value:
            params[key] = value
    return params


def _connect(params: dict[str, str], ask_password: bool, interactive: bool) -> Any:
    import psycopg2

    from engine.db import connect

    params = dict(params)
    if ask_password:
        params["password"] = getpass.getpass("Password: ")
    dsn = params.pop("dsn", None)
    try:
        return connect(dsn, autocommit=True, **params), params
    except psycopg2.OperationalError as err:
        if "password" in str(err) and "no password supplied" in str(err) and interactive:
            params["password"] = getpass.getpass("Password: ")
            return connect(dsn, autocommit=True, **params), params
        raise


@contextlib.contextmanager
def _sandbox(quiet: bool) -> Iterator[dict[str, str]]:
    """A throwaway cluster with every module installed, removed on exit."""
    import psycopg2

    from engine.install import install
    from engine.pgcluster import create_cluster

    if not quiet:
        print("qadmin: starting a throwaway PostgreSQL ...", file=sys.stderr)
    cluster = create_cluster()
    try:
        admin = psycopg2.connect(cluster.dsn("postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("create database qadmin")
        admin.close()
        conn = psycopg2.connect(cluster.dsn("qadmin"))
        try:
            for report in install(conn):
                if not quiet:
                    print(f"qadmin: {report}", file=sys.stderr)
        finally:
            conn.close()
        yield {
            "host": cluster.host,
            "port": str(cluster.port),
            "user": cluster.user,
            "dbname": "qadmin",
        }
    finally:
        cluster.destroy()
        if not quiet:
            print("qadmin: throwaway PostgreSQL removed", file=sys.stderr)


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
        params = _conn_params(args)
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
                    return _run(args, sandbox_params, scripted)
            except (ClusterError, InstallError) as err:
                print(f"qadmin: sandbox: {err}", file=sys.stderr)
                return EXIT_FATAL
        return _run(args, params, scripted)
    except KeyboardInterrupt:
        return EXIT_FATAL


def _run(args: argparse.Namespace, params: dict[str, str], scripted: bool) -> int:
    import psycopg2

    from engine.db import describe_error
    from qadmin.commands.registry import Context, Settings
    from qadmin.runner import ConnectionLost, Runner

    try:
        conn, used = _connect(params, args.password, not scripted)
    except psycopg2.Error as err:
        print(f"qadmin: error: cannot connect: {describe_error(err)}", file=sys.stderr)
        return EXIT_FATAL
    fmt = "csv" if args.csv else "json" if args.json else "expanded" if args.expanded else "aligned"
    settings = Settings(format=fmt, mask_volatile=args.mask_volatile)
    if "dsn" in params:
        used = {"dsn": params["dsn"], **used}
    ctx = Context(conn=conn, conn_params=used, settings=settings, assume_yes=args.yes)
    runner = Runner(ctx, on_error=args.on_error)
    try:
        if args.queue:
            with conn.cursor() as cur:
                cur.execute(
                    "select pg_catalog.to_regclass('pgq.queue') is not null"
                    " and exists (select 1 from pgq.queue where queue_name = %s)",
                    (args.queue,),
                )
                if not cur.fetchone()[0]:
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
    actions = args.actions or [("f", "-")]
    ctx = runner.ctx
    if args.single_transaction:
        with ctx.conn.cursor() as cur:
            cur.execute("begin")
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
        with ctx.conn.cursor() as cur:
            cur.execute("rollback" if failed else "commit")
    if failed and args.on_error == "stop":
        return EXIT_SCRIPT
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
