"""qadmin: admin console for PgQ queues, cascades and Londiste replication."""

__version__ = "0.1.0"
