"""Londiste's ``multimaster`` and ``obfuscate`` handlers.

``multimaster``
    a replica written by several masters: every row event is handed to the
    database function ``merge_on_time`` (the applyfn handler with
    ``func_name=merge_on_time`` and ``func_conf`` = the handler's other args,
    urlencoded, e.g. ``timefield=mtime``), which keeps the newer row by its time
    column.  As the original, the function is the admin's (the original's is
    PL/Python; docs/londiste-merge_on_time.sql is a PL/pgSQL one with the same
    arguments) and adding the table adds the trigger argument ``no_merge``.  Only
    one master can give the initial copy: add the others with expect_sync.  The
    function gets every argument as text, as the original's SQL literals.
``obfuscate``
    the default handler whose rows are rewritten column by column on the way, in
    replay and in the initial copy, by the rules of the worker's ini key
    ``obfuscator_map`` (a YAML file: ``table: {column: rule}``), keyed by
    ``obfuscator_key``.  Rules: ``keep``; ``skip`` (the column is left out, also
    the default for columns not named); ``bool`` ('t' for a non-empty value, 'f'
    for an empty one, as the original); ``hash32`` / ``hash64`` (signed integers)
    and ``hash`` (a UUID) from a keyed BLAKE2s of the value's text; a mapping for
    a json column (the same rules per key, recursively; what is not named goes).
    The hashes are the original's, so an obfuscated node made by either matches.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from hashlib import blake2s
from typing import Any

from engine.config import ConfigError
from engine.consumer import Event
from engine.londiste.handlers import ApplyFuncHandler, HandlerError, RowHandler, parse_row
from engine.londiste.handlers_copy import pipe_copy
from engine.londiste.handlers_dispatch import _encode_row
from engine.londiste.handlers_shard import check_args

__all__ = ["MultimasterHandler", "Obfuscator", "configure", "obfuscate_value"]


class MultimasterHandler(ApplyFuncHandler):
    """multimaster(timefield=COL, ...): merge_on_time(conf, ...) applies each row event."""

    handler_name = "multimaster"
    default_func = "merge_on_time"
    # text literals, as the original's quote_literal()s: merge_on_time takes text
    text_args = True

    def __init__(self, table_name: str, args: dict[str, str], dest_table: str) -> None:
        conf = {k: v for k, v in args.items() if k not in ("func_name", "func_conf")}
        args = {
            "func_name": "merge_on_time",
            "func_conf": urllib.parse.urlencode(conf),
            **args,
        }
        super().__init__(table_name, args, dest_table)

    def add(self, trigger_arg_list: list[str]) -> None:
        """Table added: its trigger gets no_merge."""
        trigger_arg_list.append("no_merge")


# -- obfuscate -----------------------------------------------------------------------------

KEEP, SKIP, BOOL, HASH32, HASH64, HASH128 = "keep", "skip", "bool", "hash32", "hash64", "hash"
_RULES = (KEEP, SKIP, BOOL, HASH32, HASH64, HASH128)

#: the worker's obfuscator_key and the rules of obfuscator_map (configure() reads them)
_CONF: dict[str, Any] = {"key": b"", "map": None, "file": ""}


def configure(cf: Any) -> None:
    """Read the worker's ini keys obfuscator_key and obfuscator_map (a YAML file)."""
    _CONF["key"] = _as_bytes(cf.get("obfuscator_key", ""))
    path = cf.getfile("obfuscator_map", "")
    _CONF["file"] = path
    _CONF["map"] = None
    if path:
        try:
            _CONF["map"] = load_rules(path)
        except HandlerError as e:
            raise ConfigError(str(e)) from None


def load_rules(path: str) -> dict[str, Any]:
    """The obfuscator_map file: ``table: {column: rule}``."""
    try:
        with open(path, encoding="utf8") as f:
            text = f.read()
    except OSError as e:
        raise HandlerError(f"obfuscator_map {path}: {e.strerror}") from None
    try:
        import yaml  # type: ignore[import-untyped]  # PyYAML: optional, as the original's
    except ImportError:
        yaml = None
    try:
        # YAML as the original's; without PyYAML a JSON file (JSON is YAML too)
        rules = json.loads(text) if yaml is None else yaml.safe_load(text)
    except ValueError as e:
        raise HandlerError(f"obfuscator_map {path}: {e}") from None
    except Exception as e:  # yaml.YAMLError
        raise HandlerError(f"obfuscator_map {path}: {e}") from None
    if not isinstance(rules, dict):
        raise HandlerError(f"obfuscator_map {path}: not a mapping of tables")
    return rules


def _as_bytes(data: Any) -> bytes:
    if isinstance(data, bool):
        return b"t" if data else b"f"
    if isinstance(data, str):
        return data.encode("utf8")
    if isinstance(data, int):
        return b"%d" % data
    if isinstance(data, float):
        return repr(data).encode()
    raise HandlerError(f"obfuscate: cannot hash a {type(data).__name__}")


