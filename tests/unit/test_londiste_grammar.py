"""Londiste commands: grammar -> AST, syntax errors, completion of table names, help.

Pure: no database.
"""

from __future__ import annotations

import pytest

from qadmin import ast
from qadmin.catalog import Catalog
from qadmin.commands.registry import REGISTRY, changes_catalog, load_handlers
from qadmin.complete.match import complete
from qadmin.help import command_help, overview
from qadmin.parser import QadminSyntaxError, parse, parse_one
from qadmin.slots import LONDISTE_OPTIONS

S = ast.Setting

COMMANDS = [
    ("start londiste;", ast.StartLondiste(None, None, ())),
    (
        "START LONDISTE ON q AS w WITH parallel_copies=2;",
        ast.StartLondiste("q", "w", (S("parallel_copies", "2"),)),
    ),
    ("londiste add table t1;", ast.LondisteAddTable(("t1",), ())),
    (
        "londiste add table public.t1, \"Big\".t2, 'log_*', all with create, dest_table=x;",
        ast.LondisteAddTable(
            ("public.t1", "Big.t2", "log_*", "ALL"), (S("create", None), S("dest_table", "x"))
        ),
    ),
    (
        "londiste add table t with copy_condition='id > 5', handler_args='a=1&b=2';",
        ast.LondisteAddTable(("t",), (S("copy_condition", "id > 5"), S("handler_args", "a=1&b=2"))),
    ),
    (
        "londiste add table t1, s.t2 with from_dump, dump_file='/tmp/set one.dump';",
        ast.LondisteAddTable(
            ("t1", "s.t2"), (S("from_dump", None), S("dump_file", "/tmp/set one.dump"))
        ),
    ),
    ("londiste remove table t1, 'x*';", ast.LondisteRemoveTable(("t1", "x*"))),
    ("londiste add sequence s1, ALL;", ast.LondisteAddSequence(("s1", "ALL"))),
    ("londiste remove sequence public.s1;", ast.LondisteRemoveSequence(("public.s1",))),
    ("londiste show tables;", ast.LondisteShowTables()),
    ("londiste show sequences;", ast.LondisteShowSequences()),
    ("londiste show missing;", ast.LondisteShowMissing()),
    ("londiste resync t1, t2;", ast.LondisteResync(("t1", "t2"))),
    ("londiste compare;", ast.LondisteCompare(None, False)),
    ("londiste compare count only;", ast.LondisteCompare(None, True)),
    ("londiste compare t1, 'a*' count only;", ast.LondisteCompare(("t1", "a*"), True)),
    ("londiste repair;", ast.LondisteRepair(None, False)),
    ("londiste repair t1 apply;", ast.LondisteRepair(("t1",), True)),
    ("londiste execute 'ddl.sql';", ast.LondisteExecute("ddl.sql", False, None)),
    ("londiste execute 'ddl.sql' wait;", ast.LondisteExecute("ddl.sql", True, None)),
    (
        "londiste execute '/tmp/a b.sql' wait timeout 2.5;",
        ast.LondisteExecute("/tmp/a b.sql", True, 2.5),
    ),
    ("londiste fkeys;", ast.LondisteFkeys(False)),
    ("londiste fkeys restore;", ast.LondisteFkeys(True)),
    (
        "londiste change handler t1 to bulk with method=1;",
        ast.LondisteChangeHandler("t1", "bulk", (S("method", "1"),)),
    ),
    ("londiste change handler s.t1 to nop;", ast.LondisteChangeHandler("s.t1", "nop", ())),
    ("londiste wait sync;", ast.LondisteWaitSync(None)),
    ("londiste wait sync timeout 10;", ast.LondisteWaitSync(10.0)),
    ("londiste status;", ast.LondisteStatus()),
]


