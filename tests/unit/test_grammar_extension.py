"""A later command family plugs in with %extend, no core change (as daemon.lark did)."""

from __future__ import annotations

from lark import Lark

from qadmin.parser import grammar_text

# a made-up family (daemon.lark is a real one now, already in grammar_text())
WIDGETS = """
%extend _statement: show_widgets | start_widget
show_widgets: "show"i "widgets"i
start_widget: "start"i "widget"i [queue_name]
"""


def test_a_new_family_extends_the_statement_list_without_conflicts():
    parser = Lark(grammar_text() + WIDGETS, parser="lalr", maybe_placeholders=True)
    tree = parser.parse("show widgets; start widget q1; show queue; start transaction;")
    assert [t.data for t in tree.children] == ["show_widgets", "start_widget", "show_queue", "sql"]
