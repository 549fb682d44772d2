"""Ticker daemon (pgqd's job): ticks, maintenance and retry for the databases of a server.

Usage, with the same ``[pgqd]`` ini keys as pgqd so an existing pgqd config works::

    python -m engine.ticker [-q] [-v] [-d] CONFIG.ini
    python -m engine.ticker -s|-k|-r CONFIG.ini
    python -m engine.ticker --ini

One process serves many databases: those of ``database_list``, or every database of
the server (listed through ``initial_database``) that has pgq, re-detected every
``check_period``.  Per database two threads, each with its own connection, as pgqd
has its async connections:

- *tick*: ``pgq.ticker()`` every ``ticker_period`` (queues tick by their own
  settings); it also LISTENs for ``pgq_insert``, sent by producers on queues with
  the ``notify`` setting, and ticks those queues at once (``pgq.ticker_now``), so
  consumers see events milliseconds after the commit instead of at the next round.
  It holds an advisory lock: a second ticker on the same database stands by.
- *maint*: ``pgq.maint_operations()`` every ``maint_period`` (each step in its own
  transaction, VACUUM outside any, each function called again while it returns
  non-zero) and ``pgq.maint_retry_events()`` until it returns 0 every
  ``retry_period``.

A lost connection is retried with a doubling delay (up to 20 s) and logged.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import select
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from engine.base import Daemon, UsageError, one_line
from engine.db import describe_error, fetch_value

__all__ = ["TICKER_LOCK", "DatabaseWorker", "Ticker", "main"]

log = logging.getLogger(__name__)

#: pg_try_advisory_lock(int4, int4) key that one ticker per database holds ('pgqd', 1)
TICKER_LOCK = (0x70677164, 1)
_MAX_BACKOFF = 20.0
# seconds after start during which the main loop looks at the workers' state often
_START_POLL = 30.0
_LIST_DATABASES = (
    "select datname from pg_catalog.pg_database where not datistemplate and datallowconn order by 1"
)
_HAS_PGQ = "select 1 from pg_catalog.pg_namespace where nspname = 'pgq'"
_LOCK_HOLDER = """
select a.pid, a.application_name, a.client_addr::text
  from pg_catalog.pg_locks l join pg_catalog.pg_stat_activity a on a.pid = l.pid
 where l.locktype = 'advisory' and l.classid = %s and l.objid = %s
   and l.objsubid = 2 and l.granted and l.database = (
       select oid from pg_catalog.pg_database where datname = current_database())