@pytest.mark.parametrize(("text", "expected"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_command(text, expected):
    assert parse(text) == (expected,)


def test_values_are_plain():
    cmd = parse_one("londiste execute 'f.sql' wait timeout 3")
    assert type(cmd.file) is str and type(cmd.timeout) is float and cmd.wait is True
    add = parse_one("londiste add table a.b, 'c*'")
    assert all(type(t) is str for t in add.tables)


ERRORS = [
    ("londiste;", ["ADD", "STATUS"]),
    ("londiste add table;", ["a table not yet added"]),
    ("londiste remove table;", ["an added table"]),
    ("londiste add sequence;", ["a sequence not yet added"]),
    ("londiste show;", ["MISSING", "SEQUENCES", "TABLES"]),
    ("londiste execute ddl.sql;", ["a 'string'"]),
    ("londiste execute 'x' wait timeout;", ["a number"]),
    ("londiste change handler t1 bulk;", ["TO"]),
    ("londiste add table t1 with;", ["an add table option"]),
    ("londiste compare count;", ["ONLY"]),
]


@pytest.mark.parametrize(("text", "words"), ERRORS, ids=[e[0] for e in ERRORS])
def test_syntax_error(text, words):
    with pytest.raises(QadminSyntaxError) as info:
        parse(text)
    for word in words:
        assert word in info.value.message, info.value.message


CATALOG = Catalog.build(
    queues=["orders", "other"],
    tables=["t1", "t2", "items", "s.x"],
    sequences=["s1", "s2"],
    londiste_tables={"orders": ["t1", "s.x"], "other": ["items"]},
    londiste_seqs={"orders": ["s1"]},
    # for ADD: the queue's set not added here (a subscriber), not the local tables
    londiste_missing_tables={"orders": ["t2", "items"], "other": ["t1", "t2", "s.x"]},
    londiste_missing_seqs={"orders": ["s2"]},
    londiste_handlers=["bulk", "londiste", "nop"],
)

# keywords (ALL, COUNT) come before names
COMPLETIONS = [
    (
        "londiste ",
        "orders",
        [
            "add",
            "change",
            "compare",
            "execute",
            "fkeys",
            "remove",
            "repair",
            "resync",
            "show",
            "status",
            "wait",
        ],
    ),
    ("londiste add table ", "orders", ["all", "t2", "items"]),
    ("londiste add table ", "other", ["all", "t1", "t2", "s.x"]),
    ("londiste remove table ", "orders", ["all", "t1", "s.x"]),
    ("londiste resync ", "other", ["all", "items"]),
    ("londiste compare ", "orders", ["all", "count", "t1", "s.x"]),
    ("londiste add sequence ", "orders", ["all", "s2"]),
    ("londiste remove sequence ", "orders", ["all", "s1"]),
    ("londiste add table t2 with copy_", "orders", ["copy_condition", "copy_node"]),
    ("londiste add table t2 with from", "orders", ["from_dump"]),
    ("londiste add table t2 with from_dump, dump", "orders", ["dump_file"]),
    ("londiste change handler t1 to ", "orders", ["bulk", "londiste", "nop"]),
    ("start londiste ", None, ["as", "on", "with"]),
]


@pytest.mark.parametrize(
    ("text", "queue", "expected"), COMPLETIONS, ids=[c[0] for c in COMPLETIONS]
)
def test_complete(text, queue, expected):
    got = [c.text for c in complete(text, CATALOG, default_queue=queue)]
    assert got == expected


def test_options_are_the_engines():
    from engine.londiste.admin import ADD_TABLE_OPTIONS

    assert LONDISTE_OPTIONS == ADD_TABLE_OPTIONS


def test_registered_documented_and_refreshing():
    load_handlers()
    mine = [c for c in ast.command_classes() if c.__module__ == "qadmin.ast.londiste"]
    assert len(mine) == 16
    for cls in mine:
        assert cls in REGISTRY
    text = overview()
    for syntax in ("londiste add table <table>", "start londiste", "londiste compare"):
        assert syntax in text
    assert "copy_condition" in (command_help(("londiste", "add", "table")) or "")
    assert "RESTORE" in (command_help(("londiste", "fkeys")) or "")
    assert changes_catalog(parse_one("londiste add table t"))
    assert changes_catalog(parse_one("londiste remove table t"))
    assert not changes_catalog(parse_one("londiste show tables"))
    assert not parse_one("londiste add table t").watchable
    assert parse_one("londiste show tables").watchable


def test_from_dump_options():
    from qadmin.commands.londiste import _add_options
    from qadmin.commands.registry import CommandError

    cmd = parse_one("londiste add table t with from_dump, dump_file='/x/y.dump', wait_sync")
    assert _add_options(cmd.options) == {
        "from_dump": True,
        "dump_file": "/x/y.dump",
        "wait_sync": True,
    }
    with pytest.raises(CommandError, match="dump_file needs a value"):
        _add_options(parse_one("londiste add table t with from_dump, dump_file").options)
    with pytest.raises(CommandError, match="from_dump is a flag"):
        _add_options(parse_one("londiste add table t with from_dump='x'").options)
    assert "from_dump" in (command_help(("londiste", "add", "table")) or "")
