"""The sql/ tree: manifests name every file, one function per file, named constants."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.install import MODULES, _expand, _manifest, sql_root

ROOT = sql_root()
CREATE_FUNCTION = re.compile(r"^create (?:or replace )?function\s+([\w.]+)\s*\(", re.I | re.M)
HEADER_FIELDS = ("Function:", "Parameters:", "Returns:", "Tables directly manipulated:")

# the insert generator, once one file of several functions
INSERT_GENERATOR = (
    "pgq._insert_state_bit",
    "pgq._insert_checks",
    "pgq._insert_code_tree",
    "pgq._insert_function_sql",
    "pgq._refresh_insert_code",
    "pgq._queue_changed",
)


def _sql_files(module: str) -> set[Path]:
    return {p.resolve() for p in (ROOT / module).rglob("*.sql")}


@pytest.mark.parametrize("module", list(MODULES))
def test_manifest_includes_every_file_of_its_module(module):
    included = {path for path, _ in _expand(_manifest(module).resolve())}
    included.add(_manifest(module).resolve())
    orphans = sorted(str(p.relative_to(ROOT)) for p in _sql_files(module) - included)
    assert not orphans, f"files the manifest of {module} does not include: {orphans}"


def test_every_function_file_is_named_after_its_function():
    for path in sorted(ROOT.glob("*/functions/*.sql")) + sorted(ROOT.glob("*/triggers/*.sql")):
        names = CREATE_FUNCTION.findall(path.read_text())
        assert names, f"{path.name} defines no function"
        assert names[0].lower().startswith(path.stem), path.name


@pytest.mark.parametrize("function", INSERT_GENERATOR)
def test_insert_generator_has_one_function_per_file_with_the_header(function):
    path = ROOT / "pgq" / "functions" / f"{function}.sql"
    text = path.read_text()
    assert set(CREATE_FUNCTION.findall(text)) == {function}
    for field in HEADER_FIELDS:
        assert f"-- {field}" in text, f"{path.name}: no {field} in the header"


def test_insert_path_tests_bits_by_name():
    """No bit numbers of the insert flags outside pgq._insert_state_bit."""
    for function in INSERT_GENERATOR[1:]:
        text = (ROOT / "pgq" / "functions" / f"{function}.sql").read_text()
        assert not re.search(r"\b(1048576|2097152|4194304)\b", text), function
    trg = (ROOT / "pgq" / "triggers" / "pgq._trg_refresh.sql").read_text()
    assert not re.search(r"tgtype\s*&\s*\d", trg)
