"""The statement splitter and quote skipper agree with their first, character-by-character
versions (kept here as the reference) on any text: the faster ones jump with str.find and
count lines only where a statement starts."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from qadmin.scan import skip_quoted, split_statements

_DOLLAR = re.compile(r"\$((?:(?!\d)\w+)?)\$")
_SPECIAL = re.compile(r"[;'\"$]|--|/\*")


# ---- reference: qadmin/scan.py before the faster scan (commit 8943913)
def _ref_close_quote(text: str, i: int, escapes: bool) -> int:
    """Index after the quote that opens at i (doubled quotes inside), or -1 if it never ends.

    escapes: backslash escapes count too (an E'string').
    """
    quote, n, j = text[i], len(text), i + 1
    while j < n:
        if escapes and text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            if j + 1 < n and text[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return -1


def _ref_skip_quoted(text: str, i: int) -> int:
    """Index after the quoted token that starts at i, or -1 if it never ends."""
    n = len(text)
    c = text[i]
    if c == "'":
        escapes = i > 0 and text[i - 1] in "Ee" and (i < 2 or not _ref_word(text[i - 2]))
        return _ref_close_quote(text, i, escapes)
    if c == '"':
        return _ref_close_quote(text, i, False)
    if c == "$":
        m = _DOLLAR.match(text, i)
        if not m or (i > 0 and _ref_word(text[i - 1])):
            return i + 1
        end = text.find(m.group(0), m.end())
        return -1 if end < 0 else end + len(m.group(0))
    if text.startswith("--", i):
        end = text.find("\n", i)
        return n if end < 0 else end
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        return -1 if end < 0 else end + 2
    return i + 1


def _ref_word(c: str) -> bool:
    return c.isalnum() or c in "_$"


def _ref_split_statements(text: str) -> list[tuple[str, int, int, bool]]:
    """Cut text into statements; the last piece is incomplete if it has no terminator."""
    pieces: list[tuple[str, int, int, bool]] = []
    n = len(text)
    start = 0
    i = 0
    line, col = 1, 1  # position of text[i]
    start_line, start_col = 1, 1
    only_space = True  # nothing but whitespace/comments since start
    unterminated = False

    def advance(to: int) -> None:
        nonlocal i, line, col
        chunk = text[i:to]
        nl = chunk.count("\n")
        if nl:
            line += nl
            col = len(chunk) - chunk.rfind("\n")
        else:
            col += len(chunk)
        i = to

    while i < n:
        c = text[i]
        if only_space and c in " \t\r\n":
            advance(i + 1)
            start, start_line, start_col = i, line, col
            continue
        if c == "\\" and only_space:
            end = text.find("\n", i)
            end = n if end < 0 else end
            pieces.append((text[i:end], line, col, True))
            advance(end)
            start, start_line, start_col = i, line, col
            continue
        if c == ";":
            advance(i + 1)
            pieces.append((text[start:i], start_line, start_col, True))
            start, start_line, start_col = i, line, col
            only_space = True
            continue
        if c in "'\"$" or text.startswith(("--", "/*"), i):
            j = _ref_skip_quoted(text, i)
            if j < 0:
                unterminated = True
                advance(n)
                break
            if c not in "-/":
                only_space = False
            elif only_space:
                advance(j)
                start, start_line, start_col = i, line, col
                continue
            advance(j)
            continue
        # ordinary text: on to the next character that may end or quote something
        only_space = False
        m = _SPECIAL.search(text, i + 1)
        advance(m.start() if m else n)
    rest = text[start:]
    if rest.strip() and (unterminated or not only_space):
        pieces.append((rest, start_line, start_col, False))
    return pieces


# ---- the properties

PARTS = st.sampled_from(
    [
        "select",
        " ",
        "\n",
        "\t",
        ";",
        "'",
        "''",
        '"',
        "E'",
        "e'",
        "\\",
        "\\q",
        "$$",
        "$x$",
        "$1",
        "--",
        "/*",
        "*/",
        "x",
        "é",
        "\r\n",
        "1",
        "-",
        "/",
        "*",
    ]
)
TEXTS = st.lists(PARTS, max_size=40).map("".join) | st.text(max_size=60)


@settings(max_examples=3000, deadline=None)
@given(TEXTS)
def test_split_statements_matches_the_reference(text):
    got = [(p.text, p.line, p.column, p.complete) for p in split_statements(text)]
    assert got == _ref_split_statements(text)


@settings(max_examples=3000, deadline=None)
@given(TEXTS, st.integers(min_value=0, max_value=80))
def test_skip_quoted_matches_the_reference(text, i):
    if i < len(text):
        assert skip_quoted(text, i) == _ref_skip_quoted(text, i)


def test_a_script_reports_lines_and_columns():
    text = "select 1;\n  select 'a;\nb';  x;\n\\q\n"
    got = [(p.text, p.line, p.column) for p in split_statements(text)]
    assert got == [
        ("select 1;", 1, 1),
        ("select 'a;\nb';", 2, 3),
        ("x;", 3, 6),
        ("\\q", 4, 1),
    ]
