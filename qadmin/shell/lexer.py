"""Pygments lexer whose keyword list is generated from the grammar's keyword terminals."""

from __future__ import annotations

import functools
import re
from typing import ClassVar

from pygments.lexer import RegexLexer, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from qadmin.parser import keywords

__all__ = ["lexer_class"]


@functools.cache
def lexer_class() -> type[RegexLexer]:
    """The lexer class, built once from the grammar (so highlighting cannot drift)."""
    kws = sorted((k for k in keywords() if k[:1].isalpha()), key=len, reverse=True)

    class QadminLexer(RegexLexer):
        name = "qadmin"
        aliases: ClassVar[list[str]] = ["qadmin"]
        flags = re.IGNORECASE | re.MULTILINE
        tokens: ClassVar[dict] = {
            "root": [
                (r"\s+", Whitespace),
                (r"--.*?$", Comment.Single),
                (r"/\*", Comment.Multiline, "comment"),
                (r"\\[A-Za-z?]+", Keyword.Pseudo),
                (r"[Ee]'(?:[^'\\]|\\.|'')*'?", String.Single),
                (r"'(?:[^']|'')*'?", String.Single),
                (r'"(?:[^"]|"")*"?', Name.Variable),
                (r"\$(\w*)\$[\s\S]*?(\$\1\$|\Z)", String.Other),
                (words(kws, suffix=r"\b"), Keyword),
                (r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?", Number),
                (r"[^\W\d][\w$]*", Name),
                (r"[;,()=*.]", Punctuation),
                (r".", Operator),
            ],
            "comment": [
                (r"[^*]+", Comment.Multiline),
                (r"\*/", Comment.Multiline, "#pop"),
                (r"\*", Comment.Multiline),
            ],
        }

    return QadminLexer
