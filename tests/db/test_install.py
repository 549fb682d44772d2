"""Installer: one transaction, idempotent, upgrades in place keeping data, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from engine.install import InstallError, build_sql, install, resolve_modules
from tests.pgqtools import consume_all, tick


def test_install_into_empty_database_and_again(empty_db):
    conn = empty_db.connect(autocommit=False)
    reports = install(conn)
    assert [(r.module, r.action) for r in reports] == [
        ("pgq", "installed"),
        ("pgq_coop", "installed"),
        ("pgq_node", "installed"),
        ("londiste", "installed"),
        ("qadmin_ext", "installed"),
    ]
    assert "installed version 3.6.0" in str(reports[0])
    assert str(reports[3]) == "londiste: installed version 3.8, 53 functions"
    assert str(reports[4]) == "qadmin_ext: installed version 3.6.0, 3 functions"
    reports = install(conn, ["pgq_coop"])
    assert [(r.module, r.action) for r in reports] == [
        ("pgq", "reinstalled"),
        ("pgq_coop", "reinstalled"),
    ]


def test_reinstall_keeps_queues_consumers_and_events(db):
    cur = db.conn.cursor()
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq.insert_event('q1', 't', 'before')")
    install(db.connect(autocommit=False))
    db.execute("select pgq.insert_event('q1', 't', 'after')")
    tick(cur, "q1")
    assert [e[2] for e in consume_all(cur, "q1", "c1")] == ["before", "after"]


def test_upgrade_from_older_structure(db):
    """An install that lacks newer columns and constraints gets them, data kept."""
    db.execute("select pgq.create_queue('q1')")
    db.execute("drop trigger queue_code_refresh on pgq.queue")
    # what earlier installs of ours had: the current table's memo and its trigger
    db.execute(
        "create function pgq._insert_memo(integer, out setting text, out pos integer)"
        " as 'select null::text, 1' language sql"
    )
    db.execute(
        "create trigger queue_state_reset after update of queue_cur_table on pgq.queue"
        " for each row execute function pgq._queue_changed()"
    )
    db.execute("alter table pgq.queue drop column queue_switch_wait")
    db.execute("alter table pgq.queue drop column queue_notify")
    db.execute("alter table pgq.queue drop column queue_per_tx_limit")
    db.execute("alter table pgq.retry_queue alter column ev_txid set not null")
    db.execute(
        "create or replace function pgq.version() returns text as $$ select '3.2.6' $$ language sql"
    )
    reports = install(db.connect(autocommit=False), ["pgq"])
    assert reports[0].action == "upgraded" and reports[0].before == "3.2.6"
    cols = {
        r[0]
        for r in db.execute(
            "select attname from pg_attribute where attrelid = 'pgq.queue'::regclass"
            " and not attisdropped"
        )
    }
    assert {"queue_notify", "queue_per_tx_limit", "queue_switch_wait"} <= cols
    assert db.execute(
        "select tgname from pg_trigger where tgrelid = 'pgq.queue'::regclass and not tgisinternal"
    ) == [("queue_code_refresh",)]
    assert db.scalar("select to_regproc('pgq._insert_memo')") is None
    assert db.scalar("select pgq.upgrade_schema()") == 0, "nothing left to do"
    assert db.scalar("select count(*) from pgq.queue") == 1
    db.execute("select pgq.insert_event('q1', 't', 'd')")


def test_failed_install_changes_nothing(empty_db, monkeypatch, tmp_path):
    import engine.install as inst

    root = tmp_path / "sql"
    (root / "pgq" / "structure").mkdir(parents=True)
    (root / "pgq" / "structure" / "install.sql").write_text("create schema pgq;\n\\ir broken.sql\n")
    (root / "pgq" / "structure" / "broken.sql").write_text("create table pgq.x (a nosuchtype);\n")
    monkeypatch.setattr(inst, "sql_root", lambda: root)
    conn = empty_db.connect(autocommit=False)
    with pytest.raises(InstallError, match=r"pgq: broken.sql: type \"nosuchtype\" does not exist"):
        install(conn, ["pgq"])
    assert empty_db.scalar("select count(*) from pg_namespace where nspname = 'pgq'") == 0


def test_resolve_modules():
    assert resolve_modules(["pgq_coop"]) == ["pgq", "pgq_coop"]
    assert resolve_modules([]) == ["pgq", "pgq_coop", "pgq_node", "londiste", "qadmin_ext"]
    assert resolve_modules(["londiste"]) == ["pgq", "pgq_node", "londiste"]
    assert resolve_modules(["pgq_node"]) == ["pgq", "pgq_node"]
    assert resolve_modules(["qadmin_ext"]) == ["qadmin_ext"]
    with pytest.raises(InstallError, match="unknown module 'nope'"):
        resolve_modules(["nope"])


def test_single_file_sql_installs_with_psql(empty_db):
    text = "".join(build_sql(m) for m in ("pgq", "pgq_coop", "pgq_node", "londiste", "qadmin_ext"))
    assert "\\ir" not in text
    conn = empty_db.connect(autocommit=False)
    conn.cursor().execute(text)
    conn.commit()
    assert empty_db.scalar("select pgq.create_queue('q')") == 1
    assert empty_db.scalar("select pgq_coop.version()") == "3.6.0"
    assert empty_db.scalar("select pgq_node.version()") == "3.6.0"
    assert empty_db.scalar("select londiste.version()") == "3.8"
    assert empty_db.scalar("select qadmin_ext.set_batch_done('k', 1)") is True


def test_cli(empty_db):
    c = empty_db.cluster
    args = [
        sys.executable,
        "-m",
        "engine.install",
        "-h",
        c.host,
        "-p",
        str(c.port),
        "-U",
        c.user,
        "-d",
        empty_db.name,
    ]
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [ln.split(",")[0] for ln in lines] == [
        "pgq: installed version 3.6.0",
        "pgq_coop: installed version 3.6.0",
        "pgq_node: installed version 3.6.0",
        "londiste: installed version 3.8",
        "qadmin_ext: installed version 3.6.0",
    ]
    bad = subprocess.run([*args[:-1], "no_such_db"], capture_output=True, text=True)
    assert bad.returncode == 1
    assert 'database "no_such_db" does not exist' in bad.stderr
    assert "Traceback" not in bad.stderr
    bad = subprocess.run([*args, "nope"], capture_output=True, text=True)
    assert bad.returncode == 1 and "unknown module 'nope'" in bad.stderr


def test_psql_manifest_runs_as_is(empty_db):
    import shutil

    psql = shutil.which("psql") or str(empty_db.cluster.bindir / "psql")
    from engine.install import sql_root

    out = subprocess.run(
        [
            psql,
            "-X",
            "-q",
            "-1",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            empty_db.dsn,
            "-f",
            str(sql_root() / "pgq" / "structure" / "install.sql"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert empty_db.scalar("select pgq.version()") == "3.6.0"
    with pytest.raises(psycopg2.Error):
        empty_db.execute("select pgq_coop.version()")


def _released_pgq_script(db) -> str | None:
    """Skytools PgQ 3.5 as plain SQL (its extension script minus the extension calls)."""
    sharedir = db.scalar("select setting from pg_config where name = 'SHAREDIR'")
    path = Path(sharedir) / "extension" / "pgq--3.5.sql"
    if not path.is_file():
        return None
    return "\n".join(
        ln
        for ln in path.read_text().splitlines()
        if "pg_extension_config_dump" not in ln and not ln.startswith("\\")
    )


def test_upgrade_from_released_skytools_layout(empty_db):
    """A database set up with released Skytools PgQ 3.5 (C triggers) upgrades in place."""
    script = _released_pgq_script(empty_db)
    if script is None:
        pytest.skip("the original PgQ 3.5 files (postgresql-NN-pgq3) are not installed")
    conn = empty_db.connect(autocommit=False)
    conn.cursor().execute(script)
    conn.commit()
    empty_db.execute("select pgq.create_queue('q1')")
    empty_db.execute("select pgq.register_consumer('q1', 'c1')")
    empty_db.execute("create table cap (id int primary key, v text)")
    empty_db.execute(
        "create trigger c after insert on cap for each row execute procedure pgq.logutriga('q1')"
    )
    empty_db.execute("insert into cap values (1, 'before')")
    install(empty_db.connect(autocommit=False))
    assert empty_db.scalar("select pgq.version()") == "3.6.0"
    # the C trigger function was replaced by ours, the table's trigger kept
    lang = empty_db.scalar(
        "select l.lanname from pg_proc p join pg_language l on l.oid = p.prolang"
        " where p.oid = 'pgq.logutriga()'::regprocedure"
    )
    assert lang == "plpgsql"
    # and so were the insert functions (the C insert_event_raw too): the installer
    # replaces them, only queue changes keep a function a user replaced
    for fn in (
        "pgq.insert_event_raw(text,bigint,timestamptz,integer,integer,text,text,text,text,text,text)",
        "pgq.insert_event(text,text,text,text,text,text,text)",
        "pgq.insert_event(text,text,text)",
    ):
        assert empty_db.scalar("select pgq._insert_code_ours(%s)", (fn,)) is True, fn
    empty_db.execute("insert into cap values (2, 'after')")
    tick(empty_db.conn.cursor(), "q1")
    assert [e[2] for e in consume_all(empty_db.conn.cursor(), "q1", "c1")] == [
        "id=1&v=before",
        "id=2&v=after",
    ]
    empty_db.execute("drop table cap")


# -- a database owner without superuser and without CREATEROLE (managed PostgreSQL) --------


def _owner_db(cluster, owner: str, dbname: str):
    """A database owned by a login role that is neither superuser nor CREATEROLE."""
    admin = psycopg2.connect(cluster.dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"create role {owner} login nosuperuser nocreaterole nocreatedb")
        cur.execute(f"create database {dbname} owner {owner}")
    admin.close()
    return psycopg2.connect(cluster.dsn(dbname, user=owner))


def _run(conn, statement, args=None):
    with conn.cursor() as cur:
        cur.execute(statement, args)
        return cur.fetchall() if cur.description else None


def test_owner_without_createrole_installs_when_the_roles_exist(pg_cluster):
    # the session cluster has the roles (the template's install made them)
    conn = _owner_db(pg_cluster, "own_cr", "own_cr_db")
    try:
        reports = install(conn, ["pgq"])
        assert [(r.module, r.action) for r in reports] == [("pgq", "installed")]
        conn.autocommit = True
        assert _run(conn, "select pgq.create_queue('q')") == [(1,)]
        # capture triggers work, on the slow path (no DDL event triggers without superuser)
        _run(conn, "create table t (id int primary key)")
        _run(
            conn,
            "create trigger c after insert on t for each row execute procedure pgq.logutriga('q')",
        )
        _run(conn, "insert into t values (1)")
        assert _run(conn, "select ev_type, ev_data from pgq.event_template") == [("I:id", "id=1")]
        assert _run(conn, "select count(*) from pg_event_trigger where evtname like 'pgq%'") == [
            (0,)
        ]
        # the roles got their grants
        assert _run(
            conn,
            "select has_function_privilege('pgq_writer', 'pgq.insert_event(text,text,text)',"
            " 'execute'), has_function_privilege('pgq_reader', 'pgq.next_batch(text,text)',"
            " 'execute'), has_function_privilege('public', 'pgq.insert_event(text,text,text)',"
            " 'execute')",
        ) == [(True, True, False)]
    finally:
        conn.close()
        admin = psycopg2.connect(pg_cluster.dsn("postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("drop database own_cr_db with (force)")
            cur.execute("drop role own_cr")
        admin.close()


def test_owner_without_the_roles_is_told_what_to_ask_for(cluster_factory):
    cluster = cluster_factory(install_modules=False)
    conn = _owner_db(cluster, "owner", "app")
    with pytest.raises(InstallError) as err:
        install(conn, ["pgq"])
    message = str(err.value)
    assert message.startswith(
        "pgq: install.sql: PgQ needs the roles pgq_reader, pgq_writer, pgq_admin, which do not"
        " exist, and role owner may not create roles\n"
        "DETAIL:  Ask an administrator (a superuser or a role with CREATEROLE) to run:"
        " create role pgq_reader; create role pgq_writer;"
        " create role pgq_admin in role pgq_reader, pgq_writer;\n"
        "HINT:  Or install without the roles: python -m engine.install --no-roles"
    ), message
    assert "CONTEXT" not in message
    assert _run(conn, "select count(*) from pg_namespace where nspname = 'pgq'") == [(0,)]
    conn.rollback()

    # asked to: installed without them, PgQ is the owner's
    modules = ["pgq", "pgq_coop", "pgq_node", "qadmin_ext"]
    reports = install(conn, modules, roles=False)
    assert [r.module for r in reports] == modules
    conn.autocommit = True
    _run(conn, "select pgq.create_queue('q')")
    _run(conn, "select pgq.register_consumer('q', 'c')")
    _run(conn, "select pgq.insert_event('q', 't', 'd')")
    assert _run(conn, "select count(*) from pg_roles where rolname like 'pgq\\_%'") == [(0,)]
    admin = psycopg2.connect(cluster.dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("create role stranger login")
    other = psycopg2.connect(cluster.dsn("app", user="stranger"))
    other.autocommit = True
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _run(other, "select pgq.insert_event('q', 't', 'd')")
    other.close()

    # the administrator makes the roles afterwards: a reinstall grants to them
    with admin.cursor() as cur:
        cur.execute(message.split("to run: ")[1].split("\n")[0])
        cur.execute("grant pgq_writer to stranger")
    admin.close()
    install(conn, modules)
    assert _run(
        conn,
        "select has_function_privilege('pgq_writer',"
        " 'pgq_node.set_consumer_completed(text, text, int8)', 'execute')",
    ) == [(True,)]
    other = psycopg2.connect(cluster.dsn("app", user="stranger"))
    other.autocommit = True
    _run(other, "select pgq.insert_event('q', 't', 'd')")
    other.close()
    conn.close()


def test_cli_no_roles(cluster_factory):
    cluster = cluster_factory(install_modules=False)
    _owner_db(cluster, "owner", "app").close()
    args = [sys.executable, "-m", "engine.install", "-d", cluster.dsn("app", user="owner")]
    out = subprocess.run([*args, "pgq"], capture_output=True, text=True)
    assert out.returncode == 1
    assert "create role pgq_reader;" in out.stderr and "--no-roles" in out.stderr
    assert "Traceback" not in out.stderr and "nothing was changed" in out.stderr
    out = subprocess.run([*args, "--no-roles", "pgq"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("pgq: installed version")


def test_console_install_without_roles(cluster_factory):
    cluster = cluster_factory(install_modules=False)
    _owner_db(cluster, "owner", "app").close()
    args = [sys.executable, "-m", "qadmin", "-X", "-d", cluster.dsn("app", user="owner")]
    out = subprocess.run([*args, "-c", "install pgq;"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "create role pgq_reader;" in out.stderr, out.stderr
    assert "internal error" not in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run(
        [*args, "-c", "install pgq without roles;"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "pgq: installed version" in out.stdout
