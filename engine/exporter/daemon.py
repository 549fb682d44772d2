"""The exporter daemon: serves metrics and the status page, samples lag in between.

``python -m engine.exporter CONFIG.ini`` with an ``[exporter]`` section (``--ini``
prints it).  The HTTP server binds in startup(), so a taken port ends the start
with a clear error; the daemon is up as soon as it listens, whether or not its
databases answer (a database that is down is what pgq_up 0 reports).  Between
scrapes work() samples every database each ``sample_period`` seconds, so the
status page's plots have points even when nobody scrapes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import ClassVar

import psycopg2.extensions

from engine.base import Daemon, UsageError
from engine.exporter.history import LagHistory
from engine.exporter.scraper import Scraper
from engine.exporter.server import ExporterServer
from engine.exporter.source import DatabaseSource

__all__ = ["DEFAULT_PORT", "Exporter", "main"]

DEFAULT_PORT = 9766


def database_dsn(base_connstr: str, dbname: str) -> str:
    """base_connstr with dbname= added, quoted as libpq needs."""
    params = psycopg2.extensions.parse_dsn(base_connstr) if base_connstr else {}
    params["dbname"] = dbname
    return psycopg2.extensions.make_dsn(**params)


class Exporter(Daemon):
    """Prometheus metrics and a status page for PgQ, cascade and Londiste databases."""

    service_name: ClassVar[str] = "exporter"
    kind: ClassVar[str] = "exporter"
    main_module: ClassVar[str | None] = "engine.exporter"
    ready_after_round: ClassVar[bool] = False
    ini_template: ClassVar[str] = """
# libpq connect string without dbname; dbname=<database> is appended
#base_connstr = host=127.0.0.1 user=postgres

# databases to watch, comma or space separated; each is the database label
database_list = mydb

# where /metrics and the status page listen (loopback unless told otherwise)
#bind_address = 127.0.0.1
#port = 9766

# seconds between the background samples of lag for the status page's plots
#sample_period = 5
# seconds of lag history kept in memory
#history_window = 3600
# seconds between the status page's reloads
#page_refresh = 10

# seconds to wait for a database to connect, and for each statement
#connect_timeout = 2
#statement_timeout = 5

# supervisor state directory whose daemons qadmin_daemon_up reports
# (default: $QADMIN_STATE_DIR, else $XDG_STATE_HOME/qadmin)
#state_dir =
"""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        super().__init__(argv)
        self.scraper: Scraper | None = None
        self.server: ExporterServer | None = None
        self._bound: tuple[str, int] = ("", 0)

    def load_settings(self) -> None:
        super().load_settings()
        cf = self.cf
        assert cf is not None
        self.base_connstr = cf.get("base_connstr", "")
        self.database_list = list(dict.fromkeys(cf.getlist("database_list", [])))
        self.bind_address = cf.get("bind_address", "127.0.0.1")
        self.port = cf.getint("port", DEFAULT_PORT)
        self.sample_period = cf.getinterval("sample_period", 5.0)
        self.history_window = cf.getinterval("history_window", 3600.0)
        self.page_refresh = cf.getinterval("page_refresh", 10.0)
        self.connect_timeout = cf.getinterval("connect_timeout", 2.0)
        self.statement_timeout = cf.getinterval("statement_timeout", 5.0)
        self.state_dir = cf.getfile("state_dir", "") or None
        if not self.database_list:
            raise UsageError("database_list is empty: name the databases to watch")
        if not 0 <= self.port <= 65535:
            raise UsageError(f"port {self.port} is not a TCP port")
        if self.sample_period <= 0:
            raise UsageError("sample_period must be positive")
        self.loop_delay = self.sample_period

    def _sources(self) -> list[DatabaseSource]:
        return [
            DatabaseSource(
                name,
                database_dsn(self.base_connstr, name),
                connect_timeout=self.connect_timeout,
                statement_timeout=self.statement_timeout,
            )
            for name in self.database_list
        ]

    def startup(self) -> None:
        sources = self._sources()
        step = min(self.sample_period, 5.0)
        history = LagHistory(window=self.history_window, min_step=step * 0.5)
        self.scraper = Scraper(sources, state_dir=self.state_dir, history=history)
        try:
            self.server = ExporterServer(
                self.scraper, self.bind_address, self.port, refresh=self.page_refresh
            )
        except OSError as e:
            raise UsageError(
                f"cannot listen on {self.bind_address}:{self.port}: {e.strerror or e}"
            ) from None
        self._bound = (self.bind_address, self.port)
        self.server.start()
        host, port = self.server.address
        self.log.info(
            "serving http://%s:%d/metrics for %s", host, port, ", ".join(self.database_list)
        )
        self.mark_ready(url=f"http://{host}:{port}/", port=port, databases={})

    def reload(self) -> None:
        """New databases and timeouts apply at once; a new address needs a restart."""
        if self.scraper is not None:
            self.scraper.set_sources(self._sources())
            self.scraper.state_dir = self.state_dir
        if self.server is not None and (self.bind_address, self.port) != self._bound:
            host, port = self.server.address
            self.log.warning(
                "still listening on %s:%d: a new bind_address or port needs a restart", host, port
            )

    def work(self) -> bool:
        assert self.scraper is not None
        result = self.scraper.scrape()
        states = {s.database: "up" if s.up else "down" for s in result.databases}
        self.update_status(force=states != self._status.get("databases"), databases=states)
        self.stat_increase("samples")
        self.loop_delay = self.sample_period
        return False

    def shutdown(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.scraper is not None:
            self.scraper.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the exporter daemon from the command line."""
    return Exporter(argv).run()


if __name__ == "__main__":
    sys.exit(main())
