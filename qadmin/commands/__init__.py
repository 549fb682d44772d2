"""Command handlers, one module per family; importing the package registers them all."""
