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

__all__ = ["Piece", "closes", "ends_statement", "skip_quoted", "split_statements", "strip_comments"]

_DOLLAR = re.compile(r"\$((?:(?!\d)\w+)?)\$")
# what split_statements stops at inside a statement: its end, quotes, comments
_SPECIAL = re.compile(r"[;'\"$]|--|/\*")


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


def skip_quoted(text: str, i: int) -> int:
    """Index after the quoted token that starts at i, or -1 if it never ends."""
    n = len(text)
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
        return n if end < 0 else end
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
            pieces.append(Piece(text[i:end], line, col, True))
            advance(end)
            start, start_line, start_col = i, line, col
            continue
        if c == ";":
            advance(i + 1)
            pieces.append(Piece(text[start:i], start_line, start_col, True))
            start, start_line, start_col = i, line, col
            only_space = True
            continue
        if c in "'\"$" or text.startswith(("--", "/*"), i):
            j = skip_quoted(text, i)
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
        pieces.append(Piece(rest, start_line, start_col, False))
    return pieces


def ends_statement(text: str) -> bool:
    """True when Enter should run the buffer: blank, or its last statement is ended."""
    if not text.strip():
        return True
    pieces = split_statements(text)
    return not pieces or pieces[-1].complete
