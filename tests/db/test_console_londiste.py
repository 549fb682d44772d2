"""LONDISTE commands through the console against a real root and branch.

Two databases of a throwaway cluster are the nodes (made with the cascade admin);
the console runs on one of them as scripts drive it (qadmin.runner.Runner).
START LONDISTE runs the worker through the supervisor.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest

from engine.supervisor import log_tail
from qadmin.complete.match import complete
from qadmin.refresher import fetch_catalog
from tests.db.daemon_util import wait_for
from tests.db.test_console_nodes import Console, state_dir  # noqa: F401  (a fixture)
from tests.db.test_londiste_admin import (
    OURS,
    QUEUE,
    Set,
    lset,  # noqa: F401  (a fixture)
)


@pytest.fixture
def consoles(lset: Set) -> Iterator[Callable[[str], Console]]:  # noqa: F811
    made: list[Console] = []

    def make(node: str) -> Console:
        c = Console(lset.dsn(node), QUEUE)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_tables_sequences_and_errors(
    lset: Set,  # noqa: F811
    consoles: Callable[[str], Console],
) -> None:
    root, br = consoles("root"), consoles("branch")
    out = root.run("londiste add table t1, 't2' with no_triggers;")
    assert "ADD TABLE" in out
    root.run("londiste add table t1;")
    rows = root.rows("londiste show tables")
    assert [(r["table"], r["state"]) for r in rows] == [("public.t1", "ok"), ("public.t2", "ok")]
    root.run("londiste add sequence ALL;")
    assert root.rows("londiste show sequences")[0]["seq_name"] == "public.s1"
    # the branch: the provider's tables are missing here until added
    missing = br.rows("londiste show missing")
    assert {"obj_kind": "table", "obj_name": "public.t1"} in missing
    br.run("londiste add table t1 with handler=londiste, handler_args='encoding=utf8';")
    (t,) = br.rows("londiste show tables")
    assert t["state"] == "copy-needed" and t["handler"] == "londiste(encoding=utf8)"
    br.run("londiste change handler t1 to bulk with method=1;")
    assert br.rows("londiste show tables")[0]["handler"] == "bulk(method=1)"
    status = dict((r["item"], r["value"]) for r in br.rows("londiste status"))
    assert status["tables not in sync"] == "public.t1" and "londiste" in status["modules"]
    # errors are one clear message, the session goes on
    out = br.run("londiste add table t9;", ok=False)
    assert "not replicated on provider" in out and "Traceback" not in out
    out = br.run("londiste add table t2 with colour=red;", ok=False)
    assert "unknown add table option colour" in out
    out = br.run("londiste add table t2 with create=maybe;", ok=False)
    assert "is a flag" in out
    out = br.run("londiste wait sync timeout 0.3;", ok=False)
    assert "not in sync within" in out
    out = br.run("londiste execute 'x.sql';", ok=False)
    assert "no root" in out
    assert br.rows("londiste fkeys") == []
    br.run("londiste remove table t1;")
    assert br.rows("londiste show tables") == []
    root.run("londiste remove sequence s1; londiste remove table 't*';")
    assert root.rows("londiste show tables") == []


def test_completion_from_the_catalog(lset: Set) -> None:  # noqa: F811
    lset.admin("root").add_table(["t1"])
    lset.sql("root", "create schema other; create table other.x (id int primary key)")
    cat = fetch_catalog(psycopg2.connect(lset.dsn("root")))
    assert cat.londiste_tables[QUEUE] == ("t1",)

    def texts(text: str) -> list[str]:
        return [c.text for c in complete(text, cat, default_queue=QUEUE)]

    assert texts("londiste remove table ") == ["all", "t1"]
    new = texts("londiste add table ")
    assert "t2" in new and "other.x" in new and "t1" not in new
    assert "nop" in texts("londiste change handler t1 to ")


def test_no_londiste_names_without_londiste(empty_db) -> None:
    cat = fetch_catalog(empty_db.connect())
    assert dict(cat.londiste_tables) == {}


@pytest.mark.skipif(not OURS, reason="the worker runs on our londiste SQL")
def test_start_londiste_copies_and_compares(
    lset: Set,  # noqa: F811
    consoles: Callable[[str], Console],
    state_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    lset.sql("root", "insert into public.t1 select g, 'v' || g from generate_series(1, 300) g")
    stop = threading.Event()

    def tick() -> None:
        conn = psycopg2.connect(lset.dsn("root"))
        conn.autocommit = True
        while not stop.wait(0.2):
            with conn.cursor() as cur:
                cur.execute("select pgq.ticker(%s)", [QUEUE])
        conn.close()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        root, br = consoles("root"), consoles("branch")
        out = root.run("start londiste with loop_delay=0.1;")
        assert "START LONDISTE" in out and "londiste worker" in out
        # the branch's worker writes JSON log lines (checked at the end)
        br.run("start londiste as br_worker with loop_delay=0.1, log_format=json;")
        root.run("londiste add table t1;")
        br.run("londiste add table t1; londiste wait sync timeout 90;")
        assert br.rows("londiste show tables")[0]["state"] == "ok"
        lset.sql("root", "delete from public.t1 where id > 250")
        (c,) = br.rows("londiste compare t1")
        assert c["result"] == "equal" and c["local_rows"] == 250
        lset.sql("branch", "set session_replication_role = replica; delete from public.t1")
        assert br.rows("londiste compare count only")[0]["result"] == "DIFFERENT"
        fixes = br.rows("londiste repair t1")
        assert len(fixes) == 250
        br.run("londiste repair t1 apply;")
        assert br.rows("londiste compare")[0]["result"] == "equal"
        wait_for(lambda: "running" in str(br.rows("londiste status")), timeout=30)
        lines = log_tail("br_worker", 10_000, state_dir=str(state_dir))
        records = [json.loads(ln) for ln in lines if ln.strip()]
        assert records and all(
            {"time", "pid", "level", "job", "message"} <= r.keys() for r in records
        )
        # one job (the node's worker name), and the supervisor's own line in the same form
        assert len({r["job"] for r in records} - {"supervisor"}) == 1
        assert any(r["job"] == "supervisor" for r in records)
        handed = [r for r in records if r.get("table") == "public.t1" and r.get("state") == "ok"]
        assert handed and "in sync" in handed[0]["message"]
    finally:
        stop.set()
        ticker.join()
