"""Turn a parse tree into the typed AST: clean terminals, wire rules to classes."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from lark import Token, Transformer, ast_utils, v_args

from qadmin import ast
from qadmin.literals import parse_interval, unquote_name, unquote_string

__all__ = ["ToAst", "make_transformer"]


def _conn_literal(tok: Token) -> str:
    if tok.type == "STRING":
        return unquote_string(tok)
    if tok.type == "QUOTED_NAME":
        return tok[1:-1].replace('""', '"')
    return str(tok)


@v_args(inline=True)
class ToAst(Transformer):
    """Leaf rules -> plain values; command rules are added by make_transformer()."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    # names
    def name(self, tok: Token) -> str:
        return unquote_name(tok)

    queue_name = consumer_name = subconsumer_name = setting_name = connect_key = name
    add_table_key = londiste_handler_name = name

    def table_name(self, *parts: Token) -> str:
        return ".".join(unquote_name(p) for p in parts)

    sequence_name = table_name
    new_table_name = added_table_name = new_sequence_name = added_sequence_name = table_name

    def tick_id(self, value: int) -> int:
        return int(value)

    def INT(self, tok: Token) -> int:
        return int(tok)

    def star(self) -> ast.All:
        return ast.ALL

    def queue_pattern(self, tok: Token) -> ast.Pattern:
        return ast.Pattern(unquote_string(tok))

    # values
    def setting_value(self, tok: Token) -> str | None:
        if tok.type in ("STRING", "DOLLAR_STRING"):
            return unquote_string(tok)
        if tok.type in ("NUMBER", "NAME"):
            return str(tok)
        return None  # null

    event_value = setting_value

    def setting_list(self, *settings: ast.Setting) -> tuple[ast.Setting, ...]:
        return settings

    queue_settings = setting_list

    def event_values(self, *values: str | None) -> tuple[str | None, ...]:
        return values

    def force_flag(self, *toks: Token) -> bool:
        return bool(toks)

    close_flag = force_flag
    # londiste.lark
    count_only_flag = apply_flag = restore_flag = wait_flag = force_flag

    def list_pattern(self, tok: Token) -> str:
        return unquote_string(tok)

    def list_all(self) -> str:
        return "ALL"

    def new_table_list(self, *items: str) -> tuple[str, ...]:
        return items

    added_table_list = new_sequence_list = added_sequence_list = new_table_list

    def interval(self, amount: Token, unit: Token | None = None) -> dt.timedelta:
        """`5 min` (NUMBER NAME) or '5 min' (STRING); a bad unit is an invalid value."""
        if amount.type == "STRING":
            return parse_interval(unquote_string(amount))
        return parse_interval(f"{amount} {unit or ''}")

    def on_off(self, *toks: Token) -> bool | None:
        return toks[0].lower() == "on" if toks else None

    def format_name(self, tok: Token) -> str:
        return tok.lower()

    def module(self, tok: Token) -> str:
        return tok.lower()

    def install_modules(self, *mods: str) -> tuple[str, ...]:
        return mods

    def without_roles(self) -> bool:
        return True

    def help_topic(self, *words: Token) -> tuple[str, ...]:
        return tuple(w.lower() for w in words)

    def batch_ref(self, value: Token | str) -> int | str:
        return value

    def consumer_position(self, pos: ast.AtTick | ast.CopyFrom) -> ast.AtTick | ast.CopyFrom:
        return pos

    # connect
    def connect_params(self, *params: tuple[str, str]) -> tuple[tuple[str, str], ...]:
        return params

    def database_value(self, tok: Token) -> str:
        return _conn_literal(tok)

    user_value = host_value = node_value = conn_value = database_value

    def conn_dbname(self, value: str) -> tuple[str, str]:
        return ("dbname", value)

    def conn_user(self, value: str) -> tuple[str, str]:
        return ("user", value)

    def conn_host(self, value: str) -> tuple[str, str]:
        return ("host", value)

    def conn_queue(self, value: str) -> tuple[str, str]:
        return ("queue", value)

    def conn_node(self, value: str) -> tuple[str, str]:
        return ("node", value)

    def conn_other(self, key: str, value: str) -> tuple[str, str]:
        return (key, value)

    def watch(self, seconds: Token | None, command: ast.Command) -> ast.Watch:
        return ast.Watch(float(seconds) if seconds is not None else None, command)

    def __default__(self, data, children, meta):  # type: ignore[no-untyped-def]
        """A later family's `<kind>_name: NAME | QUOTED_NAME | <KIND>_SLOT` rule needs
        no method here: any *_name rule of one token becomes the unquoted name."""
        if (
            isinstance(data, str)
            and data.endswith("_name")
            and len(children) == 1
            and isinstance(children[0], Token)
        ):
            return unquote_name(children[0])
        return super().__default__(data, children, meta)

    def start(self, *statements: ast.Command) -> tuple[ast.Command, ...]:
        return statements

    @v_args(meta=True)
    def sql(self, meta, _children) -> ast.Sql:  # type: ignore[no-untyped-def]
        return ast.Sql(self.source[meta.start_pos : meta.end_pos])


def make_transformer(source: str) -> Transformer:
    """A transformer for one source text (SQL statements keep their original text)."""
    return _ToAstNodes(source)


class _ToAstNodes(ToAst):
    """ToAst plus one method per AST node class (the rule of the class's snake-case
    name builds it), each resolved on its rule's first use and kept on the class:
    a statement imports only its own family (qadmin.ast loads them lazily), and a
    script's statements pay nothing after the first (wrapping every class on each
    parse took ~4 ms under cProfile before)."""

    def __getattr__(self, rule: str) -> Any:
        # only for names ordinary lookup misses: a class's rule the first time it
        # is met, or a rule or terminal no class builds (-> __default__)
        method = _rule_method(rule)
        if method is None:
            raise AttributeError(rule)
        setattr(_ToAstNodes, rule, method)
        return getattr(self, rule)


@functools.cache
def _rule_method(rule: str) -> Any | None:
    """The transformer method of the AST class a rule builds, or None."""
    cls = _rule_class(rule)
    if cls is None:
        return None
    wrap = v_args(
        inline=not issubclass(cls, ast_utils.AsList),
        meta=issubclass(cls, ast_utils.WithMeta),
    )
    return wrap(cls)


def _rule_class(rule: str) -> type | None:
    """The node class named like the rule: from its family, else among loaded classes."""
    if rule.startswith("_") or not rule.islower():
        return None
    name = _class_names().get(rule)
    if name is not None:
        cls = getattr(ast, name)
        return cls if ast.is_node_class(cls) else None
    # the base's classes (Setting, AtTick ...) and any defined outside the families
    for cls in ast.loaded_node_classes():
        if not cls.__name__.startswith("_") and ast_utils.camel_to_snake(cls.__name__) == rule:
            return cls
    return None


@functools.cache
def _class_names() -> dict[str, str]:
    """Rule name -> class name, for every class of the families (none imported)."""
    names = (n for family in ast.FAMILIES.values() for n in family)
    return {ast_utils.camel_to_snake(n): n for n in names}