"""
_VACUUM_OPS = {"vacuum": "vacuum", "vacuum analyze": "vacuum analyze"}


def _pipe() -> tuple[int, int]:
    r, w = os.pipe()
    for fd in (r, w):
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
    return r, w


def _qualified(name: str) -> sql.Composable:
    return sql.Identifier(*name.split("."))


class DatabaseWorker:
    """Tick and maintenance threads for one database."""

    def __init__(self, ticker: Ticker, dbname: str) -> None:
        self.ticker = ticker
        self.dbname = dbname
        self.state = "starting"
        self.stopping = False
        self.locked = threading.Event()
        self._maint_wake = threading.Event()
        self._wake_r, self._wake_w = _pipe()
        self._counts: dict[str, int] = {}
        self._count_lock = threading.Lock()
        self._tick = threading.Thread(target=self._tick_main, name=f"tick:{dbname}", daemon=True)
        self._maint = threading.Thread(target=self._maint_main, name=f"maint:{dbname}", daemon=True)

    # -- control (main thread) ---------------------------------------------------------
    def start(self) -> None:
        self._tick.start()
        self._maint.start()

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"\0")
        self._maint_wake.set()

    def stop(self) -> None:
        self.stopping = True
        self.wake()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for t in (self._tick, self._maint):
            if t.is_alive():
                t.join(max(0.0, deadline - time.monotonic()))
        if not self._tick.is_alive():
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def take_counts(self) -> dict[str, int]:
        with self._count_lock:
            counts, self._counts = self._counts, {}
        return counts

    def _count(self, key: str, n: int = 1) -> None:
        if n:
            with self._count_lock:
                self._counts[key] = self._counts.get(key, 0) + n

    # -- helpers -----------------------------------------------------------------------
    def _connect(self, role: str) -> psycopg2.extensions.connection:
        t = self.ticker
        params: dict[str, Any] = {
            "application_name": f"qadmin ticker {role} pid {os.getpid()}"[:63],
        }
        base = t.base_connstr
        parsed = psycopg2.extensions.parse_dsn(base) if base else {}
        if "connect_timeout" not in parsed:
            params["connect_timeout"] = 10
        conn = psycopg2.connect(base, dbname=self.dbname, **params)
        conn.autocommit = True
        return conn

    def _wait(self, seconds: float) -> None:
        """Sleep in the tick thread; stop() and reload end it early."""
        if seconds > 0 and not self.stopping:
            with contextlib.suppress(OSError, ValueError):
                select.select([self._wake_r], [], [], seconds)
            self._drain()

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self._wake_r, 512):
                pass

    # -- tick thread -------------------------------------------------------------------
    def _tick_main(self) -> None:
        failures = 0
        down_since = 0.0
        while not self.stopping:
            conn = None
            try:
                conn = self._connect("tick")
                cur = conn.cursor()
                cur.execute(_HAS_PGQ)
                if cur.fetchone() is None:
                    self._set_state("no pgq")
                    conn.close()
                    failures = 0
                    self._wait(self.ticker.check_period)
                    continue
                version = fetch_value(cur, "select pgq.version()") or ""
                if not version[:1].isdigit() or int(version.split(".")[0]) < 3:
                    self._set_state("old pgq", f"pgq version {version} is too old (need 3.x)")
                    conn.close()
                    self._wait(self.ticker.check_period)
                    continue
                if not fetch_value(
                    cur, "select pg_catalog.pg_try_advisory_lock(%s, %s)", TICKER_LOCK
                ):
                    cur.execute(_LOCK_HOLDER, TICKER_LOCK)
                    row = cur.fetchone()
                    who = (
                        f"backend pid {row[0]}, application_name {row[1]!r}"
                        + (f", from {row[2]}" if row[2] else "")
                        if row
                        else "holder unknown"
                    )
                    self._set_state(
                        "locked",
                        f"database {self.dbname}: another ticker is already running on it "
                        f"({who}); not ticking it, checking again in "
                        f"{self.ticker.check_period:g} s",
                    )
                    conn.close()
                    self._wait(self.ticker.check_period)
                    continue
                if failures:
                    log.info(
                        "database %s: reconnected after %.1f s",
                        self.dbname,
                        time.monotonic() - down_since,
                    )
                failures = 0
                if self.ticker.use_notify:
                    cur.execute("listen pgq_insert")
                self._set_state("ticking")
                self.locked.set()
                self._maint_wake.set()
                self._tick_loop(conn, cur)
            except psycopg2.Error as e:
                if self.stopping:
                    break
                if not failures:
                    down_since = time.monotonic()
                failures += 1
                delay = min(_MAX_BACKOFF, 0.5 * 2 ** min(failures - 1, 10))
                self._set_state("down", None)
                log.warning(
                    "database %s: %s; reconnecting in %.1f s",
                    self.dbname,
                    one_line(describe_error(e)),
                    delay,
                )
                self.ticker.note_error(f"database {self.dbname}: {describe_error(e)}")
                self.locked.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
                conn = None
                self._wait(delay)
            except Exception as e:  # a bug: log it, keep the ticker alive
                log.exception("database %s: tick thread failed: %s", self.dbname, e)
                self.ticker.note_error(f"database {self.dbname}: {e}")
                self._wait(_MAX_BACKOFF)
            finally:
                self.locked.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
        self._set_state("stopped", None)

    def _set_state(self, state: str, message: str | None = None) -> None:
        if state != self.state and message:
            level = logging.WARNING if state in ("locked", "old pgq") else logging.INFO
            log.log(level, "%s", message)
        elif state != self.state and state == "ticking":
            log.info("database %s: ticking", self.dbname)
        elif state != self.state and state == "no pgq":
            log.debug("database %s: no pgq installed", self.dbname)
        self.state = state

    def _tick_loop(self, conn: psycopg2.extensions.connection, cur: Any) -> None:
        t = self.ticker
        sock = conn.fileno()
        connected = time.monotonic()
        last_round = float("-inf")
        while not self.stopping:
            now = time.monotonic()
            if now - connected > t.connection_lifetime:
                log.debug("database %s: connection_lifetime reached, reconnecting", self.dbname)
                return
            # the period is read each time: a reload applies at once
            if now >= last_round + t.ticker_period:
                self._count("ticks", fetch_value(cur, "select pgq.ticker()") or 0)
                last_round = now
            if not conn.notifies:
                timeout = max(0.0, last_round + t.ticker_period - time.monotonic())
                ready, _, _ = select.select([sock, self._wake_r], [], [], timeout)
                if self._wake_r in ready:
                    self._drain()
                if sock in ready:
                    conn.poll()
            if conn.notifies:
                queues = sorted({n.payload for n in conn.notifies if n.channel == "pgq_insert"})
                del conn.notifies[:]
                if queues:
                    self._count(
                        "notify_ticks",
                        fetch_value(cur, "select pgq.ticker_now(%s)", (queues,)) or 0,
                    )

    # -- maintenance thread --------------------------------------------------------------
    def _maint_main(self) -> None:
        conn = None
        connected = 0.0
        last_maint = last_retry = float("-inf")
        failures = 0
        while not self.stopping:
            if not self.locked.is_set():
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
                    conn = None
                self._maint_wake.wait(1.0)
                self._maint_wake.clear()
                continue
            t = self.ticker
            try:
                now = time.monotonic()
                if conn is not None and now - connected > t.connection_lifetime:
                    conn.close()
                    conn = None
                if conn is None:
                    conn = self._connect("maint")
                    connected = now
                if now >= last_retry + t.retry_period:
                    last_retry = now
                    self._run_retry(conn)
                if now >= last_maint + t.maint_period and not self.stopping:
                    last_maint = now
                    self._run_maint(conn)
                failures = 0
            except psycopg2.Error as e:
                failures += 1
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
                    conn = None
                if not self.stopping:
                    log.warning(
                        "database %s: maintenance: %s", self.dbname, one_line(describe_error(e))
                    )
                    self.ticker.note_error(f"database {self.dbname}: {describe_error(e)}")
                # try again after a pause that doubles while the failures go on
                pause = min(_MAX_BACKOFF, 0.5 * 2 ** min(failures, 10))
                self._maint_wake.wait(pause)
                self._maint_wake.clear()
                continue
            except Exception as e:
                log.exception("database %s: maintenance thread failed: %s", self.dbname, e)
                self._maint_wake.wait(_MAX_BACKOFF)
                self._maint_wake.clear()
                continue
            # periods are read each time: a reload (which sets the event) applies at once
            wait = min(last_maint + t.maint_period, last_retry + t.retry_period)
            wait -= time.monotonic()
            if wait > 0 and not self.stopping:
                self._maint_wake.wait(wait)
                self._maint_wake.clear()
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _run_retry(self, conn: psycopg2.extensions.connection) -> None:
        with conn.cursor() as cur:
            while not self.stopping:
                n = fetch_value(cur, "select pgq.maint_retry_events()") or 0
                self._count("retry", n)
                if not n:
                    break

    def _run_maint(self, conn: psycopg2.extensions.connection) -> None:
        with conn.cursor() as cur:
            cur.execute("select func_name, func_arg from pgq.maint_operations()")
            ops = cur.fetchall()
            for func, arg in ops:
                if self.stopping:
                    return
                verb = _VACUUM_OPS.get(func.strip().lower())
                if verb is not None:
                    cur.execute(sql.SQL(verb + " {}").format(_qualified(arg)))
                    self._count("maint")
                    continue
                args = [arg] if arg is not None else []
                call = sql.SQL("select {}({})").format(
                    _qualified(func), sql.SQL(", ").join(sql.Placeholder() * len(args))
                )
                while not self.stopping:
                    cur.execute(call, args)
                    self._count("maint")
                    row = cur.fetchone()
                    if not row or not row[0]:
                        break


class Ticker(Daemon):
    """Ticker and maintenance daemon for PgQ databases (replaces pgqd)."""

    service_name: ClassVar[str] = "pgqd"
    kind: ClassVar[str] = "ticker"
    #: up once every database has an answer (ticking, no pgq, locked by another ...)
    #: and this is not a second ticker of them all (work() says so)
    ready_after_round: ClassVar[bool] = False
    ini_template: ClassVar[str] = """
