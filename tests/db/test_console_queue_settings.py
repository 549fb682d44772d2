"""SHOW QUEUE shows every setting that ALTER QUEUE takes, in every output format."""

from __future__ import annotations

import csv
import io
import json

import pytest

from engine.admin.queue import SETTINGS
from engine.db import ConnInfo
from qadmin.commands.registry import Context, Settings, dispatch
from qadmin.output import render
from qadmin.parser import parse_one

# a value for each setting ALTER QUEUE takes, all different from the defaults
ALTERED = {
    "max_count": ("77", 77),
    "max_lag": ("'7 s'", 7.0),
    "idle_period": ("'70 s'", 70.0),
    "paused": ("true", True),
    "rotation_period": ("'3 hours'", 10800.0),
    "external_ticker": ("true", True),
    "per_tx_limit": ("9", 9),
    "disable_insert": ("true", True),
    "extra_maint": ("'{pgq.maint_rotate_tables_step1}'", ["pgq.maint_rotate_tables_step1"]),
    "notify": ("true", True),
}


def test_every_alter_queue_setting_has_a_value_here():
    assert set(ALTERED) == set(SETTINGS)


@pytest.fixture
def shown(db):
    conn = db.connect(autocommit=True)
    ctx = Context(conn=conn, conn_params=ConnInfo.parse(db.dsn), settings=Settings())
    dispatch(ctx, parse_one("create queue plain"))
    dispatch(ctx, parse_one("create queue q1"))
    sets = ", ".join(f"{k}={v}" for k, (v, _) in ALTERED.items())
    dispatch(ctx, parse_one(f"alter queue q1 set {sets}"))
    return dispatch(ctx, parse_one("show queue *"))


def test_show_queue_columns_are_the_alter_queue_settings(shown):
    for key in SETTINGS:
        assert key in shown.columns, key


def test_json_and_csv_show_the_altered_values(shown):
    rows = {r["queue_name"]: r for r in json.loads(render(shown, Settings(), format="json"))}
    for key, (_, value) in ALTERED.items():
        assert rows["q1"][key] == value, key
    assert rows["plain"]["notify"] is False and rows["plain"]["per_tx_limit"] is None
    assert rows["plain"]["disable_insert"] is False and rows["plain"]["paused"] is False
    text = render(shown, Settings(), format="csv")
    by_name = {r["queue_name"]: r for r in csv.DictReader(io.StringIO(text))}
    assert by_name["q1"]["notify"] == "t" and by_name["plain"]["notify"] == "f"
    assert by_name["q1"]["per_tx_limit"] == "9" and by_name["plain"]["per_tx_limit"] == ""
    assert by_name["q1"]["disable_insert"] == "t"


def test_aligned_and_expanded_show_every_setting(shown):
    expanded = render(shown, Settings(), format="expanded")
    records = expanded.split("-[ RECORD ")[1:]
    q1 = next(r for r in records if "| q1" in r)
    fields = {}
    for line in q1.splitlines()[1:]:
        if "|" in line:
            key, _, value = line.partition("|")
            fields[key.strip()] = value.strip()
    assert fields["notify"] == "t" and fields["per_tx_limit"] == "9"
    assert fields["disable_insert"] == "t" and fields["external_ticker"] == "t"
    assert fields["rotation_period"] == "3.0 h"
    assert fields["extra_maint"] == "{pgq.maint_rotate_tables_step1}"
    aligned = render(shown, Settings(), format="aligned")
    header = aligned.splitlines()[1]
    assert [c.strip() for c in header.split("|")] == list(shown.columns)
