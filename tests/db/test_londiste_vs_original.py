"""Our londiste SQL against the original Londiste 3.8 extension.

Two cross-checks: the function catalogue (names, arguments, result columns,
volatility, strictness, security definer, who may execute, table rights) against a
database with ``create extension londiste`` (Debian package
postgresql-NN-londiste-sql), and the original's own regression suite (sql/*.sql,
expected/*.out of github.com/pgq/londiste-sql) run against ours.  The suite's
sources are read at test time only: from QADMIN_LONDISTE_SRC (a checkout) or else
from the mirror made by ``fetch github:pgq/londiste-sql`` (QADMIN_LONDISTE_MIRROR,
default /work/.mirror/pgq+londiste-sql/repo, a bare git directory).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from tests.conftest import TEMPLATE_DB, _admin, _create_db, _drop_db

SRC_ENV = "QADMIN_LONDISTE_SRC"
MIRROR_ENV = "QADMIN_LONDISTE_MIRROR"
DEFAULT_MIRROR = "/work/.mirror/pgq+londiste-sql/repo"

# Ours beyond the original (documented in their headers)
ADDED = {"_apply_rows", "_partition_suffix", "_urldecode", "local_set_skip_truncate"}
# Deliberate differences of the catalogue: function -> {attribute: (ours, original)}
CATALOGUE_DEVIATIONS = {
    # in no group of the original's grants, so executable by PUBLIC there; here by
    # londiste_writer like local_add_table
    "londiste.local_change_handler(text,text,text[],text)": {
        "runs": (["londiste_writer"], ["public", "londiste_reader", "londiste_writer", "pgq_admin"])
    },
}

ROLES = ("public", "londiste_reader", "londiste_writer", "pgq_admin")
CATALOGUE = """
select p.oid::regprocedure::text as signature,
       pg_get_function_arguments(p.oid) as args,
       pg_get_function_result(p.oid) as result, p.provolatile::text as provolatile,
       p.proisstrict, p.prosecdef,
       array(select r from unnest(%s::text[]) r
              where has_function_privilege(
                        case when r = 'public' then 'londiste_probe' else r end,
                        p.oid, 'execute')) as runs
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname = 'londiste'
 order by 1
"""
TABLES = """
select c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid) as def
  from pg_class c
  join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
 where c.relnamespace = 'londiste'::regnamespace and c.relkind = 'r'
 order by 1, 2
"""
CONSTRAINTS = """
select conrelid::regclass::text, conname, pg_get_constraintdef(oid)
  from pg_constraint where connamespace = 'londiste'::regnamespace order by 1, 2
"""
TABLE_RIGHTS = """
select c.relname, r.r,
       array(select p from unnest(array['select', 'insert', 'update', 'delete']) p
              where has_table_privilege(
                        case when r.r = 'public' then 'londiste_probe' else r.r end,
                        c.oid, p)) as rights
  from pg_class c, unnest(%s::text[]) r(r)
 where c.relnamespace = 'londiste'::regnamespace and c.relkind = 'r'
 order by 1, 2
