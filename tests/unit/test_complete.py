"""suggest() and complete() on a literal catalog: pure functions, no database."""

from __future__ import annotations

import pytest

from engine.admin.queue import SETTINGS
from qadmin.catalog import Catalog
from qadmin.complete.match import complete, quote_name
from qadmin.complete.suggest import Suggestion, current_word, suggest

CATALOG = Catalog.build(
    queues=["orders", "order_audit", "Mixed Case", "stats", "q2"],
    consumers={"orders": ["billing", "shipping"], "q2": ["other"]},
    subconsumers={("orders", "billing"): ["w1", "w2"]},
    batches={"orders": [17]},
    ticks={"orders": [9, 8, 7]},
    tables=["accounts", "audit.Events"],
    sequences=["accounts_id_seq"],
    databases=["main", "my db"],
    users=["postgres", "app"],
    hosts=["localhost", "db1"],
    nodes=[],
    settings=SETTINGS,
)


def texts(text: str, after: str = "", catalog: Catalog = CATALOG) -> list[str]:
    return [c.text for c in complete(text, catalog, after)]


SUGGEST = [
    ("create ", {Suggestion("keyword", "queue")}),
    ("register consumer c1 on ", {Suggestion("queue", queue=None)}),
    ("show consumer x on orders ", set()),
    ("alter queue orders set ", {Suggestion("setting")}),
]


@pytest.mark.parametrize(("text", "expected"), SUGGEST)
def test_suggest_kinds(text, expected):
    got = set(suggest(text))
    assert expected <= got, got


def test_suggest_statement_start_and_no_sql_keystroke():
    kinds = {s.value for s in suggest("") if s.kind == "keyword"}
    assert {"create", "show", "select", "register", "\\q", "watch"} <= kinds


def test_suggest_nothing_inside_a_string_or_after_a_lexer_error():
    assert suggest("insert event into orders ('abc") == ()
    assert suggest("show queue # ") == ()


CASES = [
    ("cre", ["create"]),
    ("CRE", ["CREATE"]),
    ("Cre", ["create"]),
    ("CREATE ", ["BRANCH", "LEAF", "QUEUE", "ROOT"]),
    ("create ", ["branch", "leaf", "queue", "root"]),
    ("show q", ["queue"]),
    ("show queue ", ["stats", "orders", "order_audit", '"Mixed Case"', '"stats"', "q2"]),
    ("show queue ord", ["orders", "order_audit"]),
    ("SHOW QUEUE ord", ["orders", "order_audit"]),
    ('show queue "Mi', ['"Mixed Case"']),
    ('show queue "', ['"orders"', '"order_audit"', '"Mixed Case"', '"stats"', '"q2"']),
    ('show queue "ord', ['"orders"', '"order_audit"']),
    ("show queue mi", ['"Mixed Case"']),
    ("register consumer x on orders copy ", ["billing", "shipping"]),
    ("show batch info ", ["17", "billing", "other", "shipping"]),
    ("register consumer c on orders at ", ["9", "8", "7"]),
    ("alter queue orders set max_", ["max_count", "max_lag"]),
    ("show table ", ["accounts", 'audit."Events"']),
    ("show sequence a", ["accounts_id_seq"]),
    ("connect dbname=", ["main", "'my db'"]),
    ("connect user=a", ["app"]),
    ("connect host=d", ["db1"]),
    ("connect por", ["port"]),
    ("set format ", ["aligned", "csv", "expanded", "json"]),
    ("\\ti", ["\\timing"]),
    ("select 1; sh", ["show"]),
    ("select 1;\nsh", ["show"]),
    ("install ", ["all", "londiste", "pgq", "pgq_coop", "pgq_node", "qadmin_ext"]),
    ("drop queue orders ", ["force"]),
    ("unregister subconsumer * for billing from orders ", ["close"]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_complete(text, expected):
    assert texts(text) == expected


def test_consumers_follow_the_queue_named_in_the_statement():
    assert texts("show consumer ") == ["billing", "other", "shipping"]
    assert texts("show consumer ", after=" on q2;") == ["other"]
    assert texts("unregister consumer ", after=" from orders") == ["billing", "shipping"]
    assert texts("connect queue=orders; show consumer ") == ["billing", "other", "shipping"]


def test_subconsumers_need_the_consumer():
    assert texts("unregister subconsumer ") == []
    assert texts("unregister subconsumer ", after=" for billing from orders;") == ["w1", "w2"]
    assert texts("unregister subconsumer w", after=" for billing;") == ["w1", "w2"]


def test_start_position_replaces_the_partial_word():
    (c,) = complete('show queue "Mi', CATALOG)
    assert c.start_position == -3
    (c,) = complete("show queue order_", CATALOG)
    assert c.start_position == -6 and c.display_meta == "queue"


def test_quote_name():
    assert quote_name("orders") == "orders"
    assert quote_name("Orders") == '"Orders"'
    assert quote_name('a"b') == '"a""b"'
    assert quote_name("9lives") == '"9lives"'
    assert quote_name("stats", frozenset({"STATS"})) == '"stats"'


def test_current_word():
    assert current_word("show queue or") == "or"
    assert current_word('show queue "Mi') == '"Mi'
    assert current_word("show queue ") == ""
    assert current_word("\\ti") == "\\ti"


def test_empty_catalog_still_completes_keywords():
    assert texts("show ver", catalog=Catalog()) == ["version"]
    assert texts("show queue ", catalog=Catalog()) == ["stats"]


def test_default_queue_scopes_consumers_unless_the_statement_names_one():
    assert [c.text for c in complete("show consumer ", CATALOG, "", "q2")] == ["other"]
    assert [c.text for c in complete("show consumer ", CATALOG, " on orders;", "q2")] == [
        "billing",
        "shipping",
    ]
    assert [c.text for c in complete("register consumer c at ", CATALOG, "", "orders")] == [
        "9",
        "8",
        "7",
    ]


def test_a_kind_of_name_is_described_once_in_the_slot_registry():
    from qadmin.parser import describe_expected
    from qadmin.slots import slot_for_kind

    catalog = Catalog.build(daemons=["ticker", "consumer_a"])
    slot = slot_for_kind("daemon")
    assert (tuple(slot.names(catalog, None, None)), slot.label) == (
        ("ticker", "consumer_a"),
        "daemon",
    )

    assert describe_expected({"DAEMON_SLOT", "NAME"}) == ("a daemon name",)
