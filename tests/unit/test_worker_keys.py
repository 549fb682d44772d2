"""START WORKER ... WITH: the keys come from the cascade worker's own ini template.

Offered by completion (Catalog.worker_keys, filled by engine.catalog) and checked by
the START WORKER handler, which refuses a key the worker does not read.  Pure: no
database.
"""

from __future__ import annotations

import pytest

from engine.cascade.worker import CascadedWorker
from engine.catalog import local_names
from engine.daemon_keys import (
    SUPERVISOR_KEYS,
    WORKER_ARGUMENT_KEYS,
    _template_keys,
    worker_keys,
)
from qadmin import ast
from qadmin.catalog import Catalog
from qadmin.commands.node import _worker_options
from qadmin.commands.registry import CommandError
from qadmin.complete.match import complete

S = ast.Setting


def test_every_documented_worker_key_is_offered():
    keys = worker_keys()
    documented = _template_keys(CascadedWorker.ini_text())
    for key in documented:
        if key in WORKER_ARGUMENT_KEYS or key in SUPERVISOR_KEYS:
            assert key not in keys
        elif key not in ("log_size", "log_count", "syslog", "syslog_ident", "syslog_facility"):
            assert key in keys, key
    for key in ("loop_delay", "pgq_keep_lag", "remote_extra_connstr", "connection_lifetime"):
        assert key in keys
    # the plain consumer's keys do not apply to a worker
    for key in ("handler", "retry_limit", "subconsumer_name", "db", "consumer_name"):
        assert key not in keys


def test_the_catalog_carries_the_worker_keys():
    assert local_names()["worker_keys"] == list(worker_keys())
    catalog = Catalog.build(worker_keys=worker_keys())
    assert [c.text for c in complete("start worker with pgq_k", catalog)] == ["pgq_keep_lag"]
    assert [c.text for c in complete("start worker with remote_", catalog)] == [
        "remote_extra_connstr"
    ]


def test_start_worker_refuses_an_unknown_key():
    with pytest.raises(CommandError) as err:
        _worker_options([S("loop_delya", "1")])
    assert "unknown worker key 'loop_delya'" in str(err.value)
    assert "loop_delay" in (err.value.hint or "")


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("db", "the worker connects as the console does"),
        ("queue_name", "the queue is the one after ON"),
        ("pgq_queue_name", "the queue is the one after ON"),
        ("job_name", "the worker's name is the node's"),
        ("consumer_name", "the worker's name is the node's"),
        ("pidfile", "set by the supervisor"),
    ],
)
def test_start_worker_refuses_keys_the_statement_sets(key, says):
    with pytest.raises(CommandError) as err:
        _worker_options([S(key, "x")])
    assert says in str(err.value)


def test_start_worker_takes_known_keys():
    got = _worker_options([S("loop_delay", "0.2"), S("pgq_keep_lag", None), S("use_notify", "0")])
    assert got == {"loop_delay": "0.2", "use_notify": "0"}
    with pytest.raises(CommandError, match="given twice"):
        _worker_options([S("loop_delay", "1"), S("loop_delay", "2")])
