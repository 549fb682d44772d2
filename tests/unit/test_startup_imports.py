"""What `qadmin -c "SHOW QUEUE *"` imports: its own family and nothing of the interactive
console (each of these cost start-up time before; see bench/bench_startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# what cli._run and the runner do for one -c command, short of connecting
_PROBE = """
import json, sys
import qadmin.cli
from qadmin.commands.registry import _entry
from qadmin.parser import parse
from qadmin.runner import Runner
(cmd,) = parse("SHOW QUEUE *")
_entry(cmd)
print(json.dumps(sorted(sys.modules)))
"""

NOT_AT_START = (
    "prompt_toolkit",
    "pygments",
    "plotext",
    "prometheus_client",
    "qadmin.shell",
    "qadmin.complete",
    "qadmin.catalog",
    "qadmin.refresher",
    "qadmin.help",
    "qadmin.ast.consumer",
    "qadmin.ast.node",
    "qadmin.ast.londiste",
    "qadmin.ast.daemon",
    "qadmin.commands.consumer",
    "qadmin.commands.node",
    "qadmin.commands.londiste",
    "qadmin.commands.daemon",
    "engine.supervisor",
    "difflib",
    "subprocess",
    "csv",
)


def test_one_command_imports_nothing_it_does_not_use():
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    ).stdout
    loaded = set(json.loads(out))
    assert {"qadmin.ast.queue", "qadmin.commands.queue"} <= loaded
    unwanted = {m for m in loaded if m.startswith(NOT_AT_START)}
    assert not unwanted
