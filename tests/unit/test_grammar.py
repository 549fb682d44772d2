"""Table-driven grammar tests: text -> AST for every command, and every error class."""

from __future__ import annotations

import pytest

from qadmin import ast
from qadmin.ast import ALL
from qadmin.parser import QadminSyntaxError, parse
from qadmin.scan import ends_statement, split_statements

S = ast.Setting

CASES = [
    # session
    ("connect;", ast.Connect(())),
    (
        "CONNECT dbname=foo host=127.0.0.1 port=5432 user=bob;",
        ast.Connect((("dbname", "foo"), ("host", "127.0.0.1"), ("port", "5432"), ("user", "bob"))),
    ),
    ("connect queue=Q1;", ast.Connect((("queue", "q1"),))),
    ('connect queue="Q1";', ast.Connect((("queue", "Q1"),))),
    (
        "connect dbname='my db' sslmode=disable;",
        ast.Connect((("dbname", "my db"), ("sslmode", "disable"))),
    ),
    ("connect node=n1;", ast.Connect((("node", "n1"),))),
    ("install pgq;", ast.Install(("pgq",))),
    ("INSTALL pgq_coop, ALL;", ast.Install(("pgq_coop", "all"))),
    ("install londiste;", ast.Install(("londiste",))),
    ("install qadmin_ext;", ast.Install(("qadmin_ext",))),
    ("help;", ast.Help(())),
    ("HELP create queue;", ast.Help(("create", "queue"))),
    ("show help;", ast.Help(())),
    ("\\?", ast.Help(())),
    ("exit;", ast.Exit()),
    ("QUIT", ast.Exit()),
    ("\\q", ast.Exit()),
    ("set format csv;", ast.SetFormat("csv")),
    ("SET FORMAT Expanded;", ast.SetFormat("expanded")),
    ("set timing on;", ast.SetTiming(True)),
    ("\\timing", ast.SetTiming(None)),
    ("\\timing off", ast.SetTiming(False)),
    ("\\x", ast.SetExpanded(None)),
    ("\\x on", ast.SetExpanded(True)),
    ("\\refresh", ast.Refresh()),
    ("watch show queue;", ast.Watch(None, ast.ShowQueue(None))),
    ("watch 0.5 show consumer * on *;", ast.Watch(0.5, ast.ShowConsumer(ALL, ALL))),
    ("show version;", ast.ShowVersion()),
    # queues
    ("create queue q1;", ast.CreateQueue("q1", ())),
    ('create queue "Queue One";', ast.CreateQueue("Queue One", ())),
    ('create queue "a""b";', ast.CreateQueue('a"b', ())),
    (
        "CREATE QUEUE Q1 WITH max_count=10, max_lag='1 s', per_tx_limit=null;",
        ast.CreateQueue("q1", (S("max_count", "10"), S("max_lag", "1 s"), S("per_tx_limit", None))),
    ),
    ("alter queue q1 set paused=true;", ast.AlterQueue("q1", (S("paused", "true"),))),
    (
        "alter queue * set idle_period='10 s', max_count=5;",
        ast.AlterQueue(ALL, (S("idle_period", "10 s"), S("max_count", "5"))),
    ),
    ("drop queue q1;", ast.DropQueue("q1", False)),
    ("drop queue q1 force;", ast.DropQueue("q1", True)),
    ("rename queue q1 to q2;", ast.RenameQueue("q1", "q2")),
    ("show queue;", ast.ShowQueue(None)),
    ("show queue q1;", ast.ShowQueue("q1")),
    ("show queue *;", ast.ShowQueue(ALL)),
    ("show queue 'ev*';", ast.ShowQueue(ast.Pattern("ev*"))),
    ('show queue "stats";', ast.ShowQueue("stats")),
    ("show queue stats;", ast.ShowQueueStats(None)),
    ("show queue stats q1;", ast.ShowQueueStats("q1")),
    ("show queue stats *;", ast.ShowQueueStats(ALL)),
    ("tick;", ast.Tick(None)),
    ("tick q1;", ast.Tick("q1")),
    ("tick *;", ast.Tick(ALL)),
    # consumers
    ("register consumer c1;", ast.RegisterConsumer("c1", None, None)),
    ("register consumer c1 on q1;", ast.RegisterConsumer("c1", "q1", None)),
    ("register consumer c1 on q1 at 5;", ast.RegisterConsumer("c1", "q1", ast.AtTick(5))),
    ("register consumer c1 copy c2;", ast.RegisterConsumer("c1", None, ast.CopyFrom("c2"))),
    ("unregister consumer c1;", ast.UnregisterConsumer("c1", None)),
    ("unregister consumer * from q1;", ast.UnregisterConsumer(ALL, "q1")),
    ("rename consumer c1 to c2;", ast.RenameConsumer("c1", "c2", None)),
    ("rename consumer c1 to c2 on q1;", ast.RenameConsumer("c1", "c2", "q1")),
    ("register subconsumer s1 for c1;", ast.RegisterSubconsumer("s1", "c1", None)),
    ("register subconsumer s1 for c1 on q1;", ast.RegisterSubconsumer("s1", "c1", "q1")),
    ("unregister subconsumer s1 for c1;", ast.UnregisterSubconsumer("s1", "c1", None, False)),
    (
        "unregister subconsumer * for c1 from q1 close batch;",
        ast.UnregisterSubconsumer(ALL, "c1", "q1", True),
    ),
    ("unregister subconsumer s1 for c1 close;", ast.UnregisterSubconsumer("s1", "c1", None, True)),
    ("show consumer;", ast.ShowConsumer(None, None)),
    ("show consumer c1;", ast.ShowConsumer("c1", None)),
    ("show consumer * on q1;", ast.ShowConsumer(ALL, "q1")),
    ("show consumer c1 on *;", ast.ShowConsumer("c1", ALL)),
    ("show batch info 12;", ast.ShowBatchInfo(12, None)),
    ("show batch info c1 on q1;", ast.ShowBatchInfo("c1", "q1")),
    ("show batch events 12 on q1;", ast.ShowBatchEvents(12, "q1")),
    ("show batch events c1;", ast.ShowBatchEvents("c1", None)),
    # events
    ("insert event ('t', 'd');", ast.InsertEvent(None, ("t", "d"))),
    (
        "insert event into q1 ('t', 'd', 'e1', null, 5, $$x'y$$);",
        ast.InsertEvent("q1", ("t", "d", "e1", None, "5", "x'y")),
    ),
    ("insert event into q1 (E'a\\nb', '');", ast.InsertEvent("q1", ("a\nb", ""))),
    ("delete event 42;", ast.DeleteEvent(42, None)),
    ("delete event 42 on q1;", ast.DeleteEvent(42, "q1")),
    # objects
    ("show table t1;", ast.ShowTable("t1")),
    ('show table public."T 1";', ast.ShowTable("public.T 1")),
    ("show sequence s.seq1;", ast.ShowSequence("s.seq1")),
    # comments anywhere
    ("show /* c */ queue -- x\n q1;", ast.ShowQueue("q1")),
]

