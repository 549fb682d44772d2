"""Cascade commands through the console against real pgq_node databases.

The console is driven as scripts drive it (qadmin.runner.Runner over a Context);
several nodes live in several databases or clusters (cluster_factory), and a
killed cluster is how a dead node is tested.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.db import ConnInfo
from qadmin.catalog import Catalog
from qadmin.commands.registry import CommandError, Context, Result, Settings, dispatch
from qadmin.complete.match import complete
from qadmin.parser import parse_one
from qadmin.refresher import fetch_catalog
from qadmin.runner import Runner
from tests.supervised import daemon_pids, stop_all_daemons

QUEUE = "cq"


class Console:
    """A console session on one database: run text, read what it printed.

    Results and errors go to one stream, as a terminal shows them, so the
    order of progress lines and results can be checked.
    """

    def __init__(self, dsn: str, queue: str | None = None) -> None:
        info = ConnInfo.parse(dsn)
        self.ctx = Context(
            conn=info.connect(autocommit=True),
            conn_params=info,
            settings=Settings(mask_volatile=False),
            queue=queue,
        )
        self.buf = io.StringIO()
        self.runner = Runner(self.ctx, out=self.buf, err=self.buf, on_error="stop")

    def run(self, text: str, *, ok: bool = True) -> str:
        """Run text; what it printed; errors fail the test unless ok=False."""
        start = self.buf.tell()
        outcome = self.runner.run_text(text)
        printed = self.buf.getvalue()[start:]
        assert bool(outcome.errors) != ok, printed
        return printed

    def result(self, text: str) -> Result:
        """The Result of one command, for checks on its rows."""
        return dispatch(self.ctx, parse_one(text))

    def rows(self, text: str) -> list[dict]:
        res = self.result(text)
        return [dict(zip(res.columns, r, strict=True)) for r in res.rows]

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


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private supervisor state directory; its daemons are stopped afterwards."""
    state = tmp_path / "state"
    monkeypatch.setenv("QADMIN_STATE_DIR", str(state))
    try:
        yield state
    finally:
        stop_all_daemons(state)
    assert daemon_pids(state) == {}


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


# -- the cascade commands, several clusters ----------------------------------------------------


def _tree(console: Console) -> list[tuple[str, str | None, str]]:
    return [(r["node"], r["type"], r["status"]) for r in console.rows("show nodes")]


def test_a_cascade_built_run_and_taken_over_from_the_console(
    cluster_factory, console, state_dir, tmp_path
):
    clusters = {name: cluster_factory() for name in ("r", "b", "l")}
    loc = {name: c.dsn("postgres") for name, c in clusters.items()}
    con = {name: console(loc[name], QUEUE) for name in clusters}

    out = con["r"].run(f"create root node r location '{loc['r']}';")
    # the steps are printed as they happen, before the command's status
    assert out.index('node "r" created as root of queue "cq"') < out.index("CREATE NODE")
    out = con["b"].run(f"create branch node b location '{loc['b']}' provider '{loc['r']}';")
    assert 'r: subscribing node "b"' in out and out.rstrip().endswith("CREATE NODE")
    con["l"].run(f"create leaf node l location '{loc['l']}' provider '{loc['b']}';")
    for name in ("r", "b", "l"):
        out = con[name].run("start worker with loop_delay=0.1;")
        assert f"cq/{name} cascade worker" in out and "START WORKER" in out
    daemons = {r["name"]: r for r in con["r"].rows("show daemons all")}
    assert {n: (d["kind"], d["state"]) for n, d in daemons.items()} == {
        n: ("worker", "running") for n in ("r", "b", "l")
    }
    assert "already running" in con["b"].run("start worker;", ok=False)

    con["r"].run("insert event into cq ('t', 'one'); tick; wait sync timeout 60;")
    assert _tree(con["r"]) == [
        ("r", "root", "ok"),
        ("└─ b", "branch", "ok"),
        ("   └─ l", "leaf", "ok"),
    ]
    (b,) = con["r"].rows("show node b")
    assert (b["type"], b["provider"], b["worker"], b["status"]) == ("branch", "r", "b", "ok")
    node_b = con["r"].result("show node b")
    subscribers, _members = node_b.more
    assert subscribers.rows == (("l",),)
    members = con["l"].rows("show members")
    assert [(m["node_name"], m["dead"]) for m in members] == [
        ("b", False),
        ("l", False),
        ("r", False),
    ]
    assert {m["node_name"]: m["node_location"] for m in members}["r"] == loc["r"]

    # pause the leaf from the root's console: the tree says so
    assert 'consumer "l" paused' in con["r"].run("pause node l;")
    assert _tree(con["r"])[2] == ("   └─ l", "leaf", "paused")
    con["r"].run("resume node l;")

    # the leaf moves under the root, still gets events
    con["r"].run("alter node l set provider r;")
    assert _tree(con["r"])[1:] == [("└─ b", "branch", "ok"), ("└─ l", "leaf", "ok")]
    con["r"].run("insert event into cq ('t', 'two'); tick; wait sync timeout 60;")

    # switchover: b becomes the root, r a branch under it
    out = con["b"].run("switchover to b;")
    assert out.rstrip().endswith("SWITCHOVER")
    tree = {n.strip("└─ "): (t, s) for n, t, s in _tree(con["b"])}
    assert tree["b"] == ("root", "ok") and tree["r"][0] == "branch"
    assert con["b"].rows("show nodes")[0]["node"] == "b"

    # a node whose cluster is gone is marked, and failover replaces a dead root
    clusters["l"].stop(mode="immediate")
    rows = {r["node"].strip("└─ "): r for r in con["b"].rows("show nodes")}
    assert rows["l"]["status"] == "unreachable" and rows["l"]["last_error"]
    clusters["l"].start()
    clusters["b"].stop(mode="immediate")
    out = con["r"].run("failover to r;")
    assert out.rstrip().endswith("FAILOVER")
    rows = {r["node"].strip("└─ "): r for r in con["r"].rows("show nodes")}
    assert rows["r"]["type"] == "root" and rows["b"]["status"] == "dead"

    # the old root comes back and rejoins under the new one; what it alone had is dumped
    clusters["b"].start()
    back = console(loc["b"], QUEUE)
    dump = tmp_path / "lost.json"
    out = back.run(f"resurrect node b to '{dump}';")
    assert out.rstrip().endswith("RESURRECT") and str(dump) in out
    assert dump.exists()


