"""START EXPORTER without a database: grammar, completion, help, registry."""

from __future__ import annotations

import pytest

from engine.daemon_keys import exporter_keys
from qadmin import ast
from qadmin.catalog import Catalog
from qadmin.commands.registry import REGISTRY, load_handlers
from qadmin.complete.match import complete
from qadmin.help import command_help, overview
from qadmin.parser import QadminSyntaxError, parse_one

CASES = [
    ("start exporter;", ast.StartExporter(None)),
    ("START EXPORTER Ex1;", ast.StartExporter("ex1")),
    ("start exporter on port 9800;", ast.StartExporter(None, 9800)),
    ("start exporter for db1;", ast.StartExporter(None, None, ("db1",))),
    (
        "start exporter e2 on port 1 for Db1, \"Db Two\", 'db-3';",
        ast.StartExporter("e2", 1, ("Db1", "Db Two", "db-3")),
    ),
    (
        "start exporter with bind_address='0.0.0.0', sample_period=1;",
        ast.StartExporter(
            None,
            None,
            (),
            (ast.Setting("bind_address", "0.0.0.0"), ast.Setting("sample_period", "1")),
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse(text, expected):
    assert parse_one(text) == expected


@pytest.mark.parametrize(
    "text",
    ["start exporter on 9800;", "start exporter on port x;", "start exporter for db1 on port 1;"],
)
def test_syntax_errors(text):
    with pytest.raises(QadminSyntaxError):
        parse_one(text)


CATALOG = Catalog.build(
    databases=["main", "other db"], daemons=["exporter"], exporter_keys=list(exporter_keys())
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("start exporter ", ["for", "on", "with"]),
        ("start exporter on ", ["port"]),
        ("start exporter on port 9800 ", ["for", "with"]),
        ("start exporter with bind", ["bind_address"]),
        ("start exporter for ", ["main", "'other db'"]),
        ("stop ex", ["exporter"]),
    ],
)
def test_complete(text, expected):
    assert [c.text for c in complete(text, CATALOG)] == expected


def test_registered_and_documented():
    load_handlers()
    assert ast.StartExporter in REGISTRY
    assert (
        "start exporter [<name>] [on port <n>] [for <database>, ...] [with <key>=<value>, ...];"
        in overview()
    )
    text = command_help(("start", "exporter"))
    assert text is not None and "/metrics" in text and "QADMIN_STATE_DIR" in text


def test_exporter_keys_come_from_its_template():
    keys = exporter_keys()
    assert {"bind_address", "sample_period", "history_window", "base_connstr"} <= set(keys)
    # ON PORT and FOR give these; the supervisor sets the state directory
    assert not {"port", "database_list", "state_dir", "pidfile"} & set(keys)
