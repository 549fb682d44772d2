"""The catalog snapshot from a real database, and the background refresher."""

from __future__ import annotations

import threading

from engine.db import ConnInfo
from qadmin.complete.match import complete
from qadmin.refresher import CatalogRefresher, fetch_catalog


def test_fetch_catalog(db):
    db.execute("select pgq.create_queue('q1')")
    db.execute("select pgq.create_queue('Q Two')")
    db.execute("select pgq.register_consumer('q1', 'c1')")
    db.execute("select pgq_coop.register_subconsumer('q1', 'c1', 's1')")
    db.execute("select pgq.register_consumer('Q Two', 'c2')")
    db.execute("select pgq.ticker('q1')")
    db.execute("select pgq.tick_queue('q1')")
    batch = db.scalar("select pgq.next_batch('q1', 'c1')")
    db.execute("create table public.t1 (id int); create schema s; create sequence s.seq1")
    cat = fetch_catalog(db.connect())
    assert cat.queues == ("Q Two", "q1")
    assert cat.consumers["q1"] == ("c1",)
    assert cat.subconsumers[("q1", "c1")] == ("s1",)
    assert cat.batches["q1"] == (batch,)
    assert cat.ticks["q1"][0] == 2
    assert cat.all_consumers == ("c1", "c2")
    assert "t1" in cat.tables and "s.seq1" in cat.sequences
    assert db.name in cat.databases and "postgres" in cat.users
    assert [c.text for c in complete("show queue ", cat)][-2:] == ['"Q Two"', "q1"]


def test_fetch_catalog_without_pgq(empty_db):
    cat = fetch_catalog(empty_db.connect())
    assert cat.queues == () and empty_db.name in cat.databases


def test_refresher_swaps_in_new_snapshots(db):
    got = []
    done = threading.Event()

    def on_catalog(cat):
        got.append(cat)
        done.set()

    refresher = CatalogRefresher(on_catalog)
    try:
        refresher.refresh(ConnInfo.parse(db.dsn))
        assert done.wait(10)
        assert got[-1].queues == ()
        done.clear()
        db.execute("select pgq.create_queue('fresh')")
        refresher.refresh()
        assert done.wait(10)
        assert got[-1].queues == ("fresh",)
        done.clear()
        refresher.refresh(ConnInfo.parse(db.dsn, dbname="no_such_db"))
        assert not done.wait(2)
        assert refresher.last_error and "no_such_db" in refresher.last_error
    finally:
        refresher.close()


def test_every_fetched_name_fills_a_catalog_field_and_every_slot_reads_one(db):
    from engine.catalog import fetch_names
    from qadmin.catalog import Catalog
    from qadmin.slots import SLOTS

    db.execute("select pgq.create_queue('orders')")
    names = fetch_names(db.connect())
    assert set(names) <= Catalog.field_names()
    cat = Catalog.build(**names)
    assert "orders" in cat.queues
    for slot in SLOTS:
        assert all(isinstance(n, str) for n in slot.names(cat, None, None)), slot.kind
