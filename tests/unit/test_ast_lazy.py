"""qadmin.ast loads its families on first use: the index agrees with the modules, old
names still import, and a statement loads only its own family."""

from __future__ import annotations

import ast as pyast
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import qadmin.ast as qast
from qadmin.ast import base
from qadmin.transform import ToAst

ROOT = Path(__file__).resolve().parents[2]
INIT = ROOT / "qadmin" / "ast" / "__init__.py"

# one statement per family and the class it builds
SAMPLES = {
    "consumer": ("show consumer *;", "ShowConsumer"),
    "daemon": ("show daemons;", "ShowDaemons"),
    "event": ("insert event into q1 ('t', 'd');", "InsertEvent"),
    "londiste": ("londiste status;", "LondisteStatus"),
    "node": ("show nodes;", "ShowNodes"),
    "objects": ("show table t1;", "ShowTable"),
    "plot": ("plot lag c1 on q1;", "PlotLag"),
    "queue": ("show queue *;", "ShowQueue"),
    "session": ("help;", "Help"),
    "sql": ("select 1 -- not the fast path\n;", "Sql"),
    "variable": ("\\set a 1", "SetVariable"),
}


def _family_modules() -> set[str]:
    return {m.name for m in pkgutil.iter_modules(qast.__path__)} - {"base"}


def test_the_index_names_every_family_module_and_exactly_its_public_names():
    assert set(qast.FAMILIES) == _family_modules()
    for family, names in qast.FAMILIES.items():
        module = importlib.import_module(f"qadmin.ast.{family}")
        assert sorted(names) == sorted(module.__all__), family


def test_every_node_class_of_a_family_is_in_its_public_names():
    for cls in qast.node_classes():
        family = cls.__module__.rpartition(".")[2]
        if family != "base":
            assert cls.__name__ in qast.FAMILIES[family], cls


def test_the_type_checking_imports_match_the_index():
    """Type checkers see the lazy names through the TYPE_CHECKING imports."""
    tree = pyast.parse(INIT.read_text())
    blocks = [
        n
        for n in tree.body
        if isinstance(n, pyast.If) and getattr(n.test, "id", None) == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1
    seen: dict[str, tuple[str, ...]] = {}
    for imp in blocks[0].body:
        assert isinstance(imp, pyast.ImportFrom) and imp.module
        seen[imp.module.removeprefix("qadmin.ast.")] = tuple(a.name for a in imp.names)
    assert {f: sorted(n) for f, n in seen.items()} == {
        f: sorted(n) for f, n in qast.FAMILIES.items()
    }


def test_old_names_still_import_and_are_the_family_classes():
    for family, names in qast.FAMILIES.items():
        module = importlib.import_module(f"qadmin.ast.{family}")
        for name in names:
            assert getattr(qast, name) is getattr(module, name)
            exec(f"from qadmin.ast import {name} as imported", {}, ns := {})
            assert ns["imported"] is getattr(module, name)
    assert set(qast.__all__) >= {n for names in qast.FAMILIES.values() for n in names}


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        qast.NoSuchCommand  # noqa: B018
    with pytest.raises(ImportError):
        exec("from qadmin.ast import NoSuchCommand", {})


def test_no_class_rule_is_shadowed_by_a_leaf_method():
    """The transformer's own methods win over a class of the same rule name: only the
    two wired by hand may share one."""
    from lark import ast_utils

    rules = {ast_utils.camel_to_snake(c.__name__) for c in qast.node_classes()}
    assert {r for r in rules if r in vars(ToAst)} == {"watch", "sql"}


def test_base_classes_are_built_by_their_rules():
    from qadmin.parser import parse

    assert parse("register consumer c1 on q1 at 5;") == (
        qast.RegisterConsumer("c1", "q1", base.AtTick(5)),
    )


_PROBE = """
import json, sys
from qadmin.parser import parse
(cmd,) = parse(sys.argv[1])
print(json.dumps([type(cmd).__module__, type(cmd).__name__,
                  sorted(m for m in sys.modules if m.startswith("qadmin.ast."))]))
"""


@pytest.mark.parametrize("family", sorted(SAMPLES))
def test_a_statement_loads_only_its_own_family(family):
    text, name = SAMPLES[family]
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, text],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    ).stdout
    module, cls, loaded = json.loads(out)
    assert (module, cls) == (f"qadmin.ast.{family}", name)
    assert loaded == sorted({"qadmin.ast.base", f"qadmin.ast.{family}"})
