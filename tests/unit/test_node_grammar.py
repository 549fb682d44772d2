"""Cascade (node) commands: grammar -> AST, syntax errors, completion of node names, help.

Pure: no database.
"""

from __future__ import annotations

import pytest

from engine.daemon_keys import worker_keys
from qadmin import ast
from qadmin.catalog import Catalog
from qadmin.commands.registry import REGISTRY, changes_catalog, load_handlers
from qadmin.complete.match import complete
from qadmin.help import command_help, overview
from qadmin.parser import QadminSyntaxError, parse, parse_one

S = ast.Setting

COMMANDS = [
    ("create root node n1;", ast.CreateRootNode("n1", None, None)),
    (
        "CREATE ROOT NODE \"N1\" LOCATION 'host=db1 dbname=app' ON orders;",
        ast.CreateRootNode("N1", "host=db1 dbname=app", "orders"),
    ),
    (
        "create branch node n2 provider 'dbname=a';",
        ast.CreateBranchNode("n2", None, "dbname=a", None),
    ),
    (
        "create branch node n2 location 'host=b' provider 'host=a' on q;",
        ast.CreateBranchNode("n2", "host=b", "host=a", "q"),
    ),
    (
        "create leaf node n3 provider 'host=a';",
        ast.CreateLeafNode("n3", None, "host=a", None, None),
    ),
    (
        "create leaf node n3 location 'host=c' provider 'host=''a''' merge combined on part1;",
        ast.CreateLeafNode("n3", "host=c", "host='a'", "combined", "part1"),
    ),
    ("start worker;", ast.StartWorker(None, None, ())),
    # each optional part alone lands in its own field
    ("create root node n1 on q;", ast.CreateRootNode("n1", None, "q")),
    ("create root node n1 location 'x';", ast.CreateRootNode("n1", "x", None)),
    ("create leaf node n3 provider 'p' on q;", ast.CreateLeafNode("n3", None, "p", None, "q")),
    ("create leaf node n3 provider 'p' merge m;", ast.CreateLeafNode("n3", None, "p", "m", None)),
    ("start worker on q;", ast.StartWorker("q", None, ())),
    ("start worker as w;", ast.StartWorker(None, "w", ())),
    ("start worker with loop_delay=1;", ast.StartWorker(None, None, (S("loop_delay", "1"),))),
    ("start worker on q with a=1;", ast.StartWorker("q", None, (S("a", "1"),))),
    ("start worker as w with a=1;", ast.StartWorker(None, "w", (S("a", "1"),))),
    ("resurrect node n1 on q;", ast.ResurrectNode("n1", None, "q")),
    ("wait sync on q;", ast.WaitSync(None, "q")),
    ("wait provider timeout 5;", ast.WaitProvider(5.0, None)),
    (
        "start worker on q as w1 with loop_delay=0.2, pgq_lazy_fetch=100, x=null;",
        ast.StartWorker(
            "q", "w1", (S("loop_delay", "0.2"), S("pgq_lazy_fetch", "100"), S("x", None))
        ),
    ),
    ("show nodes;", ast.ShowNodes(None)),
    ("show nodes on q;", ast.ShowNodes("q")),
    ("show node n1;", ast.ShowNode("n1", None)),
    ('show node "Big" on q;', ast.ShowNode("Big", "q")),
    ("show members;", ast.ShowMembers(None)),
    ("show members on q;", ast.ShowMembers("q")),
    ("alter node n3 set provider n2;", ast.AlterNodeProvider("n3", "n2", None)),
    ("alter node n3 set provider n2 on q;", ast.AlterNodeProvider("n3", "n2", "q")),
    (
        "alter node n3 set location 'host=new';",
        ast.AlterNodeLocation("n3", "host=new", None),
    ),
    ("switchover to n2;", ast.Switchover("n2", None)),
    ("failover to n2 on q;", ast.Failover("n2", "q")),
    ("resurrect node n1;", ast.ResurrectNode("n1", None, None)),
    ("resurrect node n1 to '/tmp/lost.json';", ast.ResurrectNode("n1", "/tmp/lost.json", None)),
    ("pause node n2;", ast.PauseNode("n2", None)),
    ("resume node n2 on q;", ast.ResumeNode("n2", "q")),
    ("drop node n3;", ast.DropNode("n3", None)),
    ("rename node n3 to n4;", ast.RenameNode("n3", "n4", None)),
    ("tag node n1 dead;", ast.TagNodeDead("n1", None)),
    ("tag node n1 alive on q;", ast.TagNodeAlive("n1", "q")),
    ("wait sync;", ast.WaitSync(None, None)),
    ("wait sync timeout 30;", ast.WaitSync(30.0, None)),
    ("wait root timeout 2.5 on q;", ast.WaitRoot(2.5, "q")),
    ("wait provider;", ast.WaitProvider(None, None)),
]


