"""The metrics exporter against real clusters: every family, dead databases, query counts.

The in-process tests drive ``Scraper`` + the collector as a scrape does and read
the Prometheus text back with prometheus_client's parser; the daemon tests start
``python -m engine.exporter`` through the supervisor (and the console) and scrape
it over HTTP.  Lag is made known by moving a consumer's last tick back in time.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from engine import supervisor as sv
from engine.exporter.collector import METRIC_NAMES, PgqCollector, encode_text, families
from engine.exporter.scraper import Scraper
from engine.exporter.source import DatabaseSource
from engine.pgcluster import free_port
from tests.db.daemon_util import base_connstr, wait_for

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


class Fixed(Collector):
    """The families of one scrape already taken (to encode it twice)."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def collect(self) -> Any:
        return iter(families(self.result))


def assert_encodings_agree(scraper: Scraper) -> None:
    """Our fast text encoder writes exactly what prometheus_client writes."""
    result = scraper.scrape()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Fixed(result))
    assert encode_text(result) == generate_latest(registry)


def scrape_text(scraper: Scraper) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PgqCollector(scraper))
    return generate_latest(registry).decode()


def value(samples: Samples, metric: str, /, **labels: str) -> float:
    key = (metric, frozenset(labels.items()))
    assert key in samples, f"{metric}{labels} not in {[k for k in samples if k[0] == metric]}"
    return samples[key]


def set_tick_back(db: Any, queue: str, tick_id: int, seconds: float) -> None:
    db.execute(
        "update pgq.tick t set tick_time = current_timestamp - make_interval(secs => %s)"
        " from pgq.queue q where q.queue_id = t.tick_queue and q.queue_name = %s"
        " and t.tick_id = %s",
        (seconds, queue, tick_id),
    )


def last_tick(db: Any, queue: str, consumer: str) -> int:
    return db.scalar("select last_tick from pgq.get_consumer_info(%s, %s)", (queue, consumer))


def tick(cur: Any, queue: str) -> int:
    """A tick now that leaves the event sequence alone (force_tick moves it by 1000+)."""
    cur.execute("select pgq.tick_queue(%s)", (queue,))
    return cur.fetchone()[0]


def source(db: Any, name: str | None = None) -> DatabaseSource:
    return DatabaseSource(name or db.name, db.dsn, connect_timeout=1)


def test_queue_and_consumer_families(db):
    cur = db.conn.cursor()
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.create_queue('q2')")
    db.execute("select pgq.register_consumer('q1', 'lagging')")
    db.execute("select pgq.register_consumer('q1', 'current')")
    # lagging stays on the tick it registered at; 7 events come after it
    old = last_tick(db, "q1", "lagging")
    db.execute("select pgq.insert_event('q1', 't', 'x') from generate_series(1, 7)")
    top = tick(cur, "q1")
    set_tick_back(db, "q1", old, 300)
    # current takes the batch up to the top tick
    batch = db.scalar("select pgq.next_batch('q1', 'current')")
    assert db.scalar("select pgq.finish_batch(%s)", (batch,)) == 1
    db.execute(
        "update pgq.subscription s set sub_active = current_timestamp - interval '40 s'"
        " from pgq.consumer c where c.co_id = s.sub_consumer and c.co_name = 'lagging'"
    )
    # two events of q2 go to the retry queue for an hour
    db.execute("select pgq.register_consumer('q2', 'retrier')")
    db.execute("select pgq.insert_event('q2', 't', 'x') from generate_series(1, 2)")
    tick(cur, "q2")
    batch = db.scalar("select pgq.next_batch('q2', 'retrier')")
    for (ev_id,) in db.execute("select ev_id from pgq.get_batch_events(%s)", (batch,)):
        db.execute("select pgq.event_retry(%s, %s, 3600)", (batch, ev_id))
    db.execute("select pgq.finish_batch(%s)", (batch,))
    # q2's newest tick is 120 s old: its ticker stalls
    q2_top = db.scalar(
        "select max(tick_id) from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue"
        " where q.queue_name = 'q2'"
    )
    set_tick_back(db, "q2", q2_top, 120)

    scraper = Scraper([source(db)], state_dir="/nonexistent")
    s = parse(scrape_text(scraper))
    d = db.name
    assert value(s, "pgq_up", database=d) == 1
    assert value(s, "pgq_queue_events_total", database=d, queue="q1") == 7
    assert value(s, "pgq_queue_events_total", database=d, queue="q2") == 2
    lag = value(s, "pgq_consumer_lag_seconds", database=d, queue="q1", consumer="lagging")
    assert 300 <= lag < 330
    assert value(s, "pgq_consumer_lag_seconds", database=d, queue="q1", consumer="current") < 30
    pending = "pgq_consumer_pending_events"
    assert value(s, pending, database=d, queue="q1", consumer="lagging") == 7
    assert value(s, pending, database=d, queue="q1", consumer="current") == 0
    seen = value(s, "pgq_consumer_last_seen_seconds", database=d, queue="q1", consumer="lagging")
    assert 40 <= seen < 70
    assert value(s, "pgq_retry_queue_events", database=d, queue="q2") == 2
    assert value(s, "pgq_retry_queue_events", database=d, queue="q1") == 0
    assert 120 <= value(s, "pgq_queue_ticker_lag_seconds", database=d, queue="q2") < 150
    assert value(s, "pgq_queue_ticker_lag_seconds", database=d, queue="q1") < 30
    assert top > old
    # probe, queues, consumers, nodes, tables: one statement each
    assert value(s, "qadmin_exporter_scrape_queries", database=d) == 5
    # label values are escaped as the library does
    odd = 'odd "name" \\ with\nnewline'
    db.execute("select pgq.create_queue(%s), pgq.register_consumer(%s, %s)", (odd, odd, odd))
    s = parse(scrape_text(scraper))
    assert value(s, "pgq_consumer_pending_events", database=d, queue=odd, consumer=odd) == 0
    assert_encodings_agree(scraper)
    promtool_lints(encode_text(scraper.scrape()))
    scraper.close()


