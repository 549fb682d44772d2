"""SHOW DAEMONS shows the current database's daemons (ALL: every one); FORGET removes
the records of daemons that do not run, and refuses a running one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import supervisor as sv
from engine.db import ConnInfo
from qadmin.catalog import Catalog
from qadmin.commands.registry import CommandError, Context, Result, Settings, dispatch
from qadmin.complete.match import complete
from qadmin.parser import parse_one
from tests.supervised import daemon_pids, stop_all_daemons


@pytest.fixture
def state_dir(db, db2, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    state = tmp_path / "state"
    monkeypatch.setenv("QADMIN_STATE_DIR", str(state))
    try:
        yield state
    finally:
        stop_all_daemons(state)
    assert daemon_pids(state) == {}


def make_ctx(database) -> Context:
    conn = database.connect(autocommit=True)
    return Context(conn=conn, conn_params=ConnInfo.parse(database.dsn), settings=Settings())


def run(ctx: Context, text: str) -> Result:
    return dispatch(ctx, parse_one(text))


def names(result: Result) -> list[str]:
    return [r[0] for r in result.rows]


def test_show_daemons_of_this_database_and_all(db, db2, state_dir):
    one, two = make_ctx(db), make_ctx(db2)
    for ctx in (one, two):
        run(ctx, "create queue q1")
    run(one, "start consumer c_one on q1 using print")
    run(two, "start consumer c_two on q1 using print")
    run(two, "start ticker t_two")
    # a ticker of both (locked out of the second, ticking the first)
    run(one, f"start ticker t_both for {db.name}, {db2.name}")
    shown = run(one, "show daemons")
    assert names(shown) == ["c_one", "t_both"]
    assert shown.title == "Daemons of this database"
    assert any("2 daemons of other databases" in n and "SHOW DAEMONS ALL" in n for n in shown.notes)
    assert names(run(two, "show daemons")) == ["c_two", "t_both", "t_two"]
    every = run(one, "show daemons all")
    assert names(every) == ["c_one", "c_two", "t_both", "t_two"] and not every.notes


def test_which_database_a_daemon_serves(tmp_path):
    import json

    state = tmp_path / "state"
    state.mkdir()
    metas = {
        "every": {"kind": "ticker", "databases": [], "base_connstr": "host=127.0.0.1 port=6001"},
        "listed": {"kind": "ticker", "databases": ["a", "b"], "base_connstr": "port=6001"},
        "cons": {"kind": "consumer", "db": "host=localhost port=6001 dbname=a"},
        "other": {"kind": "consumer", "db": "host=10.0.0.9 port=6001 dbname=a"},
    }
    for name, meta in metas.items():
        (state / f"{name}.json").write_text(json.dumps(meta))
    s = sv.Supervisor(state)
    here = {"host": "127.0.0.1", "port": "6001", "dbname": "a"}
    assert [n for n in s.names() if s.serves(n, here)] == ["cons", "every", "listed"]
    b = dict(here, dbname="b")
    assert [n for n in s.names() if s.serves(n, b)] == ["every", "listed"]
    elsewhere = dict(here, port="6002")
    assert [n for n in s.names() if s.serves(n, elsewhere)] == []


def test_forget_refuses_a_running_daemon_and_removes_stopped_ones(db, db2, state_dir):
    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    run(ctx, "start consumer a on q1 using print")
    run(ctx, "start consumer b on q1 using print")
    run(ctx, "start consumer c on q1 using print")
    with pytest.raises(CommandError, match="'a' is running") as err:
        run(ctx, "forget a")
    assert "STOP a" in str(err.value)
    run(ctx, "stop a")
    run(ctx, "stop b")
    assert sorted(sv.stopped_names()) == ["a", "b"]
    # completion of FORGET offers the stopped ones only
    catalog = Catalog(daemons=("a", "b", "c"), stopped_daemons=("a", "b"))
    assert sorted(c.text for c in complete("forget ", catalog) if c.text in "abc") == ["a", "b"]
    assert [c.text for c in complete("stop ", catalog) if c.text in "abc"] == ["a", "b", "c"]
    assert run(ctx, "forget a").status == "FORGET 1"
    assert not any(state_dir.glob("a.*"))
    with pytest.raises(CommandError, match="no daemon named 'a'"):
        run(ctx, "forget a")
    forgot = run(ctx, "forget all stopped")
    assert forgot.status == "FORGET 1" and "b" in forgot.notes[0]
    assert sv.names() == ["c"] and "c" in daemon_pids(state_dir)
    assert run(ctx, "forget all stopped").status == "FORGET 0"


def test_forget_completion_comes_from_the_catalog_fetch(db, state_dir):
    from engine.catalog import local_names

    ctx = make_ctx(db)
    run(ctx, "create queue q1")
    run(ctx, "start consumer a on q1 using print")
    run(ctx, "start consumer b on q1 using print")
    run(ctx, "stop b")
    got = local_names()
    assert got["daemons"] == ["a", "b"] and got["stopped_daemons"] == ["b"]
