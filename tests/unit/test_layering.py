"""The architecture's import rules, each checked in a fresh interpreter through sys.modules.

- engine imports no qadmin, lark, prompt_toolkit or pygments (it is a library
  and its daemons run as ``python -m engine.<daemon>``);
- the language half of the console (AST, parser, completion, slots, catalog
  snapshot, help, output) imports no engine and no psycopg2: parsing,
  completing and rendering need no database;
- scripts (-c/-f) never load the interactive UI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _modules(package: str) -> list[str]:
    return sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / package).rglob("*.py")
    )


ENGINE_MODULES = _modules("engine")
ENGINE_FORBIDDEN = ("qadmin", "lark", "prompt_toolkit", "pygments")

# the console's language modules: everything but the handlers, the runner, the
# refresher, the CLI and the shell's session (those talk to engine)
LANGUAGE_MODULES = [
    "qadmin",
    "qadmin.grammar",
    "qadmin.shell",
    *_modules("qadmin/ast"),
    *_modules("qadmin/complete"),
    "qadmin.catalog",
    "qadmin.charts",
    "qadmin.derived",
    "qadmin.help",
    "qadmin.history",
    "qadmin.literals",
    "qadmin.output",
    "qadmin.parser",
    "qadmin.result",
    "qadmin.scan",
    "qadmin.slots",
    "qadmin.transform",
    "qadmin.variables",
    "qadmin.shell.keys",
    "qadmin.shell.lexer",
    "qadmin.shell.style",
    "qadmin.shell.validator",
]
LANGUAGE_FORBIDDEN = ("engine", "psycopg2")

PROBE = """
import importlib, sys
importlib.import_module(sys.argv[1])
{work}
bad = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})
print(' '.join(bad))
"""
# using the language, not only importing it: build the parser, parse every kind of
# statement, complete, render, give help
USE_LANGUAGE = """
from qadmin.catalog import EMPTY
from qadmin.complete.match import complete
from qadmin.help import overview
from qadmin.output import render
from qadmin.parser import parse
from qadmin.result import Result, Settings
parse("create queue q; start ticker; show daemons; connect dbname=x; select 1; help;")
complete("register consumer c on ", EMPTY)
complete("start consumer c on q using ", EMPTY)
render(Result(columns=("a",), rows=((1,),)), Settings())
overview()
"""


def _loaded(module: str, forbidden: tuple[str, ...], work: str = "") -> str:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(forbidden=set(forbidden), work=work), module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_loads_no_ui(module):
    assert _loaded(module, ENGINE_FORBIDDEN) == "", f"{module} loaded UI modules"


@pytest.mark.parametrize("module", LANGUAGE_MODULES)
def test_language_module_loads_no_engine_and_no_driver(module):
    loaded = _loaded(module, LANGUAGE_FORBIDDEN)
    assert loaded == "", f"{module} loaded {loaded}"


def test_parsing_completing_and_rendering_load_no_engine_and_no_driver():
    loaded = _loaded("qadmin.parser", LANGUAGE_FORBIDDEN, USE_LANGUAGE)
    assert loaded == "", f"using the language loaded {loaded}"


def test_the_rules_see_every_module():
    """A module added to qadmin is either in the language list or knowingly not."""
    talks_to_engine = {
        "qadmin.__main__",
        "qadmin.cli",
        "qadmin.errors",
        "qadmin.refresher",
        "qadmin.runner",
        "qadmin.shell.repl",
        "qadmin.shell.session",
        "qadmin.shell.toolbar",
        *_modules("qadmin/commands"),
    }
    assert set(_modules("qadmin")) == set(LANGUAGE_MODULES) | talks_to_engine


def test_qadmin_scripts_do_not_load_prompt_toolkit():
    """-c/-f never pay for the interactive UI (startup time)."""
    work = "from qadmin.commands.registry import load_handlers; load_handlers()"
    loaded = _loaded("qadmin.runner", ("prompt_toolkit", "pygments"), work)
    assert loaded == ""
