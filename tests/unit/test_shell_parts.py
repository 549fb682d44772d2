"""Shell pieces that need no terminal: lexer, validator, toolbar, prompt."""

from __future__ import annotations

from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError
from pygments.token import Keyword, Name, String

from qadmin.catalog import Catalog
from qadmin.commands.registry import Context
from qadmin.shell.lexer import lexer_class
from qadmin.shell.repl import prompt_text
from qadmin.shell.toolbar import build_toolbar
from qadmin.shell.validator import QadminValidator, first_error


def test_lexer_keywords_come_from_the_grammar():
    tokens = list(lexer_class()().get_tokens("CREATE QUEUE q1 WITH max_lag='1 s'; select 1"))
    kinds = {value: kind for kind, value in tokens if value.strip()}
    assert kinds["CREATE"] in Keyword and kinds["QUEUE"] in Keyword
    assert kinds["WITH"] in Keyword and kinds["select"] in Keyword
    assert kinds["q1"] in Name and kinds["'1 s'"] in String


def test_lexer_survives_unfinished_input():
    for text in ["select 'open", 'x "open', "/* open", "$$open", "\\x", "--"]:
        assert "".join(v for _, v in lexer_class()().get_tokens(text)).rstrip("\n") == text


def test_validator_ignores_unfinished_statements_and_the_word_being_typed():
    assert first_error("create queue") is None
    assert first_error("cre") is None
    assert first_error("show queue q1;\nsho") is None
    err = first_error("show queue q1 q2;")
    assert err is not None and err.column == 15
    err = first_error("select 1;\ncreate queue q x;")
    assert (err.line, err.column) == (2, 16)


def test_validator_puts_the_cursor_on_the_error():
    v = QadminValidator()
    v.validate(Document("create queue"))
    try:
        v.validate(Document("show queue a b;"))
    except ValidationError as e:
        assert e.cursor_position == len("show queue a ")
    else:
        raise AssertionError("no error")


def test_toolbar_and_prompt_without_connection():
    ctx = Context(conn=None, queue="orders")
    bar = build_toolbar(
        ctx, lambda: Catalog.build(queues=["a"], fetched_at=0.0), lambda: (False, None)
    )
    text = "".join(t for _, t in bar())
    assert "not connected" in text and "queue: orders" in text and "1 queues" in text
    bar = build_toolbar(ctx, Catalog, lambda: (False, "boom"))
    assert "boom" in "".join(t for _, t in bar())
    assert prompt_text(ctx) == "!> "
