"""What a switchover of a Londiste queue requires of the tables: checked before any step.

A switchover (``SWITCHOVER TO node``, londiste3 ``takeover``) makes a node take its
provider's place: the new root captures the writes from then on (its tables' triggers
are the capture triggers of a branch, and its queue accepts inserts once promoted),
the old root becomes its branch (its queue refuses inserts: writes there fail, as on
any branch), sequences go on from the values the old root published.  For nothing to
be lost, the Londiste rule is:

1. the node taking over must replicate every table and sequence that the node it
   replaces replicates (else writes to them on the new root would not be captured, and
   the old node's subscribers would stop getting them): refused, add them there first;
2. its tables must all be in sync (state ok): a table still being copied there has only
   part of its rows and its copy reads from the node it is about to replace: refused,
   wait until in sync (LONDISTE WAIT SYNC on that node) and run the switchover again;
3. a node whose provider changes in the switchover (the old node, and with ``all``
   the old node's other subscribers) must not be copying a table either (its copy
   reads from the provider it leaves): refused alike;
4. tables being copied on any other node go on: their copy and replay read from a
   provider that stays (a leaf below the old root keeps reading from it, now a branch),
   and finish there after the switchover.

The check runs only when the queue's nodes have londiste installed; nothing is changed
when it refuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.londiste.admin import LondisteError

__all__ = ["check_switchover"]

_OK = ("ok", "?")


def _objects(admin: Any, node: str) -> tuple[dict[str, str | None], set[str]]:
    tables = {
        r.table_name: r.merge_state
        for r in admin._query(
            node, "select * from londiste.get_table_list(%s) where local", [admin.queue]
        )
    }
    seqs = {
        r.seq_name
        for r in admin._query(
            node, "select seq_name from londiste.get_seq_list(%s) where local", [admin.queue]
        )
    }
    return tables, seqs


def _copying(tables: dict[str, str | None]) -> list[str]:
    return sorted(t for t, state in tables.items() if state not in _OK)


def check_switchover(admin: Any, old: str, new: str, moving: Iterable[str]) -> None:
    """Raise the admin's error class when the switchover of old by new would lose data.

    admin is a CascadeAdmin (any subclass) of the queue; moving: the nodes whose
    provider the switchover changes besides old (the old node's other subscribers).
    """
    new_tables, new_seqs = _objects(admin, new)
    old_tables, old_seqs = _objects(admin, old)
    lacking = sorted(set(old_tables) - set(new_tables)) + sorted(old_seqs - new_seqs)
    if lacking:
        raise LondisteError(
            f'node "{new}" does not replicate {", ".join(lacking)} (replicated on "{old}"):'
            " their changes would not be captured after the switchover",
            hint=f'add them on "{new}" (LONDISTE ADD TABLE / ADD SEQUENCE there), then again',
        )
    copying = _copying(new_tables)
    if copying:
        raise LondisteError(
            f'node "{new}" is still copying {", ".join(copying)}: it cannot take over',
            hint=f'wait until it is in sync (LONDISTE WAIT SYNC on "{new}"), then again',
        )
    for node in [old, *moving]:
        tables = old_tables if node == old else _objects(admin, node)[0]
        copying = _copying(tables)
        if copying:
            raise LondisteError(
                f'node "{node}" is still copying {", ".join(copying)} from the provider'
                " it would leave in the switchover",
                hint=f'wait until it is in sync (LONDISTE WAIT SYNC on "{node}"), then again',
            )
