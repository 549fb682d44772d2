"""Command handlers, one module per family; importing the package registers them all.

Adding a command family (daemons, cascading ...) touches no existing file:

- ``qadmin/grammar/<family>.lark``: its rules, ``%extend _statement: rule | ...``
  (backslash commands: ``%extend meta_command: ...``) and, for names completion
  should offer, ``%declare <KIND>_SLOT`` accepted by a name rule;
- ``qadmin/commands/<family>.py``: one frozen dataclass per command subclassing
  ``qadmin.ast.Command`` (class ``StartTicker`` <-> rule ``start_ticker``; its
  docstring is the help text) and one ``@command(StartTicker)`` handler each;
  ``qadmin.catalog.register_names("<kind>", fetch)`` for the slot's names.

Fragments load after the core ones in name order; modules load in name order.
"""