"""


def _available(pg_cluster: Any, extension: str) -> bool:
    admin = psycopg2.connect(pg_cluster.dsn("postgres"))
    try:
        with admin.cursor() as cur:
            cur.execute("select 1 from pg_available_extensions where name = %s", (extension,))
            return cur.fetchone() is not None
    finally:
        admin.close()


@pytest.fixture
def original_londiste(pg_cluster: Any) -> Iterator[Any]:
    """A database with the original pgq, pgq_node and londiste extensions."""
    if not _available(pg_cluster, "londiste"):
        pytest.skip("the original londiste extension (postgresql-NN-londiste-sql) is missing")
    database = _create_db(pg_cluster, "template0")
    try:
        database.execute("set client_min_messages = warning")
        for ext in ("pgq", "pgq_node", "londiste"):
            database.execute(sql.SQL("create extension {}").format(sql.Identifier(ext)))
        yield database
    finally:
        _drop_db(database)


@pytest.fixture
def probe_role(db: Any) -> Iterator[None]:
    db.execute("create role londiste_probe")
    try:
        yield
    finally:
        db.execute("drop role londiste_probe")


def test_catalogue_matches_the_original(db, original_londiste, probe_role):
    ours = {r["signature"]: r for r in db.dicts(CATALOGUE, (list(ROLES),))}
    theirs = {r["signature"]: r for r in original_londiste.dicts(CATALOGUE, (list(ROLES),))}
    assert {s.split("(")[0].split(".")[1] for s in set(ours) - set(theirs)} == ADDED
    assert set(theirs) <= set(ours), "missing functions"
    assert len(theirs) == 49
    for name, orig in theirs.items():
        mine = dict(ours[name])
        for attr, (our_value, their_value) in CATALOGUE_DEVIATIONS.get(name, {}).items():
            assert mine[attr] == our_value, (name, attr)
            mine[attr] = their_value
        assert mine == orig, name


def test_tables_and_rights_match_the_original(db, original_londiste, probe_role):
    assert db.dicts(TABLES) == original_londiste.dicts(TABLES)
    assert db.execute(CONSTRAINTS) == original_londiste.execute(CONSTRAINTS)
    assert db.dicts(TABLE_RIGHTS, (list(ROLES),)) == original_londiste.dicts(
        TABLE_RIGHTS, (list(ROLES),)
    )
    triggers = (
        "select tgname from pg_trigger"
        " where tgrelid = 'londiste.table_info'::regclass and not tgisinternal"
    )
    assert db.execute(triggers) == original_londiste.execute(triggers)


# ---------------------------------------------------------------- the original's suite

# pg_regress order (the original's Makefile); the files share one database
SUITE = (
    "londiste_provider",
    "londiste_subscriber",
    "londiste_fkeys",
    "londiste_execute",
    "londiste_seqs",
    "londiste_merge",
    "londiste_leaf",
    "londiste_create_part",
    "londiste_merge_fkeys",
)


class _Source:
    """The original's test files, from a checkout or from the fetched bare mirror."""

    def __init__(self) -> None:
        src = os.environ.get(SRC_ENV)
        mirror = os.environ.get(MIRROR_ENV, DEFAULT_MIRROR)
        self.dir: Path | None = None
        self.git: str | None = None
        if src:
            if not (Path(src) / "sql" / "londiste_provider.sql").is_file():
                pytest.skip(f"{SRC_ENV}={src} has no sql/londiste_provider.sql")
            self.dir = Path(src)
        elif Path(mirror).is_dir() and shutil.which("git"):
            self.git = mirror
            if self.read("sql/londiste_provider.sql") is None:
                pytest.skip(f"{mirror} has no sql/londiste_provider.sql")
        else:
            pytest.skip(
                f"set {SRC_ENV} to a checkout of github.com/pgq/londiste-sql"
                f" (or {MIRROR_ENV} to its bare mirror)"
            )

    def read(self, path: str) -> str | None:
        if self.dir is not None:
            file = self.dir / path
            return file.read_text() if file.is_file() else None
        out = subprocess.run(
            ["git", f"--git-dir={self.git}", "show", f"HEAD:{path}"],
            capture_output=True,
            text=True,
        )
        return out.stdout if out.returncode == 0 else None


@pytest.fixture
def original_src() -> _Source:
    return _Source()


def _psql(pg_cluster: Any) -> str:
    found = pg_cluster.bindir / "psql"
    if found.is_file():
        return str(found)
    which = shutil.which("psql")
    if which is None:
        pytest.skip("psql is not installed")
    return which


