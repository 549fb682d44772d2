"""Metrics exporter: Prometheus text and a status page for the PgQ databases it watches."""
