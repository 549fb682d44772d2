"""Built-in consumer handlers (print, exec, queue_mover, table_dispatcher) and their lookup.

A handler is a Consumer subclass; ``resolve_handler()`` turns the config's
``handler`` value into the class: a built-in name, or ``python:module.Class`` for a
user's own subclass of engine.consumer.Consumer (the module must be importable: on
PYTHONPATH or in the daemon's working directory).
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar
from urllib.parse import unquote_plus

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from engine.base import DaemonError, UsageError
from engine.consumer import EVENT_FIELDS, Consumer, Event, RemoteConsumer
from engine.db import fetch_value

__all__ = [
    "BUILTIN_HANDLERS",
    "HANDLER_NAMES",
    "ExecConsumer",
    "ExecError",
    "HandlerError",
    "PrintConsumer",
    "QueueMover",
    "TableDispatcher",
    "resolve_handler",
]

log = logging.getLogger(__name__)

_CHUNK = 5000  # events per statement when applying a big batch


class HandlerError(Exception):
    """The handler named in a config does not exist or is not a Consumer."""


class ExecError(DaemonError):
    """The exec handler's command failed; the batch will be run again."""


def _chunks(events: Iterable[Event], size: int = _CHUNK) -> Iterator[list[Event]]:
    it = iter(events)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class PrintConsumer(Consumer):
    """Prints every event as a JSON line on stdout: for debugging."""

    handler_name: ClassVar[str] = "print"
    ini_template: ClassVar[str] = """
handler = print
"""

    def process_batch(
        self, db: psycopg2.extensions.connection, batch_id: int, events: Iterable[Event]
    ) -> None:
        out = sys.stdout
        for ev in events:
            out.write(json.dumps(ev.as_dict(), ensure_ascii=False) + "\n")
        out.flush()


class ExecConsumer(Consumer):
    """Runs a shell command per batch with the events as JSON lines on its stdin."""

    handler_name: ClassVar[str] = "exec"
    ini_template: ClassVar[str] = """
handler = exec

# shell command (sh -c) run once per batch; its stdin has one JSON object per event
# (ev_id, ev_time, ev_txid, ev_retry, ev_type, ev_data, ev_extra1..4), its
# environment PGQ_QUEUE_NAME, PGQ_CONSUMER_NAME, PGQ_BATCH_ID; stdout and stderr go
# to the daemon's log.  The batch is finished only when the command exits with 0,
# otherwise it is run again after exception_sleep.
command = cat >> /tmp/%(job_name)s.jsonl

# kill the command after this many seconds and retry the batch; 0 = no limit
#exec_timeout = 0

# run the command for empty batches too (stdin is then empty)
#exec_empty_batches = 0
"""

    def load_settings(self) -> None:
        super().load_settings()
        assert self.cf is not None
        self.command = self.cf.get("command")
        self.exec_timeout = self.cf.getinterval("exec_timeout", 0.0)
        self.exec_empty = self.cf.getbool("exec_empty_batches", False)

    def process_batch(
        self, db: psycopg2.extensions.connection, batch_id: int, events: Iterable[Event]
    ) -> None:
        it = iter(events)
        first = next(it, None)
        if first is None and not self.exec_empty:
            return
        env = dict(os.environ)
        env.update(
            PGQ_QUEUE_NAME=self.queue_name,
            PGQ_CONSUMER_NAME=self.full_name,
            PGQ_BATCH_ID=str(batch_id),
        )
        sys.stdout.flush()
        sys.stderr.flush()
        proc = subprocess.Popen(["/bin/sh", "-c", self.command], stdin=subprocess.PIPE, env=env)
        assert proc.stdin is not None
        try:
            try:
                for ev in itertools.chain([first] if first is not None else [], it):
                    proc.stdin.write(json.dumps(ev.as_dict(), ensure_ascii=False).encode() + b"\n")
                proc.stdin.close()
            except BrokenPipeError:
                pass  # the command stopped reading; its exit status decides
            rc = proc.wait(timeout=self.exec_timeout or None)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise ExecError(
                f"command timed out after {self.exec_timeout:g} s (batch {batch_id})"
            ) from None
        except BaseException:  # SIGTERM (stop now) or an error: do not leave it running
            proc.kill()
            proc.wait()
            raise
        finally:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        if rc != 0:
            how = f"was killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
            raise ExecError(f"command {how} (batch {batch_id}): {self.command}")


class QueueMover(RemoteConsumer):
    """Copies events to a queue in another database, exactly once."""

    handler_name: ClassVar[str] = "queue_mover"
    ini_template: ClassVar[str] = """
handler = queue_mover

# target database and queue (default: the same queue name)
dst_db = dbname=otherdb
#dst_queue =
"""

    def load_settings(self) -> None:
        super().load_settings()
        assert self.cf is not None
        if not self.cf.get("dst_db", ""):
            raise UsageError("queue_mover needs dst_db (the target database)")
        self.dst_queue = self.cf.get("dst_queue", "") or self.queue_name

    def process_remote_batch(
        self,
        db: psycopg2.extensions.connection,
        batch_id: int,
        events: Iterable[Event],
        dst: psycopg2.extensions.connection,
    ) -> None:
        with dst.cursor() as cur:
            for chunk in _chunks(events):
                cols = list(
                    zip(
                        *[
                            (e.time, e.type, e.data, e.extra1, e.extra2, e.extra3, e.extra4)
                            for e in chunk
                        ],
                        strict=True,
                    )
                )
                # one statement per chunk; events keep their time, get new ids in order
                cur.execute(
                    "select count(pgq.insert_event_raw(%s, null, t, null, null,"
                    " ty, d, e1, e2, e3, e4))"
                    " from unnest(%s::timestamptz[], %s::text[], %s::text[], %s::text[],"
                    " %s::text[], %s::text[], %s::text[]) as u(t, ty, d, e1, e2, e3, e4)",
                    (self.dst_queue, *(list(c) for c in cols)),
                )


