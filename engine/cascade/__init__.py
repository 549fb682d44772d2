"""Cascaded queues (pgq_node): the worker that copies a queue between nodes, and node administration."""
