"""End to end: start a daemon in the real console (pty) and Tab-complete its name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.base import pid_alive
from tests.e2e.test_console_e2e import Console
from tests.supervised import daemon_pids, stop_all_daemons


@pytest.fixture
def daemon_console(db, tmp_path) -> Iterator[Console]:
    state = tmp_path / "state"
    c = Console(db.dsn, tmp_path, QADMIN_STATE_DIR=str(state))
    try:
        c.expect("=#")
        yield c
    finally:
        if c.child.isalive():
            c.child.terminate(force=True)
        if not c._logfile.closed:
            c._logfile.close()
        stop_all_daemons(state)
    assert daemon_pids(state) == {}


def test_tab_completes_a_daemon_started_in_the_console(db, daemon_console, tmp_path):
    c = daemon_console
    db.execute("select pgq.create_queue('e2e_q')")
    c.type("start consumer e2e_worker on e2e_q using pr")
    c.tab_until("int")
    c.run(";")
    c.expect("START CONSUMER")
    (pid,) = daemon_pids(tmp_path / "state").values()
    c.type("show log e2e_w")
    c.tab_until("orker")
    c.run(" lines 5;")
    c.expect("supervisor: starting e2e_worker")
    c.type("stop e2e_")
    c.tab_until("worker")
    c.run(";")
    c.expect("STOP 1")
    assert not pid_alive(pid)
    assert c.close() == 0
