"""The parser imports lark without the optional regex module, which the grammar does not need."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from qadmin.parser import grammar_text

ROOT = Path(__file__).resolve().parents[2]


def test_the_grammar_uses_no_unicode_property_classes():
    """\\p{...} is the one thing lark needs regex for (besides Lark(regex=True))."""
    assert "\\p{" not in grammar_text() and "\\P{" not in grammar_text()


_PROBE = """
import sys
from qadmin.parser import parse
parse("show queue *; \\\\set a 1")
print("regex" in sys.modules)
import regex
print(regex.match("a+", "aa") is not None)
"""


@pytest.mark.skipif(importlib.util.find_spec("regex") is None, reason="regex is not installed")
def test_parsing_leaves_regex_unimported_and_importable():
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert out == ["False", "True"]
