"""Which ini keys each kind of supervised daemon takes, read from the daemons' own templates.

The console offers and checks these keys for START ... WITH; reading them from
each class's ini template means a key a daemon learns is offered at once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType

from engine.base import Daemon

__all__ = [
    "CONSUMER_ARGUMENT_KEYS",
    "EXPORTER_ARGUMENT_KEYS",
    "SUPERVISOR_KEYS",
    "TICKER_ARGUMENT_KEYS",
    "WORKER_ARGUMENT_KEYS",
    "consumer_keys",
    "exporter_keys",
    "ticker_keys",
    "worker_keys",
]

# keys the supervisor writes itself (the daemon's files are its own)
SUPERVISOR_KEYS = ("job_name", "pidfile", "logfile", "statusfile")
# keys that the start functions' arguments set: key -> argument of
# supervisor.start_ticker / start_consumer
TICKER_ARGUMENT_KEYS: Mapping[str, str] = MappingProxyType({"database_list": "databases"})
EXPORTER_ARGUMENT_KEYS: Mapping[str, str] = MappingProxyType(
    {"database_list": "databases", "port": "port", "state_dir": "state_dir"}
)
CONSUMER_ARGUMENT_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "queue_name": "queue",
        "pgq_queue_name": "queue",
        "consumer_name": "consumer",
        "pgq_consumer_id": "consumer",
        "handler": "handler",
    }
)
# keys a supervised cascade worker gets from supervisor.start_worker's arguments
# (key -> argument): its node's database, the queue, and the node's worker name,
# which is its job name and the consumer name it reads its provider with
WORKER_ARGUMENT_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "db": "db",
        "queue_name": "queue",
        "pgq_queue_name": "queue",
        "job_name": "worker",
        "consumer_name": "worker",
        "pgq_consumer_id": "worker",
    }
)
# keys a supervised daemon has no use for: it logs to the supervisor's file, not
# rotated, and pgqd's syslog keys are ignored anyway
_NOT_SETTABLE = frozenset(
    {*SUPERVISOR_KEYS, "log_size", "log_count", "syslog", "syslog_ident", "syslog_facility"}
)
_TEMPLATE_KEY = re.compile(r"^#?([A-Za-z_]\w*)\s*=", re.MULTILINE)


def _template_keys(*texts: str) -> list[str]:
    keys: list[str] = []
    for text in texts:
        for key in _TEMPLATE_KEY.findall(text):
            if key not in keys:
                keys.append(key)
    return keys


def _settable(*classes: type[Daemon]) -> tuple[str, ...]:
    """Keys of the classes' own templates first, then those every daemon reads."""
    common = _template_keys(Daemon.ini_text())
    own = [k for k in _template_keys(*(c.ini_text() for c in classes)) if k not in common]
    return tuple(k for k in own + common if k not in _NOT_SETTABLE)


@functools.cache
def ticker_keys() -> tuple[str, ...]:
    """The ini keys a supervised ticker takes as options (pgqd's, minus those set for it)."""
    from engine.ticker import Ticker

    return tuple(k for k in _settable(Ticker) if k not in TICKER_ARGUMENT_KEYS)


@functools.cache
def consumer_keys(handler: str | None = None) -> tuple[str, ...]:
    """The ini keys a supervised consumer with a built-in handler takes (None: any handler)."""
    from engine.consumer import Consumer
    from engine.handlers import BUILTIN_HANDLERS

    if handler in BUILTIN_HANDLERS:
        classes: list[type[Daemon]] = [BUILTIN_HANDLERS[handler]]
    else:
        classes = [Consumer, *BUILTIN_HANDLERS.values()]
    return tuple(k for k in _settable(*classes) if k not in CONSUMER_ARGUMENT_KEYS)


@functools.cache
def worker_keys() -> tuple[str, ...]:
    """The ini keys a supervised cascade worker takes as options (START WORKER ... WITH)."""
    from engine.cascade.worker import CascadedWorker

    return tuple(k for k in _settable(CascadedWorker) if k not in WORKER_ARGUMENT_KEYS)


@functools.cache
def exporter_keys() -> tuple[str, ...]:
    """The ini keys a supervised exporter takes as options (START EXPORTER ... WITH)."""
    from engine.exporter.daemon import Exporter

    return tuple(k for k in _settable(Exporter) if k not in EXPORTER_ARGUMENT_KEYS)
