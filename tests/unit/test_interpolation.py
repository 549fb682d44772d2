"""psql-style variables: interpolation, quoting round trips, \\set arguments.  Pure: no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qadmin import ast
from qadmin.literals import unquote_name, unquote_string
from qadmin.parser import QadminSyntaxError, parse, parse_one
from qadmin.variables import (
    VariableError,
    interpolate,
    parse_meta_args,
    quote_identifier,
    quote_literal,
    valid_name,
)

VARS = {"q": "orders", "n": "n1", "loc": "host=db1 dbname=app", "odd": 'it\'s "x"', "e": ""}

CASES = [
    ("show node :n on :q;", "show node n1 on orders;"),
    ("create root node n1 location :'loc';", "create root node n1 location 'host=db1 dbname=app';"),
    ('select * from :"q";', 'select * from "orders";'),
    ("select :'odd', :\"odd\";", 'select \'it\'\'s "x"\', "it\'s ""x""";'),
    ("select :e|", "select |"),
    # unknown variables are left as typed, in all three forms
    ("select :nope, :'nope', :\"nope\";", "select :nope, :'nope', :\"nope\";"),
    # never inside strings, names, dollar strings or comments
    ("select ':q', \":q\", $$:q$$, $t$ :q $t$;", "select ':q', \":q\", $$:q$$, $t$ :q $t$;"),
    ("select 1 -- :q\n, :q", "select 1 -- :q\n, orders"),
    ("select /* :q */ :q", "select /* :q */ orders"),
    ("select E'\\' :q';", "select E'\\' :q';"),
    # a cast is no variable; := and a lone colon stay
    ("select x::q, f(a := 1), :", "select x::q, f(a := 1), :"),
    ("select a[1:n]", "select a[1n1]"),
    # a reference that is not a complete quoted form
    ("select :'q", "select :'q"),
    ("select :'q\"", "select :'q\""),
    # in a backslash command a value stays one argument, spaces and all (as psql)
    ("\\set x :q", "\\set 'x' 'orders'"),
    ("\\set x a:loc", "\\set 'x' 'ahost=db1 dbname=app'"),
    ("\\echo :odd :nope", "\\echo 'it''s \"x\"' ':nope'"),
    ("\\x :q", "\\x orders"),  # other backslash commands: as typed
    ("\\set x ':q'", "\\set 'x' ':q'"),
    ("\\set x 'open :q", "\\set x 'open :q"),  # left for the parser to refuse
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_interpolate(text, expected):
    assert interpolate(text, VARS) == expected


def test_lookup_function_and_no_colon():
    calls = []

    def lookup(name):
        calls.append(name)
        return "V" if name == "a" else None

    assert interpolate("x :a :b", lookup) == "x V :b"
    assert calls == ["a", "b"]
    assert interpolate("no colon here", lambda n: pytest.fail("asked")) == "no colon here"


def test_the_value_is_not_interpolated_again():
    assert interpolate(":a :b", {"a": ":b", "b": "B"}) == ":b B"


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@given(TEXT)
def test_literal_round_trip(value):
    quoted = quote_literal(value)
    assert unquote_string(quoted) == value
    # and the grammar reads it as one string where a connect string goes
    cmd = parse_one(f"alter node n1 set location {quoted}")
    assert cmd.location == value


@given(TEXT.filter(lambda v: v != ""))
def test_identifier_round_trip(value):
    quoted = quote_identifier(value)
    assert unquote_name(quoted) == value
    assert parse_one(f"show node {quoted}").node == value


@given(TEXT)
def test_interpolated_values_arrive_exactly(value):
    variables = {"v": value}
    assert parse_one(interpolate('show node :"v" on q', variables)).node == value if value else True
    cmd = parse_one(interpolate("create root node n1 location :'v'", variables))
    assert cmd.location == value


@given(TEXT)
def test_interpolation_never_crashes_and_keeps_text_without_variables(text):
    assert interpolate(text, {}) == text


ARGS = [
    ("", []),
    ("  a  b ", ["a", "b"]),
    ("name 'a b' c", ["name", "a b", "c"]),
    ("x 'it''s' 'tab\\there'", ["x", "it's", "tab\there"]),
    ("x 'a'b'c'", ["x", "abc"]),
    ('x "Quoted Name"', ["x", '"Quoted Name"']),
    ('x "a""b"', ["x", '"a""b"']),
]


@pytest.mark.parametrize(("text", "expected"), ARGS)
def test_meta_args(text, expected):
    assert parse_meta_args(text) == expected


@pytest.mark.parametrize("text", ["x 'open", 'x "open', "'"])
def test_meta_args_unterminated(text):
    with pytest.raises(VariableError):
        parse_meta_args(text)


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n")))
def test_set_round_trip(value):
    """\\set v <value as a quoted argument> gives the value back exactly."""
    arg = "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    assert parse_one(f"\\set v {arg}") == ast.SetVariable("v", value)


@given(TEXT, TEXT)
def test_values_stay_whole_in_backslash_commands(value, other):
    """\\set x :v gives v exactly, whatever it holds; :a:b joins two values."""
    cmd = parse_one(interpolate("\\set x :v", {"v": value}))
    assert cmd == ast.SetVariable("x", value)
    joined = parse_one(interpolate("\\set x :a:b 'c d'", {"a": value, "b": other}))
    assert joined == ast.SetVariable("x", value + other + "c d")


def test_set_statements():
    assert parse("\\set") == (ast.SetVariable(None, ""),)
    assert parse("\\set a") == (ast.SetVariable("a", ""),)
    assert parse("\\SET port_b 'port=' 5433") == (ast.SetVariable("port_b", "port=5433"),)
    assert parse("\\unset a") == (ast.UnsetVariable("a"),)
    assert parse("\\echo :x  done") == (ast.Echo(":x done"),)
    # one line each; the next line is the next statement
    assert parse("\\set a 1\nshow nodes;") == (ast.SetVariable("a", "1"), ast.ShowNodes(None))


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("\\set 1a x", "bad variable name"),
        ("\\set a-b x", "bad variable name"),
        ("\\set a 'x", "unterminated"),
        ("\\unset", "one variable name"),
        ("\\unset a b", "one variable name"),
    ],
)
def test_set_errors(text, word):
    with pytest.raises(QadminSyntaxError) as info:
        parse(text)
    assert word in info.value.message


@pytest.mark.parametrize(
    ("name", "ok"),
    [("a", True), ("_a1", True), ("A_B", True), ("1a", False), ("", False), ("a.b", False)],
)
def test_valid_name(name, ok):
    assert valid_name(name) is ok


def test_the_validator_sees_the_values():
    from qadmin.shell.validator import first_error

    assert first_error("show node :n;") is not None  # ':' is no node name
    assert first_error("show node :n;", {"n": "n1"}.get) is None
    assert first_error("\\set a 'x\nshow nodes;") is not None