SQL_CASES = [
    "select 1",
    "SELECT * FROM pgq.get_queue_info()",
    "select 'a;b', \"Col\" from t where x = $1",
    "insert into t values (1, 'x')",
    "update t set a = a + 1",
    "delete from t where id = 3",
    "with x as (select 1) select * from x",
    "begin",
    "commit",
    "rollback",
    "set search_path = public, pgq",
    "show search_path",
    "create table queue (id int primary key)",
    "create function f() returns int as $body$ select 1; $body$ language sql",
    "alter table t add column c text",
    "drop table t",
    "select e'\\'' || E'x'",
    "select a::text, b->>'k', c @> '{}' from t",
    "(select 1) union (select 2)",
    "values (1), (2)",
    "table t",
    "do $$ begin raise notice 'x;'; end $$",
    "select 1 / 2 - 3",
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_command(text, expected):
    assert parse(text) == (expected,)


@pytest.mark.parametrize("text", SQL_CASES)
def test_sql_passes_through_verbatim(text):
    assert parse(text + ";") == (ast.Sql(text),)


def test_several_statements_per_line_and_across_lines():
    assert parse("create queue a; create queue b;\nshow\n  queue\n  a;") == (
        ast.CreateQueue("a", ()),
        ast.CreateQueue("b", ()),
        ast.ShowQueue("a"),
    )


def test_last_terminator_is_optional_and_empty_statements_are_ignored():
    assert parse(";;show queue") == (ast.ShowQueue(None),)
    assert parse("") == ()


def test_keywords_as_quoted_or_positional_names():
    assert parse("create queue queue;") == (ast.CreateQueue("queue", ()),)
    assert parse("show consumer on;") == (ast.ShowConsumer("on", None),)


def test_backslash_command_then_statement():
    assert parse("\\x\nshow queue;") == (ast.SetExpanded(None), ast.ShowQueue(None))


ERRORS = [
    # (text, line, column, words that must appear in the message)
    ("create queue;", 1, 13, ["expected", "a name"]),
    ("show consumer c on 12;", 1, 20, ["a queue name", "'*'"]),
    ("frobnicate the queue;", 1, 1, ["unknown command", "frobnicate"]),
    ("create queue q1 with max_count 5;", 1, 32, ["'='"]),
    ("alter queue q1 max_count=5;", 1, 16, ["SET"]),
    ("insert event into q1 ('only one');", 1, 33, ["','"]),
    ("insert event ('a','b','c','d','e','f','g');", 1, 38, ["')'"]),
    ("show queue 'abc", 1, 12, ["unterminated quoted string"]),
    ('create queue "abc', 1, 14, ["unterminated quoted name"]),
    ("select $$abc", 1, 8, ["unterminated dollar-quoted string"]),
    ("show /* abc", 1, 6, ["unterminated comment"]),
    ("register consumer", 1, 18, ["end of input", "a consumer name"]),
    ("show queue;\nshow batch info;", 2, 16, ["a batch id", "a consumer name"]),
    ("set format html;", 1, 12, ["ALIGNED", "JSON"]),
    ("install mysql;", 1, 9, ["PGQ", "LONDISTE"]),
    ("delete event x;", 1, 14, ["a number"]),
    ("drop queue q1 now;", 1, 15, ["FORCE", "';'"]),
    ("tick # ;", 1, 6, ["unexpected '#'"]),
]


@pytest.mark.parametrize(("text", "line", "column", "words"), ERRORS, ids=[e[0] for e in ERRORS])
def test_syntax_error(text, line, column, words):
    with pytest.raises(QadminSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    for word in words:
        assert word in err.message, err.message
    rendered = err.render().splitlines()
    assert rendered[1].startswith(f"LINE {line}: ")
    caret = rendered[2]
    assert caret.endswith("^")
    assert len(caret) - 1 == len(f"LINE {line}: ") + column - 1


def test_incomplete_flag_marks_unfinished_input():
    with pytest.raises(QadminSyntaxError) as info:
        parse("register consumer")
    assert info.value.incomplete
    with pytest.raises(QadminSyntaxError) as info:
        parse("register consumer c1 c2;")
    assert not info.value.incomplete


def test_error_position_shifted_into_a_script():
    with pytest.raises(QadminSyntaxError) as info:
        parse("show batch info;")
    err = info.value.shifted(3, 5)
    assert (err.line, err.column) == (3, 5 + 15)


SPLITS = [
    ("select 1; select 2;", ["select 1;", "select 2;"], True),
    ("select 'a;b'; x", ["select 'a;b';", "x"], False),
    ('select "a;b"', ['select "a;b"'], False),
    ("select $t$ ; $t$;", ["select $t$ ; $t$;"], True),
    ("select $1;", ["select $1;"], True),
    ("select 1 -- ; no\n;", ["select 1 -- ; no\n;"], True),
    ("/* ; */ select 1;", ["select 1;"], True),
    ("\\x\nshow queue;", ["\\x", "show queue;"], True),
    ("\\q", ["\\q"], True),
    ("select E'\\';' ;", ["select E'\\';' ;"], True),
    ("select 'open", ["select 'open"], False),
    ("/* open", ["/* open"], False),
    ("-- only a comment", [], True),
    ("", [], True),
]


@pytest.mark.parametrize(("text", "pieces", "complete"), SPLITS, ids=[s[0] for s in SPLITS])
def test_split_statements(text, pieces, complete):
    assert [p.text for p in split_statements(text)] == pieces
    assert ends_statement(text) is complete


def test_split_positions():
    pieces = split_statements("select 1;  show\nqueue; \n  tick;")
    assert [(p.line, p.column) for p in pieces] == [(1, 1), (1, 12), (3, 3)]


def test_word_lists_come_from_the_grammar():
    from qadmin.parser import commands_starting, sql_words

    shows = commands_starting("show")
    assert {"SHOW QUEUE", "SHOW QUEUE STATS", "SHOW DAEMONS", "SHOW LOG", "SHOW HELP"} <= set(shows)
    assert not any(s.startswith("SHOW SEARCH") for s in shows)
    words = sql_words()
    assert words["show"] == "reading" and words["select"] == "calling"
    assert words["commit"] == "txn_end" and words["create"] == "writing"
    # every word that starts plain SQL has a class
    for text in SQL_CASES:
        word = text.split(None, 1)[0].lower().lstrip("(")
        assert word in words, word
