"""Pure: psql-style variables: `:name`, `:'name'`, `:"name"` interpolation and `\\set` arguments.

Interpolation follows psql: `:name` is replaced by the value as it is,
`:'name'` by the value as a 'string literal', `:"name"` by the value as a
"quoted identifier"; a variable that is not set is left as typed, and nothing
is replaced inside 'strings', "names", $$dollar strings$$ or comments, nor in a
`::` cast.  Quoting follows the grammar's rules (qadmin.literals reads back
exactly what quote_literal and quote_identifier write).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from qadmin.scan import skip_quoted

__all__ = [
    "VariableError",
    "interpolate",
    "parse_meta_args",
    "quote_argument",
    "quote_identifier",
    "quote_literal",
    "valid_name",
]

_NAME = re.compile(r"[A-Za-z0-9_]+")
_VALID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ESCAPES = {"n": "\n", "t": "\t", "b": "\b", "r": "\r", "f": "\f"}

Lookup = Callable[[str], "str | None"]


class VariableError(ValueError):
    """A backslash command's arguments do not read (an unterminated quote ...)."""


def quote_literal(value: str) -> str:
    """value as a 'string literal' (quotes doubled; backslashes are plain characters)."""
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(value: str) -> str:
    """value as a "quoted identifier" (double quotes doubled), kept exactly."""
    return '"' + value.replace('"', '""') + '"'


def valid_name(name: str) -> bool:
    """True for a name \\set accepts: letters, digits and _, not starting with a digit."""
    return bool(_VALID.match(name))


def _lookup(variables: Mapping[str, str] | Lookup) -> Lookup:
    if callable(variables):
        return variables
    return variables.get


def quote_argument(value: str) -> str:
    """value as one 'quoted' backslash-command argument (what parse_meta_args reads back)."""
    out = value.replace("\\", "\\\\").replace("'", "''")
    for char, code in (("\n", "n"), ("\t", "t"), ("\r", "r"), ("\f", "f"), ("\b", "b")):
        out = out.replace(char, "\\" + code)
    return "'" + out + "'"


# backslash commands whose arguments are free text (psql's \\set, \\unset, \\echo)
TEXT_COMMANDS = ("\\set", "\\unset", "\\echo")
_COMMAND = re.compile(r"\\[A-Za-z]+")


def interpolate(text: str, variables: Mapping[str, str] | Lookup) -> str:
    """text with every :name, :'name' and :"name" outside quotes and comments replaced.

    In \\set, \\unset and \\echo a value stays part of the argument it is in,
    spaces and all, as in psql: the arguments are read with the values in them
    and written back as 'quoted' arguments.
    """
    if ":" not in text:
        return text
    get = _lookup(variables)
    head = _COMMAND.match(text)
    if head and head.group(0).lower() in TEXT_COMMANDS:
        try:
            args = parse_meta_args(text[head.end() :], get)
        except VariableError:
            return text  # the parser says what is wrong with it
        return head.group(0) + "".join(" " + quote_argument(a) for a in args)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"$" or text.startswith(("--", "/*"), i):
            j = skip_quoted(text, i)
            j = n if j < 0 else j
            out.append(text[i:j])
            i = j
            continue
        if c != ":":
            out.append(c)
            i += 1
            continue
        if text.startswith("::", i):  # a cast, never a variable
            out.append("::")
            i += 2
            continue
        replaced = _reference(text, i, get)
        if replaced is None:
            out.append(c)
            i += 1
        else:
            value, i = replaced
            out.append(value)
    return "".join(out)


def _reference(text: str, i: int, get: Lookup) -> tuple[str, int] | None:
    """(replacement, index after it) for a set variable referenced at text[i] == ':'."""
    quote = text[i + 1 : i + 2]
    if quote in ("'", '"'):
        m = _NAME.match(text, i + 2)
        if not m or text[m.end() : m.end() + 1] != quote:
            return None
        value = get(m.group(0))
        if value is None:
            return None
        quoted = quote_literal(value) if quote == "'" else quote_identifier(value)
        return quoted, m.end() + 1
    m = _NAME.match(text, i + 1)
    if not m:
        return None
    value = get(m.group(0))
    return None if value is None else (value, m.end())


def _single_quoted(text: str, i: int) -> tuple[str, int]:
    """The value of the psql-style 'argument' opening at i ('' and \\n escapes), and its end."""
    out: list[str] = []
    j, n = i + 1, len(text)
    while j < n:
        c = text[j]
        if c == "'":
            if text[j + 1 : j + 2] == "'":
                out.append("'")
                j += 2
                continue
            return "".join(out), j + 1
        if c == "\\" and j + 1 < n:
            nxt = text[j + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            j += 2
            continue
        out.append(c)
        j += 1
    raise VariableError("unterminated quoted string")


def parse_meta_args(text: str, variables: Mapping[str, str] | Lookup | None = None) -> list[str]:
    """The arguments of a backslash command, as psql reads them.

    Arguments are separated by white space; within one, 'quoted' parts are
    unquoted ('' is a quote, \\n \\t ... escapes) and "quoted" parts are kept
    with their quotes, so `'a b'c` is one argument `a bc`.  With variables,
    :name, :'name' and :"name" outside quotes put the value into the argument.
    """
    get = _lookup(variables) if variables is not None else None
    args: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        part: list[str] = []
        while i < n and not text[i].isspace():
            c = text[i]
            if c == "'":
                value, i = _single_quoted(text, i)
                part.append(value)
            elif c == '"':
                end = text.find('"', i + 1)
                while end >= 0 and text[end + 1 : end + 2] == '"':
                    end = text.find('"', end + 2)
                if end < 0:
                    raise VariableError("unterminated quoted name")
                part.append(text[i : end + 1])
                i = end + 1
            elif c == ":" and get is not None and not text.startswith("::", i):
                replaced = _reference(text, i, get)
                if replaced is None:
                    part.append(c)
                    i += 1
                else:
                    value, i = replaced
                    part.append(value)
            elif c == ":" and text.startswith("::", i):
                part.append("::")
                i += 2
            else:
                part.append(c)
                i += 1
        args.append("".join(part))
    return args
