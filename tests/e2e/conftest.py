"""The console fixture of the end-to-end tests: real qadmin processes in a pty."""

from __future__ import annotations

import pytest

from tests.e2e.test_console_e2e import Console


@pytest.fixture
def console(db, tmp_path):
    """start(*args, **env): a console on the test database, at its prompt; all ended after."""
    consoles: list[Console] = []

    def start(*args: str, **env: str) -> Console:
        c = Console(db.dsn, tmp_path, *args, **env)
        consoles.append(c)
        c.expect("=#")
        return c

    yield start
    for c in consoles:
        if c.child.isalive():
            c.child.terminate(force=True)
        if not c._logfile.closed:
            c._logfile.close()
