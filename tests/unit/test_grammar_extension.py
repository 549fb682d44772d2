"""A later command family (e.g. daemon.lark) plugs in with %extend, no core change."""

from __future__ import annotations

from lark import Lark

from qadmin.parser import grammar_text

DAEMON = """
%extend _statement: show_daemons | start_ticker
show_daemons: "show"i "daemons"i
start_ticker: "start"i "ticker"i [queue_name]
"""


def test_a_new_family_extends_the_statement_list_without_conflicts():
    parser = Lark(grammar_text() + DAEMON, parser="lalr", maybe_placeholders=True)
    tree = parser.parse("show daemons; start ticker q1; show queue; start transaction;")
    assert [t.data for t in tree.children] == ["show_daemons", "start_ticker", "show_queue", "sql"]
