"""Pure: what may follow the cursor, from the grammar (interactive LALR parser).

The partial word under the cursor is stripped first (as pgcli does); the parser
is fed the rest of the current statement and its accepts() set says which
keywords and which kinds of names (*_SLOT terminals) fit there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark.exceptions import LarkError

from qadmin.literals import unquote_name
from qadmin.parser import get_parser, terminal_keyword
from qadmin.scan import split_statements
from qadmin.slots import slot_for_terminal

__all__ = ["Suggestion", "current_word", "statement_before", "suggest"]

_WORD = re.compile(r'(?:"(?:[^"]|"")*|\\[\w?]*|[\w$.]*)\Z')
_IDENT = r'("(?:[^"]|"")+"|[^\W\d][\w$]*)'
_QUEUE_REF = re.compile(r"(?i)\b(?:on|from|into)\s+" + _IDENT)
_CONNECT_QUEUE = re.compile(r"(?i)\bqueue\s*=\s*" + _IDENT)
_FOR_CONSUMER = re.compile(r"(?i)\bfor\s+" + _IDENT)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One kind of thing that fits at the cursor.

    kind is "keyword" (value = the keyword) or a catalog kind (queue, consumer,
    ...); queue/consumer narrow consumer, subconsumer, batch and tick names to
    what the statement names.
    """

    kind: str
    value: str | None = None
    queue: str | None = None
    consumer: str | None = None


def current_word(text_before_cursor: str) -> str:
    """The partial word being typed (may start with a double quote or backslash)."""
    m = _WORD.search(text_before_cursor)
    return m.group(0) if m else ""


def statement_before(text_before_cursor: str) -> str:
    """The text of the statement the cursor is in, up to the cursor."""
    pieces = split_statements(text_before_cursor)
    if not pieces:
        return ""
    last = pieces[-1]
    if last.complete:
        # a backslash command still being typed on the last line
        line = text_before_cursor.rsplit("\n", 1)[-1]
        if last.text.startswith("\\") and line.lstrip().startswith(last.text):
            return last.text
        return ""
    return last.text


def _last_name(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.findall(text)
    return unquote_name(found[-1]) if found else None


def _in_open_quote(statement: str) -> bool:
    """True when the cursor is inside a 'string' or a comment (nothing to offer)."""
    pieces = split_statements(statement + "\n;")
    return not pieces or not pieces[-1].complete or statement.rstrip().endswith("--")


def suggest(text_before_cursor: str, text_after_cursor: str = "") -> tuple[Suggestion, ...]:
    """Keywords and kinds of names that may come at the cursor, in grammar order."""
    statement = statement_before(text_before_cursor)
    word = current_word(statement)
    head = statement[: len(statement) - len(word)]
    if word.startswith('"'):
        if _in_open_quote(head):
            return ()
    elif _in_open_quote(statement):
        return ()
    parser = get_parser()
    try:
        interactive = parser.parse_interactive(head)
        interactive.exhaust_lexer()
        accepts = interactive.accepts()
    except LarkError:
        return ()
    rest = text_after_cursor.split(";", 1)[0]
    whole = head + " " + rest
    queue = _last_name(_QUEUE_REF, whole) or _last_name(_CONNECT_QUEUE, whole)
    consumer = _last_name(_FOR_CONSUMER, whole)
    out: list[Suggestion] = []
    for name in sorted(accepts):
        slot = slot_for_terminal(name)
        if slot is not None:
            out.append(Suggestion(slot.kind, queue=queue, consumer=consumer))
            continue
        kw = terminal_keyword(name)
        if kw is not None:
            out.append(Suggestion("keyword", kw.lower()))
    return tuple(out)