def promtool_lints(text: bytes) -> None:
    """Prometheus' own linter finds nothing to say of a scrape (when promtool is here)."""
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    if promtool is None:
        return  # the distribution's prometheus package; .ci/run installs it
    proc = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=60
    )
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_query_count_does_not_grow_with_queues(db, empty_db):
    """One read costs the same statements with 1 queue as with 50 (and 50 consumers)."""
    db.execute("select pgq.create_queue('only')")
    db.execute("select pgq.register_consumer('only', 'c')")
    src = source(db)
    scraper = Scraper([src], state_dir="/nonexistent")
    scraper.scrape()
    first = src.queries
    db.execute(
        "select pgq.create_queue('q' || i), pgq.register_consumer('q' || i, 'c')"
        " from generate_series(1, 49) i"
    )
    result = scraper.scrape()
    assert len(result.databases[0].queues) == 50
    assert len(result.databases[0].consumers) == 50
    assert src.queries - first == first
    # a database without pgq costs one statement: the module probe
    bare = source(empty_db)
    assert Scraper([bare], state_dir="/nonexistent").scrape().databases[0].up
    assert bare.queries == 1
    scraper.close()


def test_unreachable_database_is_pgq_up_0_and_the_scrape_answers(db):
    port = free_port()
    nowhere = DatabaseSource("nowhere", f"host=127.0.0.1 port={port} dbname=x", connect_timeout=1)
    missing = DatabaseSource("missing", db.cluster.dsn("no_such_db"), connect_timeout=1)
    scraper = Scraper([source(db), nowhere, missing], state_dir="/nonexistent")
    s = parse(scrape_text(scraper))
    assert value(s, "pgq_up", database=db.name) == 1
    assert value(s, "pgq_up", database="nowhere") == 0
    assert value(s, "pgq_up", database="missing") == 0
    snaps = {x.database: x for x in scraper.last.databases}
    assert "does not exist" in (snaps["missing"].error or "")
    scraper.close()


def test_survives_the_database_restarting(cluster_factory):
    cluster = cluster_factory()
    src = DatabaseSource("pg", cluster.dsn("postgres"), connect_timeout=1)
    scraper = Scraper([src], state_dir="/nonexistent")
    assert scraper.scrape().databases[0].up
    cluster.stop()
    assert not scraper.scrape().databases[0].up
    cluster.start()
    # the first scrape after the restart answers: a broken connection is replaced at once
    assert scraper.scrape().databases[0].up
    cluster.restart()
    assert scraper.scrape().databases[0].up
    scraper.close()


