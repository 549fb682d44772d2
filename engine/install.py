"""Install or upgrade the SQL modules (pgq, pgq_coop, pgq_node, londiste, ...) in one transaction.

Each module has an ordered manifest, ``sql/<module>/structure/install.sql``, that
psql can run as it is (``\\ir`` includes); the installer reads the same manifest, so
there is one list of files for both.  Usage::

    python -m engine.install [-h HOST] [-p PORT] [-U USER] [-d DBNAME] [MODULE ...]
    python -m engine.install --sql pgq > pgq.sql      # one file for psql users

A database owner without superuser or CREATEROLE (managed PostgreSQL) installs as
well, once an administrator has made the roles pgq_reader, pgq_writer and pgq_admin
(the error says which statements to ask for); ``--no-roles`` installs without them
(PgQ is then its owner's, who may grant EXECUTE on its functions).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psycopg2
import psycopg2.extensions

from engine.db import connect, describe_error, fetch_value, sql

__all__ = [
    "MODULES",
    "InstallError",
    "ModuleReport",
    "build_sql",
    "install",
    "installed_version",
    "main",
    "resolve_modules",
    "sql_root",
]

# Module name -> modules it needs, in install order.
MODULES: dict[str, tuple[str, ...]] = {
    "pgq": (),
    "pgq_coop": ("pgq",),
    # cascaded queues: root, branch and leaf nodes
    "pgq_node": ("pgq",),
    # table and sequence replication over cascaded queues
    "londiste": ("pgq", "pgq_node"),
    # batch tracking for remote consumers, in the database they apply batches to
    "qadmin_ext": (),
}

_INCLUDE = re.compile(r"^\\i[r]?\s+(\S+)\s*$")
_LOCK_KEY = "qadmin.install"


class InstallError(Exception):
    """Installing failed; the message says which module and file, and why."""


@dataclass(frozen=True, slots=True)
class ModuleReport:
    """What installing one module did."""

    module: str
    before: str | None
    after: str | None
    functions: int

    @property
    def action(self) -> str:
        if self.before is None:
            return "installed"
        if self.before == self.after:
            return "reinstalled"
        return "upgraded"

    def __str__(self) -> str:
        if self.before is None:
            what = f"installed version {self.after}"
        elif self.before == self.after:
            what = f"reinstalled version {self.after} (functions replaced, data kept)"
        else:
            what = f"upgraded from {self.before} to {self.after} (data kept)"
        return f"{self.module}: {what}, {self.functions} functions"


def sql_root() -> Path:
    """Directory that holds the module folders (sql/ in a checkout, engine/sql installed).

    The checkout beside this file wins over the installed package data, so a second
    work tree (PYTHONPATH=tree) installs its own SQL, not that of the editable install.
    """
    for here in (
        Path(__file__).resolve().parent.parent / "sql",
        Path(__file__).resolve().parent / "sql",
    ):
        if (here / "pgq").is_dir():
            return here
    try:
        root = Path(str(resources.files("engine.sql")))
        if (root / "pgq").is_dir():
            return root
    except (ModuleNotFoundError, TypeError):
        pass
    raise InstallError("the SQL files are missing (neither engine/sql nor ./sql exists)")


def resolve_modules(names: list[str] | tuple[str, ...]) -> list[str]:
    """Add the modules each one needs and put them in install order."""
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        raise InstallError(f"unknown module {unknown[0]!r}; available: {', '.join(MODULES)}")
    wanted: set[str] = set()

    def add(name: str) -> None:
        for dep in MODULES[name]:
            add(dep)
        wanted.add(name)

    for name in names or list(MODULES):
        add(name)
    return [m for m in MODULES if m in wanted]


def _manifest(module: str) -> Path:
    path = sql_root() / module / "structure" / "install.sql"
    if not path.is_file():
        raise InstallError(f"{module}: manifest {path} not found")
    return path


def _expand(path: Path, seen: tuple[Path, ...] = ()) -> list[tuple[Path, str]]:
    """The manifest as (file, sql) pieces in order, includes expanded, psql meta dropped."""
    if path in seen:
        raise InstallError(f"include loop at {path}")
    pieces: list[tuple[Path, str]] = []
    buf: list[str] = []

    def flush() -> None:
        text = "".join(buf)
        if any(ln.strip() and not ln.lstrip().startswith("--") for ln in buf):
            pieces.append((path, text))
        buf.clear()

    try:
        text = path.read_text()
    except OSError as err:
        raise InstallError(f"{path}: {err.strerror}") from err
    for line in text.splitlines(keepends=True):
        m = _INCLUDE.match(line.strip())
        if m:
            flush()
            pieces.extend(_expand((path.parent / m.group(1)).resolve(), (*seen, path)))
        elif line.lstrip().startswith("\\"):
            continue
        else:
            buf.append(line)
    flush()
    return pieces


def build_sql(module: str) -> str:
    """One self-contained .sql file for a module, for users who install with psql."""
    root = sql_root()
    out = [f"-- {module}: generated from {module}/structure/install.sql by engine.install\n"]
    for path, text in _expand(_manifest(module).resolve()):
        try:
            rel = path.relative_to(root.resolve())
        except ValueError:
            rel = path
        out.append(f"\n-- file: {rel}\n{text}")
    return "".join(out)


def installed_version(cur: psycopg2.extensions.cursor, module: str) -> str | None:
    """Version string of an installed module, None if it is not installed."""
    if not fetch_value(
        cur,
        "select exists (select 1 from pg_catalog.pg_proc p"
        " join pg_catalog.pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = %s and p.proname = 'version' and p.pronargs = 0)",
        (module,),
    ):
        return None
    return fetch_value(cur, sql.SQL("select {}.version()").format(sql.Identifier(module)))


def _function_count(cur: psycopg2.extensions.cursor, module: str) -> int:
    return fetch_value(
        cur,
        "select count(*) from pg_catalog.pg_proc p"
        " join pg_catalog.pg_namespace n on n.oid = p.pronamespace where n.nspname = %s",
        (module,),
    )


def install(
    conn: psycopg2.extensions.connection,
    modules: list[str] | tuple[str, ...] = (),
    *,
    roles: bool = True,
) -> list[ModuleReport]:
    """Install or upgrade modules (and what they need) in one transaction.

    Nothing is left half-done: on any error the transaction is rolled back and
    InstallError names the module, the file and the server's message.  roles=False
    installs without creating the roles pgq_reader, pgq_writer and pgq_admin when
    they are missing (the SQL reads the setting qadmin.no_roles); roles that exist
    get their grants either way.
    """
    order = resolve_modules(list(modules))
    reports = []
    was_autocommit = conn.autocommit
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(%s))", (_LOCK_KEY,)
            )
            if not roles:
                cur.execute("set local qadmin.no_roles = on")
            for module in order:
                before = installed_version(cur, module)
                for path, text in _expand(_manifest(module).resolve()):
                    try:
                        cur.execute(text)
                    except psycopg2.Error as err:
                        # a refusal (missing roles, say) explains itself; where in our
                        # code it was raised is noise
                        why = describe_error(err, context=err.pgcode != "42501")
                        raise InstallError(f"{module}: {path.name}: {why}") from err
                after = installed_version(cur, module)
                reports.append(ModuleReport(module, before, after, _function_count(cur, module)))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.autocommit = was_autocommit
    return reports


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m engine.install",
        description="Install or upgrade the qadmin SQL modules in a PostgreSQL database.",
        add_help=False,
    )
    p.add_argument(
        "modules",
        nargs="*",
        metavar="MODULE",
        help=f"modules to install (default: all: {', '.join(MODULES)})",
    )
    p.add_argument("-h", "--host", help="database server host (default: libpq's)")
    p.add_argument("-p", "--port", help="database server port")
    p.add_argument("-U", "--username", dest="user", help="database user name")
    p.add_argument("-d", "--dbname", help="database name or conninfo string")
    p.add_argument(
        "--sql",
        action="store_true",
        help="print one .sql file per module for psql instead of installing",
    )
    p.add_argument(
        "--no-roles",
        action="store_true",
        help="do not create the roles pgq_reader, pgq_writer, pgq_admin when they are"
        " missing (for an owner without CREATEROLE; PgQ is then the owner's)",
    )
    p.add_argument("--help", action="help", help="show this help and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        order = resolve_modules(args.modules)
        if args.sql:
            try:
                for module in order:
                    sys.stdout.write(build_sql(module))
                sys.stdout.flush()
            except BrokenPipeError:
                sys.stderr.close()
            return 0
        dsn = args.dbname if args.dbname and "=" in args.dbname else None
        dbname = None if dsn else args.dbname
        conn = connect(dsn, host=args.host, port=args.port, user=args.user, dbname=dbname)
    except InstallError as err:
        print(f"engine.install: {err}", file=sys.stderr)
        return 1
    except psycopg2.Error as err:
        print(f"engine.install: cannot connect: {describe_error(err)}", file=sys.stderr)
        return 1
    try:
        for report in install(conn, order, roles=not args.no_roles):
            print(report)
    except InstallError as err:
        print(f"engine.install: {err}\nnothing was changed", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
