"""The on-disk cache of values derived from the grammar: used when it matches, derived
again when the grammar (or anything else it depends on) changes, never trusted blindly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qadmin import derived, parser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(derived.CACHE_DIR_ENV, str(tmp_path))
    return tmp_path


def _counting(words):
    calls = []

    def derive():
        calls.append(1)
        return frozenset(words)

    return derive, calls


def test_words_are_derived_once_then_read_back(cache):
    derive, calls = _counting({"select", "with"})
    assert derived.cached_words("w", "grammar 1", derive) == {"select", "with"}
    assert derived.cached_words("w", "grammar 1", derive) == {"select", "with"}
    assert len(calls) == 1
    (file,) = cache.iterdir()
    assert json.loads(file.read_text()) == ["select", "with"]


def test_a_changed_grammar_derives_them_again(cache):
    derive, calls = _counting({"select"})
    derived.cached_words("w", "grammar 1", derive)
    derive2, calls2 = _counting({"select", "analyze"})
    assert derived.cached_words("w", "grammar 2", derive2) == {"select", "analyze"}
    assert len(calls2) == 1
    assert derived.cached_words("w", "grammar 1", derive) == {"select"}
    assert len(calls) == 1


@pytest.mark.parametrize("content", ["not json", '{"a": 1}', "[1, 2]", ""])
def test_a_damaged_file_is_derived_again(cache, content):
    derive, calls = _counting({"select"})
    derived.cached_words("w", "g", derive)
    (file,) = cache.iterdir()
    file.write_text(content)
    assert derived.cached_words("w", "g", derive) == {"select"}
    assert len(calls) == 2
    assert json.loads(file.read_text()) == ["select"]


def test_an_unwritable_cache_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(derived.CACHE_DIR_ENV, str(blocker / "sub"))
    derive, calls = _counting({"select"})
    assert derived.cached_words("w", "g", derive) == {"select"}
    assert derived.cached_words("w", "g", derive) == {"select"}
    assert len(calls) == 2


def test_sql_only_words_from_the_cache_equal_the_grammars(cache):
    fresh = parser._derive_sql_only_words()
    assert "select" in fresh and "show" not in fresh
    assert parser.sql_only_words.__wrapped__() == fresh  # derived, written
    assert parser.sql_only_words.__wrapped__() == fresh  # read back


def test_sql_only_words_follow_the_grammar_text(cache, monkeypatch):
    real = parser.sql_only_words.__wrapped__()
    with monkeypatch.context() as m:
        m.setattr(parser, "grammar_text", lambda: "another grammar")
        m.setattr(parser, "_derive_sql_only_words", lambda: frozenset({"x"}))
        assert parser.sql_only_words.__wrapped__() == {"x"}
    assert parser.sql_only_words.__wrapped__() == real


_PROBE = """
import sys
from qadmin.parser import parse
from qadmin.runner import Runner
import qadmin.commands.sql
parse("select pgq.insert_event('q', 't', 'd');")
print("lark" in sys.modules)
"""


def test_a_plain_sql_statement_needs_no_lark_once_the_words_are_cached(cache):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", derived.CACHE_DIR_ENV: str(cache)}

    def run():
        return subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, env=env
        ).stdout.strip()

    assert run() == "True"  # the first derives the words from the parser
    assert run() == "False"


def test_the_parser_cache_is_private(cache, monkeypatch):
    """lark's cache is a pickle: kept in this user's own directory, never in /tmp."""
    out = subprocess.run(
        [sys.executable, "-c", "from qadmin.parser import get_parser; get_parser()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, derived.CACHE_DIR_ENV: str(cache / "private")},
        check=True,
    )
    assert out.stderr == ""
    (file,) = (cache / "private").glob("lark-*.cache")
    assert (cache / "private").stat().st_mode & 0o077 == 0
    assert file.stat().st_size > 0
    # a directory others can write is no place for it
    (cache / "shared").mkdir(mode=0o777)
    (cache / "shared").chmod(0o777)
    monkeypatch.setenv(derived.CACHE_DIR_ENV, str(cache / "shared"))
    assert derived.private_cache_file("x") is None
