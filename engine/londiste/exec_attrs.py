"""EXECUTE file attributes: which nodes run a script, and the local names it uses.

The ``--*-- Key: value, value`` header lines of a Londiste EXECUTE file (the
original's londiste/exec_attrs.py rules, re-implemented):

* only lines before the first SQL statement are read; empty lines and plain ``--``
  comments are skipped; a line ending with ``,`` continues on the next ``--*--`` line;
* keys (case-insensitive): ``Local-Table``, ``Local-Sequence``, ``Local-Destination``,
  ``Need-Table``, ``Need-Sequence``, ``Need-Function`` (``name(nargs)``),
  ``Need-Schema``, ``Need-View``; any other key is an error;
* they travel in the EXECUTE event's ev_extra2, urlencoded with lower-case keys
  (``local-table=a,b``), as the original sends them, so either side reads the other's.

On every node (the root when the file is executed, each subscriber when it replays
the event) the listed objects are matched: ``Local-Table`` / ``Local-Sequence`` are
tables/sequences registered (local) on this node, ``Local-Destination`` such a table
whose destination table exists, ``Need-*`` objects that exist in the database.
All matched (or no header at all): the script runs; none matched: it is not run on
this node (but recorded as applied, so it never runs there later); some matched and
some not: an error, the script is neither run nor recorded (the node's setup differs
from what the script expects: fix it, then the replay retries).

``@name@`` tags of Local-* objects in the script are replaced by the local (destination)
name, quoted.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from engine.db import sql

__all__ = [
    "KEYS",
    "ExecAttrsError",
    "need_execute",
    "parse_sql",
    "parse_urlenc",
    "process_sql",
    "to_urlenc",
]

PREFIX = "--*--"
# the keys in the order the original probes them
KEYS = (
    "Local-Table",
    "Local-Sequence",
    "Local-Destination",
    "Need-Table",
    "Need-Sequence",
    "Need-Function",
    "Need-Schema",
    "Need-View",
)
_NICE = {k.lower(): k for k in KEYS}
# the keys whose objects have a local name (``@name@`` tags)
_RENAMED = ("Local-Table", "Local-Sequence", "Local-Destination")

_RELKIND_SQL = (
    "select exists (select 1 from pg_catalog.pg_class c"
    " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
    " where n.nspname = %s and c.relname = %s and c.relkind = any(%s))"
)
_SCHEMA_SQL = "select exists (select 1 from pg_catalog.pg_namespace where nspname = %s)"
_FUNCTION_SQL = (
    "select exists (select 1 from pg_catalog.pg_proc p"
    " join pg_catalog.pg_namespace n on n.oid = p.pronamespace"
    " where n.nspname = any(%s) and p.proname = %s and p.pronargs = %s)"
)


class ExecAttrsError(ValueError):
    """A bad header line, or a script that only partly matches this node."""


def fqname(name: str) -> str:
    """A name with its schema (``public`` when none is given)."""
    return name if "." in name else "public." + name


def _add(out: dict[str, list[str]], key: str, values: str) -> None:
    nice = _NICE.get(key.strip().lower())
    if nice is None:
        raise ExecAttrsError(f"EXECUTE header: invalid key {key.strip()!r}")
    out.setdefault(nice, []).extend(v.strip() for v in values.split(",") if v.strip())


def parse_sql(text: str) -> dict[str, list[str]]:
    """The header attributes of a script, keyed by the original's key names."""
    out: dict[str, list[str]] = {}
    continued: str | None = None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("--"):
            break  # the first statement ends the header
        if not line.startswith(PREFIX):
            continue
        line = line[len(PREFIX) :].strip()
        if not line:
            continue
        if continued is not None:
            _add(out, continued, line)
        else:
            key, sep, values = line.partition(":")
            if not sep:
                continue
            _add(out, key, values)
            continued = key
        if not line.endswith(","):
            continued = None
    return out


def parse_urlenc(text: str | None) -> dict[str, list[str]]:
    """The attributes as ev_extra2 carries them (either side's spelling of the keys)."""
    out: dict[str, list[str]] = {}
    for key, values in urllib.parse.parse_qsl(text or "", keep_blank_values=True):
        _add(out, key, values)
    return out


def to_urlenc(attrs: Mapping[str, list[str]]) -> str | None:
    """ev_extra2 of the EXECUTE event (None without attributes), as the original writes it."""
    if not attrs:
        return None
    return urllib.parse.urlencode({k.lower(): ",".join(v) for k, v in attrs.items()})


def _split(name: str) -> tuple[str, str]:
    schema, _, rel = fqname(name).partition(".")
    return schema, rel


def _exists(cur: Any, key: str, name: str) -> bool:
    if key == "Need-Schema":
        cur.execute(_SCHEMA_SQL, (name,))
    elif key == "Need-Function":
        nargs = 0
        if "(" in name:
            name, _, rest = name.partition("(")
            try:
                nargs = int(rest.rstrip(")").strip() or 0)
            except ValueError:
                raise ExecAttrsError(
                    f"EXECUTE header: Need-Function {name}({rest}: give the number of arguments"
                ) from None
        # an unqualified function may also be a built-in one
        schemas = [_split(name)[0]] if "." in name else ["public", "pg_catalog"]
        cur.execute(_FUNCTION_SQL, (schemas, _split(name)[1], nargs))
    else:
        kinds = {"Need-Sequence": ["S"], "Need-View": ["v", "m"]}.get(key, ["r", "p"])
        cur.execute(_RELKIND_SQL, (*_split(name), kinds))
    return bool(cur.fetchone()[0])


def need_execute(
    cur: Any,
    attrs: Mapping[str, list[str]],
    local_tables: Mapping[str, str],
    local_seqs: Mapping[str, str],
) -> bool:
    """Whether the script runs on this node (see the module docstring for the rule).

    local_tables maps the node's registered tables to their destination tables,
    local_seqs its registered sequences to themselves.
    """
    good: list[str] = []
    missed: list[str] = []
    for key in KEYS:
        for value in attrs.get(key, []):
            name = fqname(value)
            if key == "Local-Table":
                hit = name in local_tables
            elif key == "Local-Sequence":
                hit = name in local_seqs
            elif key == "Local-Destination":
                hit = name in local_tables and _exists(cur, "Need-Table", local_tables[name])
            else:
                hit = _exists(cur, key, value)
            (good if hit else missed).append(f"{key} {value}")
    if good and missed:
        raise ExecAttrsError(
            "the script only partly matches this node: has "
            + ", ".join(good)
            + "; lacks "
            + ", ".join(missed)
        )
    return not missed


def process_sql(
    cur: Any,
    text: str,
    attrs: Mapping[str, list[str]],
    local_tables: Mapping[str, str],
    local_seqs: Mapping[str, str],
) -> str:
    """The script with its ``@name@`` tags of Local-* objects replaced by local names."""
    for key in _RENAMED:
        for value in attrs.get(key, []):
            name = fqname(value)
            local = local_tables.get(name) or local_seqs.get(name)
            if local is None:
                raise ExecAttrsError(f"EXECUTE: {key} {value} is not registered on this node")
            quoted = sql.Identifier(*_split(local)).as_string(cur)
            text = text.replace(f"@{value}@", quoted)
    return text
