"""Plain SQL that skips the LALR parse gives exactly the command the grammar gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from qadmin import ast
from qadmin.parser import _plain_sql, get_parser, sql_only_words
from qadmin.transform import make_transformer


def _grammar(text: str) -> tuple[ast.Command, ...]:
    return make_transformer(text).transform(get_parser().parse(text))


def test_sql_only_words_leave_out_words_our_commands_start_with():
    words = sql_only_words()
    assert {"select", "with", "update", "commit", "vacuum", "values"} <= words
    for ours in ("show", "create", "drop", "alter", "start", "set", "insert", "delete", "help"):
        assert ours not in words


@pytest.mark.parametrize(
    "text",
    [
        "select 1",
        "select 1;",
        "SELECT pgq.insert_event('q', 'type', 'data 1');",
        "select 'a;b'",
        "select 1 -- note",
        "select /* c */ 1;",
        "with x as (select 1) select * from x;  ",
        "update t set a = 1 where b = 'x'",
        "commit",
        "values (1), (2);",
        "select $1",
        "select $$a;b$$",
        "select $$abc",
        "select 'abc",
        'select "x',
        "select E'a\\'b'",
        "select $ 1",
        "select 1;\n",
        "show queue *",
        "create queue q",
        "select\t1\n  from\n t",
    ],
)
def test_fast_path_agrees_with_the_grammar(text):
    fast = _plain_sql(text)
    try:
        expected = _grammar(text)
    except LarkError:
        assert fast is None, "the grammar refuses it: the parser must say where"
        return
    if fast is not None:
        assert (fast,) == expected


@settings(max_examples=300, deadline=None)
@given(
    word=st.sampled_from(sorted(sql_only_words())),
    rest=st.lists(
        st.sampled_from(
            [
                "1",
                "x",
                "'s'",
                "'a;b'",
                "(",
                ")",
                ",",
                "=",
                ".",
                "*",
                "+",
                "\n",
                " ",
                "'",
                "$",
                "$1",
                '"',
                "''",
                '"x"',
            ]
        ),
        max_size=12,
    ),
    end=st.sampled_from(["", ";", " ;", ";\n", "\n"]),
)
def test_fast_path_agrees_with_the_grammar_on_generated_sql(word, rest, end):
    text = word + " " + " ".join(rest) + end
    test_fast_path_agrees_with_the_grammar(text)