def test_daemon_up_reports_the_supervisors_daemons(db, daemon_state):
    base = base_connstr(db.dsn)
    # one ticker per database: the stopped one goes first
    sv.start_ticker("tk_stop", databases=[db.name], base_connstr=base, state_dir=str(daemon_state))
    sv.stop("tk_stop", state_dir=str(daemon_state))
    sv.start_ticker("tk_run", databases=[db.name], base_connstr=base, state_dir=str(daemon_state))
    scraper = Scraper([source(db)], state_dir=str(daemon_state))
    s = parse(scrape_text(scraper))
    assert value(s, "qadmin_daemon_up", name="tk_run", kind="ticker") == 1
    assert value(s, "qadmin_daemon_up", name="tk_stop", kind="ticker") == 0
    scraper.close()


def test_cascade_node_lag_and_londiste_tables_with_a_dead_node(db, cluster_factory):
    """Root in db, leaf in a second cluster: its lag is read at the root, its type at
    the leaf; when the leaf's cluster stops, the leaf is pgq_up 0 and the root still
    reports how far it is behind."""
    other = cluster_factory()
    leaf_dsn = other.dsn("postgres")
    q = "cq"
    sqlrow = "select ret_code from pgq_node.{}(%s, %s, %s, %s, %s, %s, %s)"
    db.execute(
        "select pgq_node.register_location(%s, 'n1', %s, false),"
        " pgq_node.register_location(%s, 'n2', %s, false)",
        (q, db.dsn, q, leaf_dsn),
    )
    assert db.scalar(sqlrow.format("create_node"), (q, "root", "n1", "w1", None, None, None)) == 200
    wm = db.dicts("select * from pgq_node.register_subscriber(%s, 'n2', 'w2', null)", (q,))[0]
    assert wm["ret_code"] == 200
    leaf = psycopg2.connect(leaf_dsn)
    leaf.autocommit = True
    try:
        with leaf.cursor() as lc:
            lc.execute(
                "select pgq_node.register_location(%s, 'n1', %s, false),"
                " pgq_node.register_location(%s, 'n2', %s, false)",
                (q, db.dsn, q, leaf_dsn),
            )
            lc.execute(
                sqlrow.format("create_node"),
                (q, "leaf", "n2", "w2", "n1", wm["global_watermark"], None),
            )
            assert lc.fetchone()[0] == 200
            lc.execute("create table public.t_copy (id int primary key)")
            # the root's table list, as the leaf's worker would have copied it
            lc.execute("select ret_code from londiste.global_add_table(%s, 'public.t_copy')", (q,))
            assert lc.fetchone()[0] == 200
            lc.execute("select ret_code from londiste.local_add_table(%s, 'public.t_copy')", (q,))
            assert lc.fetchone()[0] == 200
            lc.execute(
                "select ret_code from londiste.local_set_table_state(%s, 'public.t_copy',"
                " null, 'in-copy')",
                (q,),
            )
    finally:
        leaf.close()
    db.execute("create table public.t_ok (id int primary key)")
    added = db.scalar("select ret_code from londiste.local_add_table(%s, 'public.t_ok')", (q,))
    assert added == 200
    # the leaf's worker w2 is left on its registration tick, 200 s ago; the root ticks on
    cur = db.conn.cursor()
    w2_tick = last_tick(db, q, "w2")
    tick(cur, q)
    set_tick_back(db, q, w2_tick, 200)

    scraper = Scraper([source(db, "root"), DatabaseSource("leaf", leaf_dsn)], state_dir="/x")
    s = parse(scrape_text(scraper))
    assert value(s, "pgq_node_lag_seconds", database="root", queue=q, node="n1", type="root") < 30
    leaf_lag = value(s, "pgq_node_lag_seconds", database="root", queue=q, node="n2", type="leaf")
    assert 200 <= leaf_lag < 230
    st = "londiste_table_state"
    assert value(s, st, database="root", queue=q, table="public.t_ok", state="ok") == 1
    assert value(s, st, database="root", queue=q, table="public.t_ok", state="in-copy") == 0
    assert value(s, st, database="leaf", queue=q, table="public.t_copy", state="in-copy") == 1
    assert value(s, st, database="leaf", queue=q, table="public.t_copy", state="ok") == 0

    assert_encodings_agree(scraper)
    other.stop()
    s = parse(scrape_text(scraper))
    assert value(s, "pgq_up", database="leaf") == 0
    assert value(s, "pgq_up", database="root") == 1
    # the dead leaf keeps its type and its lag goes on growing at the root
    later = value(s, "pgq_node_lag_seconds", database="root", queue=q, node="n2", type="leaf")
    assert later >= leaf_lag
    scraper.close()


# -- the daemon ------------------------------------------------------------------------