def _statements(text: str) -> list[list[str]]:
    """Output of `psql -a` split at each echoed statement, whitespace-insensitive."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if re.match(r"(?i)^(select|update|insert|delete|create|drop|alter|\\)", line):
            blocks.append([])
        norm = " ".join(line.split())
        if norm:
            blocks[-1].append(norm)
    return [b for b in blocks if b]


def _drop_test_roles(pg_cluster: Any) -> None:
    admin = _admin(pg_cluster)
    try:
        with admin.cursor() as cur:
            for role in ("londiste_test_part1", "londiste_test_part2"):
                cur.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
    finally:
        admin.close()


def test_the_originals_regression_suite(pg_cluster, pg_version, original_src):
    """Each of the original's sql/londiste_*.sql gives its expected output on ours.

    The suite's init files only load the code (create extension / \\i of the
    sources); our installer did that in the test template this database is cloned
    from.  The database name the suite prints is the only thing normalised; where the
    original has alternative expected files (_1.out, for other server versions), any
    of them will do.
    """
    database = _create_db(pg_cluster, TEMPLATE_DB)
    _drop_test_roles(pg_cluster)
    report = []
    try:
        env = dict(os.environ, PGTZ="PST8PDT", PGDATESTYLE="Postgres, MDY")
        for name in SUITE:
            script = original_src.read(f"sql/{name}.sql")
            assert script is not None, name
            wanted = [
                _statements(text)
                for suffix in ("", "_1", "_2")
                if (text := original_src.read(f"expected/{name}{suffix}.out")) is not None
            ]
            out = subprocess.run(
                [_psql(pg_cluster), "-X", "-a", "-q", "-d", database.dsn],
                input=script,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=env,
                timeout=300,
            )
            got = _statements(out.stdout.replace(f" {database.name}\n", " regression\n"))
            best = max(sum(a == b for a, b in zip(got, w, strict=False)) for w in wanted)
            report.append((name, best, len(wanted[0]), got in wanted))
            if got not in wanted:
                for a, b in zip(got, wanted[0], strict=False):
                    if a != b:
                        print(f"{name}: got {a}\n  expected {b}")
        print("original londiste regression suite:", report)
        # PostgreSQL 18 keeps NOT NULL constraints in pg_constraint: the suite's count of
        # a partition's constraints is 6 there, 3 in the expected output (any server)
        known = {"londiste_create_part"} if pg_version >= 18 else set()
        assert [r for r in report if not r[3] and r[0] not in known] == []
    finally:
        _drop_db(database)
        _drop_test_roles(pg_cluster)


# ---------------------------------------------------------------- the original tool


@pytest.fixture
def original_tool() -> tuple[str, str]:
    """The original londiste command (python3-londiste) and pgqd."""
    londiste = shutil.which("londiste")
    pgqd = shutil.which("pgqd")
    if londiste is None or pgqd is None:
        pytest.skip("the original londiste tool (python3-londiste) or pgqd is not installed")
    return londiste, pgqd


def _wait(what: str, check: Any, timeout: float = 180.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_the_original_londiste_tool_replicates_through_ours(pg_cluster, original_tool, tmp_path):
    """The original londiste (admin commands and worker) and pgqd on our SQL: add
    tables and a sequence, initial copy, changes, TRUNCATE, EXECUTE, remove-table."""
    londiste, pgqd = original_tool
    root = _create_db(pg_cluster, TEMPLATE_DB)
    branch = _create_db(pg_cluster, TEMPLATE_DB)
    procs: list[subprocess.Popen] = []
    try:
        for node in (root, branch):
            node.execute(
                "create table public.t1 (id serial primary key, v text);"
                " create table public.t2 (id int primary key, x int);"
                " create sequence public.s1"
            )
        root.execute("insert into t1 (v) select 'before' from generate_series(1, 500)")
        ini = {}
        for name, node in (("root", root), ("branch", branch)):
            ini[name] = tmp_path / f"{name}.ini"
            ini[name].write_text(
                f"[londiste]\njob_name = l_{node.name}\ndb = {node.dsn}\nqueue_name = lq\n"
                f"logfile = {tmp_path}/{name}.log\npidfile = {tmp_path}/{name}.pid\n"
            )
        (tmp_path / "pgqd.ini").write_text(
            f"[pgqd]\nbase_connstr = {pg_cluster.dsn('postgres').replace(' dbname=postgres', '')}\n"
            f"initial_database = postgres\ndatabase_list = {root.name}, {branch.name}\n"
            f"logfile = {tmp_path}/pgqd.log\npidfile = {tmp_path}/pgqd.pid\n"
            "ticker_period = 0.2\n"
        )

        def admin(name: str, *args: str) -> str:
            out = subprocess.run(
                [londiste, str(ini[name]), *args],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=tmp_path,
            )
            assert out.returncode == 0, out.stderr
            return out.stderr + out.stdout

        assert 'type "root"' in admin("root", "create-root", "rnode", root.dsn)
        assert "Table added: public.t2" in admin("root", "add-table", "t1", "t2")
        assert "Sequence added: public.s1" in admin("root", "add-seq", "s1")
        admin("branch", "create-branch", "bnode", branch.dsn, f"--provider={root.dsn}")
        procs.append(subprocess.Popen([pgqd, str(tmp_path / "pgqd.ini")], cwd=tmp_path))
        for name in ("root", "branch"):
            procs.append(subprocess.Popen([londiste, str(ini[name]), "worker"], cwd=tmp_path))
        admin("branch", "add-table", "--all")
        admin("branch", "add-seq", "--all")

        def states() -> list[tuple]:
            return branch.execute(
                "select table_name, merge_state from londiste.get_table_list('lq') order by 1"
            )

        _wait("the copy", lambda: states() == [("public.t1", "ok"), ("public.t2", "ok")])
        root.execute("update t1 set v = 'after' where id % 2 = 0")
        root.execute("insert into t2 select g, g from generate_series(1, 50) g")
        root.execute("truncate t2")
        root.execute("insert into t2 values (7, 7)")
        (tmp_path / "ddl.sql").write_text("alter table public.t1 add column z int;\n")
        admin("root", "execute", str(tmp_path / "ddl.sql"))

        def same() -> bool:
            # one table per statement: a statement reading both would hold t1 while waiting
            # for t2, and the branch's batch (TRUNCATE of t2, then the DDL on t1) takes
            # them the other way round: a deadlock (the test lost it once)
            return all(
                root.execute(q) == branch.execute(q)
                for q in (f"select array_agg(t order by id)::text from {t} t" for t in ("t1", "t2"))
            )

        _wait("the changes", same)
        assert branch.execute("select * from t2") == [(7, 7)]
        assert branch.scalar("select last_value from s1") >= root.scalar(
            "select last_value from s1"
        )
        assert "Table removed: public.t2" in admin("root", "remove-table", "t2")
        _wait("remove-table", lambda: states() == [("public.t1", "ok")])
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        _drop_db(root)
        _drop_db(branch)
