"""The console sends SQL only for passthrough statements; everything else goes through engine."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXECUTE = re.compile(r"\.execute(many)?\(")

# qadmin/commands/sql.py: plain SQL typed at the console is passed through as it is.
ALLOWED = {"qadmin/commands/sql.py"}


def test_only_the_sql_passthrough_executes_sql():
    found = {
        f"{path.relative_to(ROOT).as_posix()}:{n}: {line.strip()}"
        for path in sorted((ROOT / "qadmin").rglob("*.py"))
        if path.relative_to(ROOT).as_posix() not in ALLOWED
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if EXECUTE.search(line)
    }
    assert not found, "run SQL through engine functions instead:\n" + "\n".join(sorted(found))


def test_the_allowances_are_still_needed():
    for rel in sorted(ALLOWED):
        path = ROOT / rel
        still = path.is_file() and EXECUTE.search(path.read_text())
        assert still, f"drop {rel} from the allowances"