def http_get(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.headers.get("Content-Type", ""), r.read().decode()


def up_labels(port: int) -> list[dict[str, str]]:
    text = http_get(f"http://127.0.0.1:{port}/metrics")[1]
    return [dict(labels) for name, labels in parse(text) if name == "pgq_up"]


def test_daemon_serves_metrics_page_and_json(db, daemon_state):
    db.execute("select pgq.create_queue('dq')")
    db.execute("select pgq.register_consumer('dq', 'dc')")
    port = free_port()
    info = sv.start_exporter(
        "exp",
        databases=[db.name, "no_such_db"],
        base_connstr=base_connstr(db.dsn),
        port=port,
        options={"sample_period": 0.5},
        state_dir=str(daemon_state),
    )
    assert info.state == "running" and info.kind == "exporter"
    assert f"http://127.0.0.1:{port}/" in info.detail
    ctype, text = http_get(f"http://127.0.0.1:{port}/metrics")
    assert ctype.startswith("text/plain")
    s = parse(text)
    assert value(s, "pgq_up", database=db.name) == 1
    assert value(s, "pgq_up", database="no_such_db") == 0
    assert value(s, "qadmin_daemon_up", name="exp", kind="exporter") == 1
    assert {n for n, _ in s} <= {*METRIC_NAMES}
    # OpenMetrics when asked for it (prometheus_client encodes it from the registry)
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics",
        headers={"Accept": "application/openmetrics-text; version=1.0.0"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        om = r.read().decode()
    assert om.rstrip().endswith("# EOF") and "pgq_queue_events_total{" in om
    ctype, page = http_get(f"http://127.0.0.1:{port}/")
    assert ctype.startswith("text/html")
    assert '<meta name="viewport"' in page and ">dc<" in page and "<svg" in page

    # the background sampler keeps history without anybody scraping
    def points() -> int:
        data = json.loads(http_get(f"http://127.0.0.1:{port}/api/status")[1])
        (mine,) = [x for x in data["databases"] if x["database"] == db.name]
        return len(mine["consumers"][0]["history"])

    wait_for(lambda: points() >= 3, timeout=15, what="sampled history")
    # a reload (SIGHUP) watches the databases the config names now
    ini = daemon_state / "exp.ini"
    ini.write_text(ini.read_text().replace("no_such_db", "other_missing_db"))
    sv.reload("exp", state_dir=str(daemon_state))

    def watched() -> set[str]:
        return {labels["database"] for labels in up_labels(port)}

    wait_for(lambda: watched() == {db.name, "other_missing_db"}, timeout=15, what="reload")
    # a taken port is a clear error at start
    with pytest.raises(sv.SupervisorError, match=r"cannot listen on 127\.0\.0\.1"):
        sv.start_exporter(
            "exp2",
            databases=[db.name],
            base_connstr=base_connstr(db.dsn),
            port=port,
            state_dir=str(daemon_state),
        )
    (stopped,) = sv.stop("exp", state_dir=str(daemon_state))
    assert stopped.state == "stopped"
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_console_start_exporter_show_and_stop(db, tmp_path: Path, monkeypatch):
    from tests.db.test_console_daemons import daemons, make_ctx, run
    from tests.supervised import stop_all_daemons

    state = tmp_path / "state"
    monkeypatch.setenv("QADMIN_STATE_DIR", str(state))
    port = free_port()
    try:
        ctx = make_ctx(db)
        result = run(
            ctx, f"start exporter on port {port} with bind_address='127.0.0.1', page_refresh=30"
        )
        assert result.status == "START EXPORTER"
        row = daemons(ctx)["exporter"]
        assert row["kind"] == "exporter" and row["state"] == "running"
        assert f"127.0.0.1:{port}/ for {db.name}" in row["detail"]
        ini = (state / "exporter.ini").read_text()
        assert "bind_address = 127.0.0.1" in ini and "page_refresh = 30" in ini
        _, text = http_get(f"http://127.0.0.1:{port}/metrics")
        assert value(parse(text), "pgq_up", database=db.name) == 1
        assert run(ctx, "stop exporter").status == "STOP 1"
        assert daemons(ctx)["exporter"]["state"] == "stopped"
        with pytest.raises(Exception, match="not a TCP port"):
            run(ctx, "start exporter x on port 70000")
        with pytest.raises(Exception, match="port cannot be given in WITH"):
            run(ctx, "start exporter x with port=9800")
        with pytest.raises(Exception, match="unknown exporter key 'no_such_key'"):
            run(ctx, "start exporter x with no_such_key=1")
    finally:
        stop_all_daemons(state)
