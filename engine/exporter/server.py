"""The exporter's HTTP side: /metrics, the status page at / and /api/status.

A ``ThreadingHTTPServer`` in a daemon thread: scrapes take turns on the
scraper's lock, so a slow database delays a scrape but never blocks the server.
/metrics speaks the Prometheus text format (collector.encode_text), or
OpenMetrics when the scraper asks for it in its Accept header (prometheus_client
chooses, and encodes that from the registry).
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder, generate_latest

from engine.exporter.collector import PgqCollector, encode_text
from engine.exporter.page import render_page, status_json
from engine.exporter.scraper import Scraper

__all__ = ["ExporterServer"]

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "qadmin-exporter"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        srv = self.server
        try:
            if path == "/metrics":
                encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
                if encoder is generate_latest or getattr(encoder, "func", None) is generate_latest:
                    body = encode_text(srv.scraper.scrape())  # the same text, faster
                else:
                    body = encoder(srv.registry)
                self._send(200, content_type, body)
            elif path in ("/", "/index.html"):
                result = srv.scraper.scrape()
                page = render_page(result, srv.scraper.history, srv.refresh)
                self._send(200, "text/html; charset=utf-8", page.encode())
            elif path == "/api/status":
                data = status_json(srv.scraper.scrape(), srv.scraper.history)
                self._send(200, "application/json", json.dumps(data).encode())
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found: try / or /metrics\n")
        except BrokenPipeError:
            pass
        except Exception as e:  # a bug: answer 500, keep serving
            log.exception("%s failed: %s", path, e)
            self._send(500, "text/plain; charset=utf-8", f"error: {e}\n".encode())

    def _send(self, code: int, content_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    registry: CollectorRegistry
    scraper: Scraper
    refresh: float


class ExporterServer:
    """Binds at once (a taken port is an error at start), serves in a thread."""

    def __init__(self, scraper: Scraper, host: str, port: int, refresh: float = 10.0) -> None:
        self.scraper = scraper
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(PgqCollector(scraper))
        self.httpd = _Server((host, port), _Handler)
        self.httpd.registry = self.registry
        self.httpd.scraper = scraper
        self.httpd.refresh = refresh
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="http", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
