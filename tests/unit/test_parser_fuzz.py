"""Property test: any text gives an AST or a QadminSyntaxError, never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qadmin.parser import QadminSyntaxError, parse
from qadmin.scan import ends_statement, split_statements

WORDS = [
    "create",
    "queue",
    "consumer",
    "show",
    "register",
    "unregister",
    "on",
    "at",
    "copy",
    "select",
    "*",
    ";",
    "'",
    '"',
    "$$",
    "$x$",
    "--",
    "/*",
    "*/",
    "\\q",
    "\\x",
    "(",
    ")",
    ",",
    "=",
    "with",
    "set",
    "watch",
    "2",
    "1.5",
    "q1",
    '"Q"',
    "'s'",
    "\n",
    " ",
    "E'",
    "insert",
    "event",
    "delete",
    "batch",
    "info",
    "events",
    "tick",
    "connect",
    "dbname",
    "null",
    "for",
    "subconsumer",
    "close",
    "force",
    "stats",
    "help",
    "install",
    "pgq",
]


def _check(text: str) -> None:
    try:
        result = parse(text)
    except QadminSyntaxError as err:
        assert err.line >= 1 and err.column >= 1
        err.render()
    else:
        assert isinstance(result, tuple)
    pieces = split_statements(text)
    ends_statement(text)
    for piece in pieces:
        try:
            parse(piece.text)
        except QadminSyntaxError as err:
            err.shifted(piece.line, piece.column).render()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_any_text(text):
    _check(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join))
def test_token_soup(text):
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s))
def test_quoted_names_round_trip(name):
    from qadmin import ast
    from qadmin.complete.match import quote_name

    assert parse(f"create queue {quote_name(name)};") == (ast.CreateQueue(name, ()),)
    assert parse(f"show consumer {quote_name(name)} on *;") == (ast.ShowConsumer(name, ast.ALL),)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join), st.text(max_size=10))
def test_completion_never_crashes(before, after):
    from qadmin.catalog import Catalog
    from qadmin.complete.match import complete

    catalog = Catalog.build(queues=["q1", "Q 2"], consumers={"q1": ["c1"]}, ticks={"q1": [1]})
    for c in complete(before, catalog, after):
        assert -c.start_position <= len(before)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join))
def test_splitter_agrees_with_the_parser(text):
    """Scripts run piece by piece: that must mean the same as parsing the whole."""
    try:
        whole = parse(text)
    except QadminSyntaxError:
        return
    pieces = []
    for piece in split_statements(text):
        if not piece.blank:
            pieces.extend(parse(piece.text))
    assert tuple(pieces) == whole


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), max_size=12).map("".join))
def test_blank_is_what_is_left_without_comments(text):
    """Piece.blank's shortcut (only a leading comment can make text blank) agrees
    with stripping the comments."""
    from qadmin.scan import Piece, strip_comments

    assert Piece(text, 1, 1, True).blank == (not strip_comments(text).strip(" \t\r\n;"))
