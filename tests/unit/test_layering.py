"""engine never imports the UI: each engine module is imported alone in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in (ROOT / "engine").rglob("*.py")
)
FORBIDDEN = ("qadmin", "lark", "prompt_toolkit", "pygments")

PROBE = """
import importlib, sys
importlib.import_module(sys.argv[1])
bad = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})
print(' '.join(bad))
"""


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_loads_no_ui(module):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(forbidden=set(FORBIDDEN)), module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"{module} loaded {proc.stdout.strip()}"


def test_qadmin_scripts_do_not_load_prompt_toolkit():
    """-c/-f never pay for the interactive UI (startup time)."""
    probe = (
        "import sys; from qadmin.runner import Runner; from qadmin.commands.registry import"
        " load_handlers; load_handlers();"
        " print(' '.join(m for m in sys.modules if m.startswith(('prompt_toolkit', 'pygments'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