def _urldecode(data: str | None) -> dict[str, str | None]:
    """logutriga's ev_data: a=1&b=x+y&c (c is NULL)."""
    row: dict[str, str | None] = {}
    for part in (data or "").split("&"):
        if not part:
            continue
        key, sep, value = part.partition("=")
        row[unquote_plus(key)] = unquote_plus(value) if sep else None
    return row


class TableDispatcher(RemoteConsumer):
    """Inserts each event into a table, columns named as the event's fields, exactly once."""

    handler_name: ClassVar[str] = "table_dispatcher"
    ini_template: ClassVar[str] = """
handler = table_dispatcher

# target table (schema.table); columns named as the event's fields (ev_id, ev_time,
# ev_txid, ev_retry, ev_type, ev_data, ev_extra1..4) are filled, others get defaults
table = public.events

# event: the columns are the event's fields (above);
# json: ev_data is a JSON object whose keys name the columns;
# urlencode: ev_data is urlencoded like logutriga's (a=1&b=2)
#row_format = event
"""

    _FORMATS = ("event", "json", "urlencode")

    def load_settings(self) -> None:
        super().load_settings()
        assert self.cf is not None
        table = self.cf.get("table")
        parts = [p for p in table.split(".") if p]
        if not 1 <= len(parts) <= 2:
            raise UsageError(f"table = {table!r}: expected table or schema.table")
        self.table_ident = sql.Identifier(*parts)
        self.row_format = self.cf.get("row_format", "event").strip().lower()
        if self.row_format not in self._FORMATS:
            raise UsageError(f"row_format must be one of {', '.join(self._FORMATS)}")
        self._columns: set[str] | None = None

    def close_connections(self) -> None:
        super().close_connections()
        self._columns = None  # the table may have changed

    def _table_columns(self, dst: psycopg2.extensions.connection) -> set[str]:
        if self._columns is None:
            with dst.cursor() as cur:
                name = self.table_ident.as_string(dst)
                if fetch_value(cur, "select to_regclass(%s)", (name,)) is None:
                    raise DaemonError(f"table {name} does not exist in the target database")
                cur.execute(
                    "select attname from pg_catalog.pg_attribute"
                    " where attrelid = %s::regclass and attnum > 0 and not attisdropped",
                    (name,),
                )
                self._columns = {r[0] for r in cur.fetchall()}
        return self._columns

    def _rows(self, chunk: list[Event]) -> list[dict[str, Any]]:
        if self.row_format == "event":
            return [ev.as_dict() for ev in chunk]
        if self.row_format == "json":
            rows = []
            for ev in chunk:
                try:
                    row = json.loads(ev.data or "{}")
                except ValueError as e:
                    raise DaemonError(f"event {ev.id}: ev_data is not JSON: {e}") from None
                if not isinstance(row, dict):
                    raise DaemonError(f"event {ev.id}: ev_data is not a JSON object")
                rows.append(row)
            return rows
        return [_urldecode(ev.data) for ev in chunk]

    def process_remote_batch(
        self,
        db: psycopg2.extensions.connection,
        batch_id: int,
        events: Iterable[Event],
        dst: psycopg2.extensions.connection,
    ) -> None:
        table_cols = self._table_columns(dst)
        with dst.cursor() as cur:
            for chunk in _chunks(events):
                rows = self._rows(chunk)
                if self.row_format == "event":
                    names = [c for c in EVENT_FIELDS if c in table_cols]
                else:
                    keys = dict.fromkeys(k for r in rows for k in r)
                    names = [k for k in keys if k in table_cols]
                if not names:
                    log.warning(
                        "table %s has none of the event's fields: nothing inserted",
                        self.table_ident.as_string(dst),
                    )
                    return
                cols = sql.SQL(", ").join(sql.Identifier(n) for n in names)
                cur.execute(
                    sql.SQL(
                        "insert into {t} ({c})"
                        " select {c} from json_populate_recordset(null::{t}, %s)"
                    ).format(t=self.table_ident, c=cols),
                    (json.dumps(rows, default=str),),
                )


BUILTIN_HANDLERS: dict[str, type[Consumer]] = {
    "print": PrintConsumer,
    "exec": ExecConsumer,
    "queue_mover": QueueMover,
    "table_dispatcher": TableDispatcher,
}

#: what completion offers for USING
HANDLER_NAMES: tuple[str, ...] = (*BUILTIN_HANDLERS, "python:")


def resolve_handler(spec: str) -> type[Consumer]:
    """The Consumer class for a handler name or ``python:module.Class``."""
    spec = spec.strip()
    if spec in BUILTIN_HANDLERS:
        return BUILTIN_HANDLERS[spec]
    if not spec.startswith("python:"):
        raise HandlerError(
            f"unknown handler {spec!r}: use one of {', '.join(BUILTIN_HANDLERS)} "
            "or python:module.Class"
        )
    target = spec.removeprefix("python:").strip()
    module_name, sep, class_name = target.replace(":", ".").rpartition(".")
    if not sep or not module_name or not class_name:
        raise HandlerError(f"handler {spec!r}: expected python:module.Class")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise HandlerError(f"handler {spec!r}: cannot import {module_name}: {e}") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Consumer)):
        raise HandlerError(
            f"handler {spec!r}: {class_name} is not a subclass of engine.consumer.Consumer"
        )
    return cls