@pytest.mark.parametrize(("text", "expected"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_command(text, expected):
    assert parse(text) == (expected,)


def test_values_are_plain():
    cmd = parse_one("create leaf node n3 provider 'host=a' on q")
    assert type(cmd.provider) is str and type(cmd.queue) is str
    wait = parse_one("wait sync timeout 3")
    assert type(wait.timeout) is float


@pytest.mark.parametrize(
    "text",
    [
        "show node_x",  # a name that starts like a keyword stays SQL
        "create table root (a int)",
        "drop table node",
        "alter table leaf add column c int",
        "start transaction",
    ],
)
def test_sql_is_still_sql(text):
    (cmd,) = parse(text)
    assert isinstance(cmd, ast.Sql)


ERRORS = [
    ("drop node;", 1, 10, ["a node name"]),
    ("create branch node n2;", 1, 22, ["PROVIDER", "LOCATION"]),
    ("create branch node n2 provider n1;", 1, 32, ["a 'string'"]),
    ("create leaf node n3 provider 'x' merge;", 1, 39, ["a queue name"]),
    ("alter node n3 set;", 1, 18, ["LOCATION", "PROVIDER"]),
    ("alter node n3 set provider 'x';", 1, 28, ["a node name"]),
    ("tag node n1 gone;", 1, 13, ["ALIVE", "DEAD"]),
    ("wait sync timeout soon;", 1, 19, ["a number"]),
    ("wait;", 1, 5, ["PROVIDER", "ROOT", "SYNC"]),
    ("switchover n2;", 1, 12, ["TO"]),
    ("start worker with;", 1, 18, ["a worker key name"]),
]


@pytest.mark.parametrize(("text", "line", "column", "words"), ERRORS, ids=[e[0] for e in ERRORS])
def test_syntax_error(text, line, column, words):
    with pytest.raises(QadminSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    for word in words:
        assert word in err.message, err.message


CATALOG = Catalog.build(
    worker_keys=worker_keys(),
    queues=["orders", "other"],
    nodes=["n1", "n2", "n3", "x1", "Mixed"],
    queue_nodes={"orders": ["n1", "n2", "n3"], "other": ["x1", "Mixed"]},
)

COMPLETIONS = [
    ("create ", None, ["branch", "leaf", "queue", "root"]),
    ("create root ", None, ["node"]),
    ("create branch node n2 ", None, ["location", "provider"]),
    ("create leaf node n3 provider 'x' ", None, ["merge", "on"]),
    ("create leaf node n3 provider 'x' merge ", None, ["orders", "other"]),
    ("show nod", None, ["node", "nodes"]),
    ("show node ", "orders", ["n1", "n2", "n3"]),
    ("show node ", "other", ["x1", '"Mixed"']),
    ("show node ", None, ["n1", "n2", "n3", "x1", '"Mixed"']),
    ("pause node n", "orders", ["n1", "n2", "n3"]),
    ("alter node n3 set provider ", "orders", ["n1", "n2", "n3"]),
    ("alter node n3 set ", None, ["location", "provider"]),
    ("switchover to ", "other", ["x1", '"Mixed"']),
    ("tag node n1 ", None, ["alive", "dead"]),
    ("wait ", None, ["provider", "root", "sync"]),
    ("start worker with loop", None, ["loop_delay"]),
    ("start worker ", None, ["as", "on", "with"]),
    ("connect node=", "orders", ["n1", "n2", "n3"]),
]


@pytest.mark.parametrize(
    ("text", "queue", "expected"), COMPLETIONS, ids=[c[0] for c in COMPLETIONS]
)
def test_complete(text, queue, expected):
    assert [c.text for c in complete(text, CATALOG, default_queue=queue)] == expected


def test_node_names_belong_to_the_queue_the_statement_names():
    assert [c.text for c in complete("show node ", CATALOG, " on other;", "orders")] == [
        "x1",
        '"Mixed"',
    ]
    (c, *_) = complete("drop node ", CATALOG, default_queue="orders")
    assert c.display_meta == "node"
    assert complete("show node ", CATALOG, default_queue="unknown") == []


def test_registered_documented_and_refreshing():
    load_handlers()
    node_commands = [c for c in ast.command_classes() if c.__module__ == "qadmin.ast.node"]
    assert len(node_commands) == 21
    for cls in node_commands:
        assert cls in REGISTRY
    text = overview()
    for syntax in (
        "create root node <name>",
        "show nodes [on <queue>];",
        "wait sync",
        "start worker",
    ):
        assert syntax in text
    create = command_help(("create",))
    assert create is not None and "create queue" in create and "create leaf node" in create
    assert "MERGE" in (command_help(("create", "leaf", "node")) or "")
    assert command_help(("tag", "node")) and command_help(("resurrect",))
    assert changes_catalog(parse_one("create root node n1"))
    assert changes_catalog(parse_one("drop node n1"))
    assert not changes_catalog(parse_one("show nodes"))


def test_commands_are_listed_once():
    from qadmin.parser import commands_starting

    shows = commands_starting("show")
    assert "SHOW NODES" in shows and "SHOW MEMBERS" in shows and "SHOW NODE" in shows
    assert not [s for s in shows if s.endswith(" ON")]
    assert commands_starting("wait") == ("WAIT PROVIDER", "WAIT ROOT", "WAIT SYNC")


def test_only_show_commands_can_be_watched():
    assert parse_one("show nodes").watchable and parse_one("show members").watchable
    for text in ("switchover to n2", "wait sync", "pause node n1", "start worker"):
        assert not parse_one(text).watchable
