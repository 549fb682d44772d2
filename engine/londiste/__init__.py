"""Londiste: table replication on top of cascaded queues."""
