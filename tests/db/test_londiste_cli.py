"""londiste3's door, ``python -m engine.londiste CONFIG.ini COMMAND``, run as a subprocess.

One ini file per node as londiste3 users write them ([londiste3], db, queue_name,
public_node_location, initial_provider_location); the cascade commands and the
Londiste ones from the same file.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest

from engine.pgcluster import Cluster
from tests.db.daemon_util import PROJECT_ROOT, daemon_env, write_ini
from tests.db.test_londiste_admin import QUEUE, prepare


def run(ini: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "engine.londiste", str(ini), *args],
        capture_output=True,
        text=True,
        cwd=str(PROJECT_ROOT),
        env=daemon_env(),
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == code, proc.stderr
    return proc


def sql(cluster: Cluster, db: str, q: str) -> list[tuple]:
    conn = psycopg2.connect(cluster.dsn(db))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(q)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


@pytest.fixture
def inis(cluster_factory: Callable[..., Cluster], tmp_path: Path) -> tuple[Cluster, Path, Path]:
    cluster = cluster_factory(install_modules=False)
    for db in ("root", "branch"):
        prepare(cluster, db)
        sql(cluster, db, "create table public.t1 (id int primary key); create sequence s1")
    root = write_ini(
        tmp_path / "root.ini",
        "londiste3",
        {
            "job_name": "root",
            "db": cluster.dsn("root"),
            "queue_name": QUEUE,
            "public_node_location": cluster.dsn("root"),
        },
    )
    branch = write_ini(
        tmp_path / "branch.ini",
        "londiste3",
        {
            "job_name": "branch",
            "db": cluster.dsn("branch"),
            "queue_name": QUEUE,
            "public_node_location": cluster.dsn("branch"),
            "initial_provider_location": cluster.dsn("root"),
        },
    )
    return cluster, root, branch


def test_setup_tables_and_errors(inis: tuple[Cluster, Path, Path]) -> None:
    _cluster, root, branch = inis
    run(root, "create-root", "root")
    run(root, "add-table", "t1")
    run(root, "add-seq", "--all")
    out = run(root, "tables").stdout
    assert "public.t1" in out and "ok" in out
    assert "public.s1" in run(root, "seqs").stdout
    # the new branch learns the root's set (tables and sequences)
    run(branch, "create-branch", "branch")
    assert "public.t1" in run(branch, "missing").stdout
    members = run(branch, "members").stdout
    assert "root" in members and "branch" in members
    run(branch, "add-table", "t1", "--handler=londiste", "--handler-arg=encoding=utf8")
    out = run(branch, "tables").stdout
    assert "handler=londiste" in out
    run(branch, "change-handler", "t1", "--handler=bulk")
    assert "bulk" in run(branch, "tables").stdout
    run(branch, "resync", "t1")
    status = run(branch, "status").stdout
    assert "Tables: 0 ok, 1 not in sync" in status and "Modules:" in status
    # errors: one line, exit status 1 (refused) or 2 (usage)
    err = run(branch, "add-table", "nosuch", code=1).stderr
    assert err.count("\n") == 1 and "not replicated on provider" in err
    out = run(branch, "add-table", "nosuch", "--skip-non-existing").stderr
    assert "skipping public.nosuch" in out
    err = run(branch, "change-handler", "t1", code=2).stderr
    assert "usage: change-handler" in err
    err = run(branch, "wait-sync", "--timeout=0.3", code=1).stderr
    assert "not in sync within" in err
    run(branch, "remove-table", "t1")
    assert "public.t1" not in run(branch, "tables").stdout
    # execute: on the root only; applied once
    ddl = root.parent / "more.sql"
    ddl.write_text("create table public.t3 (id int primary key);\n")
    assert "no root" in run(branch, "execute", str(ddl), code=1).stderr
    assert "executed more.sql" in run(root, "execute", str(ddl)).stderr
    assert "applied already" in run(root, "execute", str(ddl)).stderr
    assert "public.t3" in run(root, "missing").stdout


def test_config_errors(tmp_path: Path) -> None:
    ini = write_ini(tmp_path / "x.ini", "other", {"db": "dbname=x"})
    err = run(ini, "tables", code=2).stderr
    assert "[londiste3] or [londiste]" in err
    ini = write_ini(tmp_path / "y.ini", "londiste3", {"db": "dbname=x"})
    assert "queue_name" in run(ini, "tables", code=2).stderr
    ini = write_ini(tmp_path / "z.ini", "londiste3", {"db": "dbname=x", "queue_name": "q"})
    assert "usage: add-table" in run(ini, "add-table", code=2).stderr
