"""Command handlers, one module per family; importing the package registers them all.

Adding a command touches four places, each with one job:

- ``qadmin/grammar/<family>.lark``: its rule, ``%extend _statement: rule | ...``
  (backslash commands: ``%extend meta_command: ...``); a name completion should
  offer is a name rule accepting ``<KIND>_SLOT``;
- ``qadmin/ast/<family>.py``: one frozen dataclass subclassing ``Command``
  (class ``StartTicker`` <-> rule ``start_ticker``; its docstring is the help),
  named in the module's ``__all__`` and in ``qadmin.ast.FAMILIES`` with the
  ``TYPE_CHECKING`` import there (families load on first use; a test checks);
- ``qadmin/commands/<family>.py``: one ``@command(ast.StartTicker)`` handler;
- ``engine``: the function the handler calls.

A new kind of name for completion is one entry of ``qadmin/slots.py``, one field
of ``qadmin.catalog.Catalog`` and its names in ``engine.catalog.fetch_names``.
Fragments load after the core ones in name order; modules load in name order.
"""
