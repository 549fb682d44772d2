"""Mark a syntax error while typing, with the same parser that runs the input."""

from __future__ import annotations

import re
from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError, Validator

from qadmin.parser import QadminSyntaxError, parse
from qadmin.scan import split_statements
from qadmin.variables import interpolate

__all__ = ["QadminValidator", "first_error"]

_TRAILING_WORD = re.compile(r"[\w$.\\]+\Z")


def _unset(name: str) -> str | None:
    return None


def first_error(
    text: str, variable: Callable[[str], str | None] = _unset
) -> QadminSyntaxError | None:
    """The first real syntax error in text, its :variables replaced as running it will.

    An unfinished last statement is not one, nor an error on the word being typed
    at the very end (`cre` becomes `create`).
    """
    for piece in split_statements(text):
        if piece.blank:
            continue
        try:
            parse(interpolate(piece.text, variable))
        except QadminSyntaxError as err:
            if not piece.complete:
                if err.incomplete:
                    continue
                tail = _TRAILING_WORD.search(piece.text)
                if tail and _offset(piece.text, err.line, err.column) >= tail.start():
                    continue
            return err.shifted(piece.line, piece.column)
    return None


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[: line - 1]) + column - 1


class QadminValidator(Validator):
    """Puts the cursor's error mark where the parser stopped (ptpython's habit)."""

    def __init__(self, variable: Callable[[str], str | None] = _unset) -> None:
        self.variable = variable

    def validate(self, document: Document) -> None:
        err = first_error(document.text, self.variable)
        if err is None:
            return
        index = document.translate_row_col_to_index(err.line - 1, max(err.column - 1, 0))
        raise ValidationError(cursor_position=index, message=f"line {err.line}: {err.message}")
