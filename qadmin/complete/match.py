"""Pure: suggestions + Catalog -> ranked completions for the word under the cursor."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from qadmin.catalog import Catalog
from qadmin.complete.suggest import Suggestion, current_word, statement_before, suggest

__all__ = ["CONNECT_KEYS", "VERBATIM_KINDS", "Completion", "complete", "quote_name"]

_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*\Z")

# libpq connection keywords offered after CONNECT (dbname/user/host/queue/node are
# grammar keywords of their own)
CONNECT_KEYS = (
    "port",
    "password",
    "service",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "connect_timeout",
    "options",
    "target_session_attrs",
    "passfile",
    "gssencmode",
)


# kinds whose names are inserted as they are, not as SQL names ("quoted" when not
# plain); a command family adds its own (e.g. handler specs like python:)
VERBATIM_KINDS = {"batch", "tick", "connect_key", "help", "host"}


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


def _names(s: Suggestion, catalog: Catalog) -> tuple[tuple[str, ...], str]:
    """Candidate values and their menu label for one catalog suggestion."""
    k = s.kind
    if k == "queue":
        return catalog.queues, "queue"
    if k == "consumer":
        return catalog.consumers_of(s.queue), "consumer"
    if k == "subconsumer":
        if s.consumer is None:
            return (), "subconsumer"
        if s.queue is not None:
            return catalog.subconsumers.get((s.queue, s.consumer), ()), "subconsumer"
        subs = {
            n for (q, c), names in catalog.subconsumers.items() if c == s.consumer for n in names
        }
        return tuple(sorted(subs)), "subconsumer"
    if k == "batch":
        return tuple(str(b) for b in catalog.batches_of(s.queue)), "open batch"
    if k == "tick":
        if s.queue is None:
            return (), "tick"
        return tuple(str(t) for t in catalog.ticks.get(s.queue, ())), "tick"
    if k == "setting":
        return catalog.settings, "queue setting"
    if k == "table":
        return catalog.tables, "table"
    if k == "sequence":
        return catalog.sequences, "sequence"
    if k == "database":
        return catalog.databases, "database"
    if k == "user":
        return catalog.users, "user"
    if k == "host":
        return catalog.hosts, "host"
    if k == "node":
        return catalog.nodes, "node"
    if k == "connect_key":
        return CONNECT_KEYS, "connection setting"
    if k == "help":
        from qadmin.help import help_topics

        return tuple(sorted({t[0] for t in help_topics()})), "help topic"
    return catalog.extra.get(k, ()), k.replace("_", " ")


@functools.lru_cache(maxsize=32)
def _prepared(kind: str, names: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """(name, lower-case name, text to insert) for each name; cached per snapshot."""
    out = []
    for name in names:
        if kind in ("table", "sequence"):
            text = ".".join(quote_name(p) for p in name.split("."))
        elif kind in VERBATIM_KINDS:
            text = name
        elif kind in ("database", "user"):
            plain = re.fullmatch(r"[^\s;'\"=]+", name)
            text = name if plain else "'" + name.replace("'", "''") + "'"
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
        if s.queue is None and default_queue is not None:
            s = Suggestion(s.kind, s.value, default_queue, s.consumer)
        names, label = _names(s, catalog)
        for name, lname, text in _prepared(s.kind, names):
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
            out.append(Completion(text, start, label))
    return out
