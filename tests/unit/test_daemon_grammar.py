"""The daemon command family without a database: grammar, syntax errors, completion, help."""

from __future__ import annotations

import pytest

from engine.daemon_keys import consumer_keys, ticker_keys
from engine.handlers import HANDLER_NAMES
from qadmin import ast
from qadmin.ast import ALL
from qadmin.catalog import Catalog
from qadmin.commands.registry import REGISTRY, changes_catalog, load_handlers
from qadmin.complete.match import complete
from qadmin.help import command_help, overview
from qadmin.parser import QadminSyntaxError, parse, parse_one

S = ast.Setting

CASES = [
    ("start ticker;", ast.StartTicker(None)),
    ("START TICKER Main;", ast.StartTicker("main")),
    ("start ticker for db1;", ast.StartTicker(None, ("db1",))),
    (
        "start ticker for Db1, \"Db Two\", 'db-3';",
        ast.StartTicker(None, ("Db1", "Db Two", "db-3")),
    ),
    (
        "start ticker t2 for db1 with ticker_period=0.5, maint_period='2 min', use_notify=0;",
        ast.StartTicker(
            "t2",
            ("db1",),
            (S("ticker_period", "0.5"), S("maint_period", "2 min"), S("use_notify", "0")),
        ),
    ),
    ("start ticker with stats_period=null;", ast.StartTicker(None, (), (S("stats_period", None),))),
    ("start consumer c1 on q1 using print;", ast.StartConsumer("c1", "q1", "print")),
    ("START CONSUMER C1 ON Q1 USING PRINT;", ast.StartConsumer("c1", "q1", "print")),
    (
        "start consumer c1 on q1 using exec with command='cat >> /tmp/x';",
        ast.StartConsumer("c1", "q1", "exec", None, (S("command", "cat >> /tmp/x"),)),
    ),
    (
        "start consumer c1 on q1 using table_dispatcher as disp with table='public.t',"
        " pgq_lazy_fetch=10;",
        ast.StartConsumer(
            "c1",
            "q1",
            "table_dispatcher",
            "disp",
            (S("table", "public.t"), S("pgq_lazy_fetch", "10")),
        ),
    ),
    (
        "start consumer c1 on q1 using python:my_pkg.handlers.Audit;",
        ast.StartConsumer("c1", "q1", "python:my_pkg.handlers.Audit"),
    ),
    (
        "start consumer c1 on q1 using 'python:my_pkg.Audit';",
        ast.StartConsumer("c1", "q1", "python:my_pkg.Audit"),
    ),
    (
        'start consumer "C1" on "Q1" using "queue_mover" with dst_db=\'dbname=x\';',
        ast.StartConsumer("C1", "Q1", "queue_mover", None, (S("dst_db", "dbname=x"),)),
    ),
    ("start consumer from 'jobs/c1.ini';", ast.StartConsumerFrom("jobs/c1.ini")),
    ("start consumer from '/etc/x.ini' as x2;", ast.StartConsumerFrom("/etc/x.ini", "x2")),
    ("stop c1;", ast.StopDaemon("c1")),
    ("stop c1 now;", ast.StopDaemon("c1", True)),
    ('stop "c1.w1";', ast.StopDaemon("c1.w1")),
    ("stop all;", ast.StopDaemon(ALL)),
    ("STOP ALL NOW;", ast.StopDaemon(ALL, True)),
    ('stop "all";', ast.StopDaemon("all")),
    ("restart c1;", ast.RestartDaemon("c1")),
    ("reload ticker;", ast.ReloadDaemon("ticker")),
    ("show daemons;", ast.ShowDaemons()),
    ("show log c1;", ast.ShowLog("c1")),
    ("show log c1 lines 100;", ast.ShowLog("c1", 100)),
    ("watch 5 show daemons;", ast.Watch(5.0, ast.ShowDaemons())),
    # still SQL
    ("start transaction;", ast.Sql("start transaction")),
    ("show log_min_messages;", ast.Sql("show log_min_messages")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_command(text, expected):
    assert parse(text) == (expected,)


ERRORS = [
    # (text, line, column, words that must appear in the message)
    ("start ticker for;", 1, 17, ["a database name"]),
    ("start ticker with ticker_period;", 1, 32, ["'='"]),
    ("start ticker for a b;", 1, 20, ["WITH", "','"]),
    ("start consumer c1 on q1;", 1, 24, ["USING"]),
    ("start consumer c1 using print;", 1, 19, ["ON"]),
    ("start consumer c1 on q1 using;", 1, 30, ["a handler name"]),
    ("start consumer c1 on q1 using print with table=;", 1, 48, ["a 'string'", "NULL"]),
    ("start consumer from x.ini;", 1, 21, ["a 'string'"]),
    ("stop;", 1, 5, ["ALL", "a daemon name"]),
    ("stop c1 later;", 1, 9, ["NOW"]),
    ("restart;", 1, 8, ["a daemon name"]),
    ("reload;", 1, 7, ["a daemon name"]),
    ("show log;", 1, 9, ["a daemon name"]),
    ("show log c1 lines x;", 1, 19, ["a number"]),
    ("stp all;", 1, 1, ["unknown command", "did you mean STOP?"]),
    ("show log c1 lines 5", 1, 19, None),  # fine: the last ';' is optional
]


@pytest.mark.parametrize(("text", "line", "column", "words"), ERRORS, ids=[e[0] for e in ERRORS])
def test_syntax_error(text, line, column, words):
    if words is None:
        parse(text)
        return
    with pytest.raises(QadminSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    for word in words:
        assert word in err.message, err.message


CATALOG = Catalog.build(
    queues=["orders"],
    consumers={"orders": ["billing"]},
    databases=["main", "other db"],
    daemons=["ticker", "billing", "billing.w1"],
    handlers=list(HANDLER_NAMES),
    ticker_keys=list(ticker_keys()),
    consumer_keys=list(consumer_keys()),
)

COMPLETIONS = [
    ("st", ["start", "stop"]),
    ("start ", ["consumer", "exporter", "londiste", "ticker", "worker"]),
    ("start ticker ", ["for", "with"]),
    ("start ticker for ", ["main", "'other db'"]),
    ("start ticker with ticker_", ["ticker_period"]),
    ("start ticker with m", ["maint_period"]),
    ("start ticker for main ", ["with"]),
    ("start consumer ", ["from", "billing"]),
    ("start consumer billing on ", ["orders"]),
    ("start consumer billing on orders ", ["using"]),
    (
        "start consumer billing on orders using ",
        ["print", "exec", "queue_mover", "table_dispatcher", "python:"],
    ),
    ("start consumer billing on orders using py", ["python:"]),
    ("start consumer billing on orders using print ", ["as", "with"]),
    ("start consumer billing on orders using exec with com", ["command"]),
    ("start consumer billing on orders using print with pgq_k", ["pgq_keep_lag"]),
    ("stop ", ["all", "ticker", "billing", '"billing.w1"']),
    ("STOP bi", ["billing", '"billing.w1"']),
    ("stop ticker ", ["now"]),
    ("restart t", ["ticker"]),
    ("reload ", ["ticker", "billing", '"billing.w1"']),
    ("show d", ["daemons"]),
    ("show l", ["log"]),
    ("show log ", ["ticker", "billing", '"billing.w1"']),
    ("show log ticker ", ["lines"]),
]


@pytest.mark.parametrize(("text", "expected"), COMPLETIONS)
def test_complete(text, expected):
    assert [c.text for c in complete(text, CATALOG)] == expected


def test_completion_labels():
    (c,) = complete("restart t", CATALOG)
    assert c.display_meta == "daemon"
    assert {c.display_meta for c in complete("start consumer b on orders using ", CATALOG)} == {
        "handler"
    }


def test_daemon_names_come_from_the_state_directory(tmp_path, monkeypatch):
    from engine.catalog import local_names

    monkeypatch.setenv("QADMIN_STATE_DIR", str(tmp_path))
    assert local_names()["daemons"] == []
    (tmp_path / "b1.json").write_text("{}")
    (tmp_path / "a1.json").write_text("{}")
    assert local_names()["daemons"] == ["a1", "b1"]
    assert local_names()["handlers"] == list(HANDLER_NAMES)


def test_with_keys_are_the_daemons_ini_keys():
    keys = ticker_keys()
    assert keys[:1] == ("base_connstr",)
    for key in ("ticker_period", "maint_period", "retry_period", "check_period", "stats_period"):
        assert key in keys
    for key in ("pidfile", "logfile", "job_name", "database_list", "syslog"):
        assert key not in keys
    assert "command" in consumer_keys("exec") and "table" not in consumer_keys("exec")
    assert "table" in consumer_keys("table_dispatcher")
    every = consumer_keys()
    for key in ("pgq_lazy_fetch", "pgq_batch_collect_events", "pgq_keep_lag", "subconsumer_name"):
        assert key in every
    assert "queue_name" not in every and "handler" not in every


def test_registered_and_documented():
    load_handlers()
    for cls in (ast.StartTicker, ast.StartConsumer, ast.StopDaemon, ast.ShowDaemons, ast.ShowLog):
        assert cls in REGISTRY
    text = overview()
    assert "start ticker [<name>]" in text and "show daemons [all];" in text
    assert "forget <name>;" in text and "forget all stopped;" in text
    start = command_help(("start", "consumer"))
    assert start is not None
    assert "python:module.Class" in start and "start consumer from" in start
    assert "PGPASSWORD" in start and "QADMIN_STATE_DIR" in start
    ticker = command_help(("start", "ticker"))
    assert ticker is not None and "ticker_period" in ticker
    # the shared paragraph is indented like the rest of the details
    assert "\n  Ticks the queues" in ticker and "\n  Daemons run detached" in ticker
    assert command_help(("stop",)) and command_help(("show", "log"))


def test_starting_refreshes_completion():
    assert changes_catalog(parse_one("start ticker"))
    assert changes_catalog(parse_one("start consumer c on q using print"))
    assert not changes_catalog(parse_one("show daemons"))
