"""Split input into statements and tell whether it is complete, without parsing.

A statement ends at a ``;`` outside quotes and comments; a backslash command
(``\\q``, ``\\x`` ...) at the start of a statement ends at the end of its line.
The quoting rules are the grammar's: 'strings' (with '' inside), E'strings'
(with backslash escapes), "names", $tag$dollar strings$tag$, -- and /* */
comments.  Used to run scripts statement by statement (an error in one does not
hide the others) and to decide when Enter runs the buffer in the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "SIMPLE_TEXT",
    "Piece",
    "closes",
    "ends_statement",
    "skip_quoted",
    "split_statements",
    "strip_comments",
]

_DOLLAR = re.compile(r"\$((?:(?!\d)\w+)?)\$")
# what split_statements stops at inside a statement: its end, quotes, comments
_SPECIAL = re.compile(r"[;'\"$]|--|/\*")
_QUOTE_OR_BACKSLASH = {q: re.compile("[\\\\" + q + "]") for q in "'\""}
# plain text and 'strings' or "names", with no backslash, comment, ';' or dollar quote
# outside them ($ only as $1), so no quoting rule but the simplest applies: most script
# lines.  Possessive, so a text it does not fit costs one pass, never backtracking.
SIMPLE_TEXT = r"""(?:[^;'"$\\/-]++|'[^'\\]*+'|"[^"]*+"|\$\d|-(?!-)|/(?!\*))*+"""
# a whole statement of it up to its ';', cut by one match
_SIMPLE_STATEMENT = re.compile(SIMPLE_TEXT + ";")


@dataclass(frozen=True, slots=True)
class Piece:
    """One statement's text, where it starts, and whether it was terminated."""

    text: str
    line: int
    column: int
    complete: bool

    @property
    def blank(self) -> bool:
        text = self.text.strip(" \t\r\n;")
        # only a comment can make a non-empty text blank, and it starts the text
        if not text.startswith(("--", "/*")):
            return not text
        return not strip_comments(text).strip(" \t\r\n;")


def _close_quote(text: str, i: int, escapes: bool) -> int:
    """Index after the quote that opens at i (doubled quotes inside), or -1 if it never ends.

    escapes: backslash escapes count too (an E'string').
    """
    quote = text[i]
    if not escapes:  # jump from quote to quote (most strings: one find)
        k = text.find(quote, i + 1)
        while k >= 0 and text.startswith(quote, k + 1):
            k = text.find(quote, k + 2)
        return -1 if k < 0 else k + 1
    stop = _QUOTE_OR_BACKSLASH[quote]
    j = i + 1
    while True:
        k = _search_index(stop, text, j)
        if k < 0:
            return -1
        if text[k] == "\\" or text.startswith(quote, k + 1):
            j = k + 2  # an escaped character or a doubled quote
            continue
        return k + 1


def _search_index(pattern: re.Pattern[str], text: str, pos: int) -> int:
    m = pattern.search(text, pos)
    return -1 if m is None else m.start()


def skip_quoted(text: str, i: int) -> int:
    """Index after the quoted token that starts at i, or -1 if it never ends."""
    c = text[i]
    if c == "'":
        escapes = i > 0 and text[i - 1] in "Ee" and (i < 2 or not _word(text[i - 2]))
        return _close_quote(text, i, escapes)
    if c == '"':
        return _close_quote(text, i, False)
    if c == "$":
        m = _DOLLAR.match(text, i)
        if not m or (i > 0 and _word(text[i - 1])):
            return i + 1
        end = text.find(m.group(0), m.end())
        return -1 if end < 0 else end + len(m.group(0))
    if text.startswith("--", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        return -1 if end < 0 else end + 2
    return i + 1


def closes(text: str, pos: int) -> bool:
    """True if the quote, dollar quote or comment opening at pos ends somewhere."""
    return skip_quoted(text, pos) >= 0


def _word(c: str) -> bool:
    return c.isalnum() or c in "_$"


def strip_comments(text: str) -> str:
    """The text with -- and /* */ comments replaced by spaces (quotes respected)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"$" or text.startswith(("--", "/*"), i):
            j = skip_quoted(text, i)
            j = n if j < 0 else j
            if c in "-/":
                out.append(" ")
            else:
                out.append(text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_statements(text: str) -> list[Piece]:
    """Cut text into statements; the last piece is incomplete if it has no terminator."""
    pieces: list[Piece] = []
    n = len(text)
    start = 0
    i = 0
    only_space = True  # nothing but whitespace/comments since start
    unterminated = False
    where = _Positions(text)
    while i < n:
        c = text[i]
        if only_space and c in " \t\r\n":
            i += 1
            start = i
            continue
        if only_space and (m := _SIMPLE_STATEMENT.match(text, i)) is not None:
            pieces.append(Piece(m.group(), *where(i), True))
            i = start = m.end()
            continue
        if c == "\\" and only_space:
            end = text.find("\n", i)
            end = n if end < 0 else end
            pieces.append(Piece(text[i:end], *where(i), True))
            i = start = end
            continue
        if c == ";":
            i += 1
            pieces.append(Piece(text[start:i], *where(start), True))
            start = i
            only_space = True
            continue
        if c in "'\"$" or text.startswith(("--", "/*"), i):
            j = skip_quoted(text, i)
            if j < 0:
                unterminated = True
                break
            if c not in "-/":
                only_space = False
            elif only_space:
                i = start = j
                continue
            i = j
            continue
        # ordinary text: on to the next character that may end or quote something
        only_space = False
        m = _SPECIAL.search(text, i + 1)
        i = m.start() if m else n
    rest = text[start:]
    if rest.strip() and (unterminated or not only_space):
        pieces.append(Piece(rest, *where(start), False))
    return pieces


class _Positions:
    """Line and column (1-based) of offsets of one text, asked in increasing order.

    Counted only where a statement starts (str.count from the last one), not
    character by character as the scan goes: a script's lines cost less.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.seen = 0  # newlines before here are counted
        self.line = 1
        self.line_start = 0

    def __call__(self, pos: int) -> tuple[int, int]:
        if pos < self.seen:
            self.seen, self.line, self.line_start = 0, 1, 0
        newlines = self.text.count("\n", self.seen, pos)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.seen, pos) + 1
        self.seen = pos
        return self.line, pos - self.line_start + 1


def ends_statement(text: str) -> bool:
    """True when Enter should run the buffer: blank, or its last statement is ended."""
    if not text.strip():
        return True
    pieces = split_statements(text)
    return not pieces or pieces[-1].complete
