"""End to end: cascade commands and variables in the real console (pexpect in a pty)."""

from __future__ import annotations

from tests.db.test_console_nodes import _sql_cascade


def test_node_names_complete_and_variables_work_interactively(db, db2, console):
    _sql_cascade(db, db2, "cq")
    db.execute("select * from pgq_node.register_location('cq', 'zeta', 'dbname=gone', false)")
    c = console("-Q", "cq")
    # node names of the default queue's cascade, from the background catalog
    c.type("show node ze")
    c.tab_until("ta")
    c.run(";")
    c.expect('Node "zeta"')
    c.expect("unreachable")
    # a variable set at the prompt is used by the next statement, as in psql
    c.run("\\set who n2")
    c.run("show node :who;")
    c.expect('Node "n2"')
    # a destructive cascade command asks first
    c.run("drop node n2;")
    c.expect("[y/N]")
    c.run("n")
    c.expect("cancelled")
    assert c.close() == 0