# libpq connect string without dbname; dbname=<database> is appended
#base_connstr = host=127.0.0.1 user=postgres

# database used to list the other databases (when database_list is empty)
#initial_database = template1

# databases to serve, comma or space separated; empty = every database that has pgq
#database_list =

# seconds between pgq.ticker() rounds (each queue ticks by its own settings)
#ticker_period = 1

# seconds between re-scans of the database list, and re-checks of databases without pgq
#check_period = 60

# seconds between maintenance rounds (rotation, vacuum, extra maint)
#maint_period = 120

# seconds between flushes of the retry queue
#retry_period = 30

# reconnect after this many seconds
#connection_lifetime = 3600

# LISTEN for pgq_insert and tick queues with the 'notify' setting at once
#use_notify = 1

# accepted for pgqd compatibility, ignored: log to a file or stderr instead
#syslog = 0
#syslog_ident = pgqd
#syslog_facility = daemon
"""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        super().__init__(argv)
        self.workers: dict[str, DatabaseWorker] = {}
        self._next_check = 0.0
        self._first_check_done = False
        self._refusal_checked = False
        self._born = time.monotonic()
        self._errors_lock = threading.Lock()
        self._pending_error: str | None = None

    def load_settings(self) -> None:
        super().load_settings()
        cf = self.cf
        assert cf is not None
        self._prev_base_connstr = getattr(self, "base_connstr", None)
        self.base_connstr = cf.get("base_connstr", "")
        self.initial_database = cf.get("initial_database", "template1")
        self.database_list = cf.getlist("database_list", [])
        self.ticker_period = cf.getinterval("ticker_period", 1.0)
        self.check_period = cf.getinterval("check_period", 60.0)
        self.maint_period = cf.getinterval("maint_period", 120.0)
        self.retry_period = cf.getinterval("retry_period", 30.0)
        self.connection_lifetime = cf.getinterval("connection_lifetime", 3600.0)
        self.use_notify = cf.getbool("use_notify", True)
        if self.ticker_period <= 0:
            raise UsageError("ticker_period must be positive")

    def note_error(self, message: str) -> None:
        """From worker threads: remember an error for the status file."""
        with self._errors_lock:
            self._pending_error = message

    def reload(self) -> None:
        self._next_check = 0.0
        if self._prev_base_connstr not in (None, self.base_connstr):
            # other server or credentials: every worker reconnects at the next check
            log.info("base_connstr changed: reconnecting to every database")
            for w in self.workers.values():
                w.stop()
            for w in self.workers.values():
                w.join(30)
            self.workers.clear()
            return
        for w in self.workers.values():
            w.wake()

    def _list_databases(self) -> list[str] | None:
        if self.database_list:
            return list(dict.fromkeys(self.database_list))
        params: dict[str, Any] = {"application_name": f"qadmin ticker pid {os.getpid()}"}
        if "connect_timeout" not in (
            psycopg2.extensions.parse_dsn(self.base_connstr) if self.base_connstr else {}
        ):
            params["connect_timeout"] = 10
        try:
            conn = psycopg2.connect(self.base_connstr, dbname=self.initial_database, **params)
        except psycopg2.Error as e:
            log.warning(
                "cannot list databases through %s: %s", self.initial_database, describe_error(e)
            )
            self.note_error(f"database {self.initial_database}: {describe_error(e)}")
            return None
        try:
            with conn.cursor() as cur:
                cur.execute(_LIST_DATABASES)
                return [r[0] for r in cur.fetchall()]
        except psycopg2.Error as e:
            log.warning("cannot list databases: %s", describe_error(e))
            return None
        finally:
            conn.close()

    def _check_databases(self) -> None:
        names = self._list_databases()
        if names is None:
            return
        for name in names:
            if name not in self.workers:
                log.debug("database %s: starting worker", name)
                w = DatabaseWorker(self, name)
                self.workers[name] = w
                w.start()
        for name in [n for n in self.workers if n not in names]:
            log.info("database %s is gone from the list, letting it go", name)
            w = self.workers.pop(name)
            w.stop()
            w.join(5.0)
        self._first_check_done = True

    def work(self) -> bool:
        now = time.monotonic()
        if now >= self._next_check:
            self._check_databases()
            self._next_check = now + self.check_period
        if self._first_check_done and not self._refusal_checked:
            seen = [w.state for w in self.workers.values()]
            if "starting" not in seen:
                self._refusal_checked = True
                if seen and all(s == "locked" for s in seen):
                    raise UsageError(
                        "another ticker is already running on "
                        + ("this database" if len(seen) == 1 else "every database served")
                        + f" ({', '.join(sorted(self.workers))}); refusing to run a second one"
                    )
        for key in ("ticks", "maint", "retry"):  # pgqd's stats line, zeros included
            self.stat_increase(key, 0)
        for w in self.workers.values():
            for key, n in w.take_counts().items():
                self.stat_increase(key, n)
        with self._errors_lock:
            err, self._pending_error = self._pending_error, None
        if err:
            self.record_error(err)
        states = {n: w.state for n, w in sorted(self.workers.items())}
        self.update_status(force=states != self._status.get("databases"), databases=states)
        settled = self._refusal_checked and "starting" not in states.values()
        if not self.ready and settled and (not states or any(s != "down" for s in states.values())):
            self.mark_ready()
        # wake up for the next check, the stats line, and to read the workers' state
        # (often in the first seconds, so that START learns soon that it is up)
        starting = not self.ready and time.monotonic() - self._born < _START_POLL
        longest = 0.05 if starting else 1.0
        self.loop_delay = max(0.05, min(longest, self._next_check - time.monotonic()))
        return False

    def shutdown(self) -> None:
        workers = list(self.workers.values())
        for w in workers:
            w.stop()
        if not self.stop_now:
            deadline = time.monotonic() + 30
            for w in workers:
                w.join(max(0.0, deadline - time.monotonic()))
        for w in workers:
            for key, n in w.take_counts().items():
                self.stat_increase(key, n)
        self.maybe_log_stats(force=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ticker daemon from the command line."""
    return Ticker(argv).run()


if __name__ == "__main__":
    from engine.ticker import main as _main  # the importable copy, not __main__'s

    sys.exit(_main())
