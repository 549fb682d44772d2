"""Pure: suggestions + Catalog -> ranked completions for the word under the cursor."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from qadmin.catalog import Catalog
from qadmin.complete.suggest import current_word, statement_before, suggest
from qadmin.slots import Quoting, slot_for_kind

__all__ = ["Completion", "complete", "quote_name"]

_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*\Z")
_LIBPQ_PLAIN = re.compile(r"[^\s;'\"=]+")


class Completion(NamedTuple):
    """Text to insert in place of the word before the cursor (a tuple: cheap by the 10,000)."""

    text: str
    start_position: int
    display_meta: str = ""


def quote_name(name: str, keywords: frozenset[str] = frozenset()) -> str:
    """A name as the user must type it: bare if it folds to itself, else "quoted"."""
    if _PLAIN.match(name) and name.upper() not in keywords:
        return name
    return '"' + name.replace('"', '""') + '"'


def _keyword_case(word: str, statement: str) -> bool:
    """True for upper case: the case of the word typed, else of the last keyword."""
    letters = [c for c in word if c.isalpha()]
    if letters:
        return all(c.isupper() for c in letters)
    for token in reversed(re.findall(r"[A-Za-z_]+", statement)):
        return token.isupper()
    return True


@functools.lru_cache(maxsize=32)
def _prepared(quoting: Quoting, names: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(name, lower-case name, text to insert) for each name; cached per snapshot."""
    out = []
    for name in names:
        if quoting is Quoting.QUALIFIED:
            text = ".".join(quote_name(p) for p in name.split("."))
        elif quoting is Quoting.VERBATIM:
            text = name
        elif quoting is Quoting.LIBPQ:
            text = name if _LIBPQ_PLAIN.fullmatch(name) else "'" + name.replace("'", "''") + "'"
        else:
            text = quote_name(name)
        out.append((name, name.lower(), text))
    return tuple(out)


def complete(
    text_before_cursor: str,
    catalog: Catalog,
    text_after_cursor: str = "",
    default_queue: str | None = None,
) -> list[Completion]:
    """Completions for the word before the cursor: keywords, then catalog names.

    Consumers, subconsumers, batches and ticks belong to the queue the statement
    names, else to the default queue (else consumers of every queue are offered).
    """
    statement = statement_before(text_before_cursor)
    word = current_word(statement)
    suggestions = suggest(text_before_cursor, text_after_cursor)
    if not suggestions:
        return []
    # a name must be quoted where it would read as a keyword: here, the keywords
    # that may come at the cursor
    kws = frozenset((s.value or "").upper() for s in suggestions if s.kind == "keyword")
    start = -len(word)
    out: list[Completion] = []
    seen: set[str] = set()
    upper = _keyword_case(word, statement[: len(statement) - len(word)])
    quoted = word.startswith('"')
    low = word.lower()
    for s in suggestions:
        if s.kind != "keyword" or quoted:
            continue
        kw = s.value or ""
        if kw.startswith(low) and kw not in seen:
            seen.add(kw)
            text = kw.upper() if upper and not kw.startswith("\\") else kw
            out.append(Completion(text, start, "keyword"))
    collide = {k.lower() for k in kws}
    for s in suggestions:
        if s.kind == "keyword":
            continue
        slot = slot_for_kind(s.kind)
        queue = s.queue if s.queue is not None else default_queue
        names = tuple(slot.names(catalog, queue, s.consumer))
        for name, lname, text in _prepared(slot.quoting, names):
            if quoted:
                text = '"' + name.replace('"', '""') + '"'
                if not text.startswith(word):
                    continue
            else:
                if low and not (lname.startswith(low) or text.lower().startswith(low)):
                    continue
                if lname in collide and text == name:
                    text = '"' + name + '"'
            if text in seen:
                continue
            seen.add(text)
            out.append(Completion(text, start, slot.label))
    return out
