"""Cascade commands through the console against real pgq_node databases.

The console is driven as scripts drive it (qadmin.runner.Runner over a Context);
several nodes live in several databases or clusters (cluster_factory), and a
killed cluster is how a dead node is tested.
"""

from __future__ import annotations

import io

import pytest

from engine.db import ConnInfo
from qadmin.catalog import Catalog
from qadmin.commands.registry import Context, Settings
from qadmin.complete.match import complete
from qadmin.refresher import fetch_catalog
from qadmin.runner import Runner


class Console:
    """A console session on one database: run text, read what it printed."""

    def __init__(self, dsn: str, queue: str | None = None) -> None:
        info = ConnInfo.parse(dsn)
        self.ctx = Context(
            conn=info.connect(autocommit=True),
            conn_params=info,
            settings=Settings(mask_volatile=False),
            queue=queue,
        )
        self.out = io.StringIO()
        self.err = io.StringIO()
        self.runner = Runner(self.ctx, out=self.out, err=self.err, on_error="stop")
        self.lines: list[tuple[str, str]] = []  # (stream, text) in the order printed

    def run(self, text: str, *, ok: bool = True) -> str:
        """Run text; the output (stdout and stderr) it printed; errors fail unless ok=False."""
        start_out, start_err = self.out.tell(), self.err.tell()
        outcome = self.runner.run_text(text)
        out = self.out.getvalue()[start_out:]
        err = self.err.getvalue()[start_err:]
        if ok:
            assert outcome.errors == 0, err
        else:
            assert outcome.errors, out
        return out + err

    def close(self) -> None:
        if self.ctx.conn is not None and not self.ctx.conn.closed:
            self.ctx.conn.close()


@pytest.fixture
def console():
    made: list[Console] = []

    def make(dsn: str, queue: str | None = None) -> Console:
        c = Console(dsn, queue)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def _sql_cascade(root, branch, queue: str = "q") -> None:
    """A root and a branch made with pgq_node's functions only (no admin layer)."""
    root.execute("select * from pgq_node.register_location(%s, 'n1', %s, false)", (queue, root.dsn))
    root.execute(
        "select * from pgq_node.create_node(%s, 'root', 'n1', 'n1_worker', null, null, null)",
        (queue,),
    )
    root.execute(
        "select * from pgq_node.register_location(%s, 'n2', %s, false)", (queue, branch.dsn)
    )
    wm = root.scalar(
        "select global_watermark from pgq_node.register_subscriber(%s, 'n2', 'n2_worker', null)",
        (queue,),
    )
    for name, db in (("n1", root), ("n2", branch)):
        branch.execute(
            "select * from pgq_node.register_location(%s, %s, %s, false)", (queue, name, db.dsn)
        )
    branch.execute(
        "select * from pgq_node.create_node(%s, 'branch', 'n2', 'n2_worker', 'n1', %s, null)",
        (queue, wm),
    )


# -- variables and CONNECT node= (pgq_node's SQL only) ----------------------------------------


def test_variables_are_interpolated_as_psql_does(db, console):
    c = console(db.dsn)
    out = c.run(
        "\\set name 'it''s a value'\n"
        "\\set tbl Mixed\n"
        "select :'name' as v;\n"
        'create table :"tbl" (x int);\n'
        "select ':name' as quoted;\n"
    )
    assert "it's a value" in out
    assert db.scalar("select to_regclass('public.\"Mixed\"')") is not None
    assert ":name" in out
    # an unknown variable is left as typed: the server sees :'unknown_variable'
    err = c.run("select :'unknown_variable';", ok=False)
    assert "syntax error" in err
    # as typed, the name folds to lower case; :"tbl" kept it
    assert 'relation "mixed" does not exist' in c.run("select * from :tbl;", ok=False)
    c.run("\\unset tbl")
    assert "syntax error" in c.run('select * from :"tbl";', ok=False)  # left as typed


def test_connection_variables(db, console):
    c = console(db.dsn)
    out = c.run("\\echo :DBNAME on :PORT as :USER\n\\set PORT other\n\\echo :PORT")
    info = c.ctx.conn.info
    assert f"{db.name} on {info.port} as {info.user}" in out
    assert out.rstrip().endswith("other")
    listing = c.run("\\set")
    assert "DBNAME" in listing and db.name in listing


def test_connect_node_switches_nodes_inside_a_script(db, db2, console):
    _sql_cascade(db, db2)
    c = console(db.dsn, queue="q")
    c.run("\\set target n2\nconnect node=:target;")
    assert c.ctx.conn.info.dbname == db2.name and c.ctx.queue == "q"
    out = c.run("select current_database() as here;\nconnect node=n1;\nselect current_database();")
    assert db2.name in out and c.ctx.conn.info.dbname == db.name
    err = c.run("connect node=n9;", ok=False)
    assert 'node "n9" not found for queue "q"' in err
    assert c.ctx.conn.info.dbname == db.name  # the old connection stays


def test_node_names_are_completed_from_the_member_list(db, db2):
    _sql_cascade(db, db2)
    db.execute("select * from pgq_node.register_location('other', 'x1', 'dbname=x', false)")
    cat = fetch_catalog(db.connect())
    assert isinstance(cat, Catalog)
    assert cat.queue_nodes["q"] == ("n1", "n2") and cat.queue_nodes["other"] == ("x1",)
    assert cat.nodes == ("n1", "n2", "x1")
    assert [x.text for x in complete("show node ", cat, default_queue="q")] == ["n1", "n2"]
    assert [x.text for x in complete("connect node=", cat, " queue=other")] == ["x1"]


def test_no_node_names_without_pgq_node(empty_db):
    cat = fetch_catalog(empty_db.connect())
    assert cat.nodes == () and dict(cat.queue_nodes) == {}


def test_variables_from_the_command_line(db):
    from tests.db.test_console_scripts import run_qadmin

    proc = run_qadmin(
        db.dsn,
        "-v",
        "greeting=hello world",
        "-c",
        "\\echo :greeting",
        "-c",
        "select :'greeting' as g;",
    )
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.splitlines()[0] == "hello world"
    assert " hello world" in proc.stdout.splitlines()[3]
    bad = run_qadmin(db.dsn, "-v", "1x=y", "-c", "select 1")
    assert bad.returncode == 1 and "bad variable" in bad.stdout
