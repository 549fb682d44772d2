"""Rebuild the completion catalog in a background thread on its own connection."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg2

from engine.catalog import fetch_names
from engine.db import ConnInfo
from qadmin.catalog import Catalog

__all__ = ["CatalogRefresher", "fetch_catalog"]

log = logging.getLogger(__name__)


def fetch_catalog(conn: psycopg2.extensions.connection) -> Catalog:
    """A new snapshot of every name completion may offer (engine.catalog reads them)."""
    return Catalog.build(**fetch_names(conn), fetched_at=time.time())


class CatalogRefresher:
    """A daemon thread that fetches a new Catalog whenever refresh() is called.

    A request that arrives while a pass runs makes one more pass afterwards
    (never several), so the newest state always wins.  The new snapshot goes
    to on_catalog, which swaps it in; the shell's keystrokes never wait.
    """

    def __init__(self, on_catalog: Callable[[Catalog], None]) -> None:
        self._on_catalog = on_catalog
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._params = ConnInfo()
        self._conn: psycopg2.extensions.connection | None = None
        self._conn_key: ConnInfo | None = None
        self._stop = False
        self.busy = False
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="catalog-refresh", daemon=True)
        self._thread.start()

    def refresh(self, params: ConnInfo | None = None) -> None:
        """Ask for a new snapshot (with new connection parameters after CONNECT)."""
        with self._lock:
            if params is not None:
                self._params = params
        self._wanted.set()

    def close(self) -> None:
        self._stop = True
        self._wanted.set()
        self._thread.join(timeout=2)
        if self._conn is not None and not self._conn.closed:
            self._conn.close()

    def _connection(self) -> psycopg2.extensions.connection:
        with self._lock:
            params = self._params
        if self._conn is None or self._conn.closed or params != self._conn_key:
            if self._conn is not None and not self._conn.closed:
                self._conn.close()
            self._conn = params.connect(autocommit=True, application_name="qadmin-completion")
            self._conn_key = params
        return self._conn

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            if self._stop:
                return
            self._wanted.clear()
            self.busy = True
            try:
                catalog = fetch_catalog(self._connection())
                self.last_error = None
                self._on_catalog(catalog)
            except Exception as err:  # never take the shell down; say it in the toolbar
                log.debug("catalog refresh failed", exc_info=True)
                self.last_error = str(err).strip().split("\n")[0]
                if self._conn is not None and not self._conn.closed:
                    self._conn.close()
            finally:
                self.busy = False