def test_node_commands_on_databases_of_one_cluster(db, db2, console, state_dir):
    _sql_cascade(db, db2, QUEUE)
    c = console(db.dsn, QUEUE)
    # members tagged dead and alive again
    out = c.run("tag node n2 dead;")
    assert "n1: n2 tagged dead" in out and "TAG NODE" in out
    assert {m["node_name"]: m["dead"] for m in c.rows("show members")}["n2"] is True
    assert {r["node"].strip("└─ "): r["status"] for r in c.rows("show nodes")}["n2"] == "dead"
    c.run("tag node n2 alive;")
    assert {m["node_name"]: m["dead"] for m in c.rows("show members")}["n2"] is False
    # a new location, checked to reach the node and recorded on every member
    new = f"{db2.dsn} application_name=moved"
    c.run(f"alter node n2 set location '{new}';")
    assert {m["node_name"]: m["node_location"] for m in c.rows("show members")}["n2"] == new
    assert "reaches" in c.run(f"alter node n2 set location '{db.dsn}';", ok=False)
    # the branch leaves the cascade
    out = c.run("drop node n2;")
    assert out.rstrip().endswith("DROP NODE")
    assert [m["node_name"] for m in c.rows("show members")] == ["n1"]
    assert db2.scalar("select count(*) from pgq_node.node_info") == 0


def test_refusals_are_errors_not_tracebacks(db, empty_db, console, state_dir):
    c = console(db.dsn)
    assert "no queue given and no default queue" in c.run("show nodes;", ok=False)
    c.ctx.queue = QUEUE
    out = c.run("start worker;", ok=False)
    assert 'not a node of queue "cq"' in out and "CREATE ROOT" in out
    assert "db cannot be given in WITH" in c.run("start worker with db='x';", ok=False)
    assert "set by the supervisor" in c.run("start worker with pidfile='/tmp/x';", ok=False)
    assert "job_name cannot be given" in c.run("start worker with job_name=x;", ok=False)
    assert "positive number" in c.run("wait sync timeout 0;", ok=False)
    for text in ("show node n1;", "pause node n1;", "switchover to n1;", "wait sync;"):
        out = c.run(text, ok=False)
        assert "ERROR:" in out and "Traceback" not in out and "internal error" not in out, out
    bare = console(empty_db.dsn, QUEUE)
    out = bare.run("show nodes;", ok=False)
    assert "ERROR:" in out and "internal error" not in out, out
    assert daemon_pids(state_dir) == {}


def test_destructive_commands_ask_first_in_the_console(db, db2, console):
    _sql_cascade(db, db2, QUEUE)
    c = console(db.dsn, QUEUE)
    asked: list[str] = []
    c.ctx.interactive = True
    c.ctx.ask = lambda question: asked.append(question) is not None  # always "no"
    for text in ("drop node n2", "switchover to n2", "failover to n2"):
        assert c.result(text).status == "cancelled"
    assert len(asked) == 3 and 'Drop node "n2"' in asked[0]
    assert [m["node_name"] for m in c.rows("show members")] == ["n1", "n2"]
    with pytest.raises(CommandError):
        c.result("wait sync timeout 0")


def test_worker_daemon_names_and_rename(db, db2, console, state_dir):
    _sql_cascade(db, db2, QUEUE)
    root, branch = console(db.dsn, QUEUE), console(db2.dsn, QUEUE)
    root.run("start worker with loop_delay=0.1;")
    out = branch.run("start worker as copier with loop_delay=0.1;")
    assert "cq/n2_worker cascade worker" in out
    # the daemon has its own name; the worker keeps the node's worker name
    ini = (state_dir / "copier.ini").read_text()
    assert "job_name = n2_worker" in ini and f"queue_name = {QUEUE}" in ini
    assert "loop_delay = 0.1" in ini
    names = {r["name"]: r["detail"] for r in root.rows("show daemons all")}
    assert names == {"n1_worker": "cq/n1_worker cascade worker", "copier": names["copier"]}
    # a rename pauses the worker, renames the node everywhere, resumes it
    out = root.run("rename node n2 to n3;")
    assert out.rstrip().endswith("RENAME NODE")
    assert [m["node_name"] for m in root.rows("show members")] == ["n1", "n3"]
    assert [(r["node"], r["status"]) for r in root.rows("show nodes")] == [
        ("n1", "ok"),
        ("└─ n3", "ok"),
    ]
    assert [m.text for m in complete("show node ", fetch_catalog(db.connect()), "", QUEUE)] == [
        "n1",
        "n3",
    ]