def _digest(data: Any, size: int) -> bytes:
    return blake2s(_as_bytes(data), digest_size=size, key=_CONF["key"]).digest()


def hash32(data: Any) -> int | None:
    return None if data is None else int.from_bytes(_digest(data, 4), "big", signed=True)


def hash64(data: Any) -> int | None:
    return None if data is None else int.from_bytes(_digest(data, 8), "big", signed=True)


def hash128(data: Any) -> str | None:
    """A UUID of variant 0 (the RFC 4122 variant bit cleared), as the original."""
    if data is None:
        return None
    value = int.from_bytes(_digest(data, 16), "big") & ~(0x8000 << 48)
    return str(uuid.UUID(int=value))


def _obf_json(data: Any, rule: Any) -> Any:
    if isinstance(rule, dict):
        if not isinstance(data, dict):
            return None
        out = {}
        for key, sub in rule.items():
            val = _obf_json(data.get(key), sub)
            if val is not None:
                out[key] = val
        return out or None
    if rule == KEEP:
        return data
    if rule == SKIP or isinstance(data, (dict, list)):
        return None
    if rule == BOOL:
        return None if data is None else ("t" if data else "f")
    if rule == HASH32:
        return hash32(data)
    if rule == HASH64:
        return hash64(data)
    if rule == HASH128:
        return hash128(data)
    raise HandlerError(f"obfuscate: invalid rule {rule!r}")


def obfuscate_value(value: str | None, rule: Any) -> str | None:
    """One column's text value by its rule (not skip)."""
    if isinstance(rule, dict):
        if value is None:
            return None
        try:
            doc = json.loads(value)
        except ValueError:
            raise HandlerError(f"obfuscate: value is not json: {value[:60]!r}") from None
        res = _obf_json(doc, rule)
        return json.dumps(res if res is not None else {})
    if rule == KEEP or value is None:
        return value
    if rule == BOOL:
        return "t" if value else "f"
    if rule in (HASH32, HASH64, HASH128):
        out = {HASH32: hash32, HASH64: hash64, HASH128: hash128}[rule](value)
        return None if out is None else str(out)
    raise HandlerError(f"obfuscate: invalid rule {rule!r}")


class Obfuscator(RowHandler):
    """obfuscate: the default handler with each row rewritten by obfuscator_map's rules."""

    handler_name = "obfuscate"

    def __init__(self, table_name: str, args: dict[str, str], dest_table: str) -> None:
        check_args(self.handler_name, table_name, args, ("encoding", "ignore_truncate"))
        super().__init__(table_name, args, dest_table)

    def rules(self) -> dict[str, Any]:
        rules = _CONF["map"]
        if rules is None:
            raise HandlerError(
                f"handler obfuscate of {self.table_name}: the worker has no obfuscator_map"
            )
        table = rules.get(self.table_name)
        if table is None and "." in self.table_name:
            schema, _, name = self.table_name.partition(".")
            table = rules.get(name) if schema == "public" else None
        if not isinstance(table, dict):
            raise HandlerError(f"source table not in obfuscator_map: {self.table_name}")
        return table

    def _rewrite(self, ev: Event) -> Event:
        rules = self.rules()
        row: dict[str, str | None] = {}
        for col, value in parse_row(ev.data).items():
            rule = rules.get(col, SKIP)
            if rule != SKIP:
                row[col] = obfuscate_value(value, rule)
        etype = ev.type or ""
        if len(etype) < 2:
            raise HandlerError(f"obfuscate: sql events are not supported (event {ev.id})")
        return Event(
            (
                ev.id,
                ev.time,
                ev.txid,
                ev.retry,
                etype,
                _encode_row(row),
                ev.extra1,
                ev.extra2,
                ev.extra3,
                ev.extra4,
            )
        )

    def get_copy_event(self, cur: Any, ev: Event) -> Event:
        """A branch's own queue gets the rewritten rows, never the originals."""
        return self._rewrite(ev)

    def add_event(self, cur: Any, ev: Event) -> None:
        super().add_event(cur, self._rewrite(ev))

    def apply_one(self, cur: Any, ev: Event) -> str:
        return super().apply_one(cur, self._rewrite(ev))

    def real_copy(
        self, src_conn: Any, dst_cur: Any, src_table: str, columns: list[str], cond: str | None
    ) -> int:
        """The initial copy of the kept columns, each row rewritten."""
        rules = self.rules()
        cols = [c for c in columns if rules.get(c, SKIP) != SKIP]
        col_rules = [rules[c] for c in cols]

        def rewrite(vals: list[str | None]) -> list[str | None]:
            return [obfuscate_value(v, r) for v, r in zip(vals, col_rules, strict=True)]

        return pipe_copy(src_conn, dst_cur, src_table, cols, self.dest_table, cols, cond, rewrite)
