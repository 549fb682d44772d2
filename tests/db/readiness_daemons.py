"""Tiny daemons for the readiness tests: ``python -m tests.db.readiness_daemons KIND INI``."""

from __future__ import annotations

import sys
from typing import ClassVar

import psycopg2

from engine.base import Daemon


class Rounds(Daemon):
    """Up after its first good round (it never calls mark_ready)."""

    service_name: ClassVar[str] = "rounds"

    def work(self) -> bool:
        return False


class BadStart(Daemon):
    """Its first round fails with a database error: it ends, in one log line."""

    service_name: ClassVar[str] = "rounds"

    def work(self) -> bool:
        raise psycopg2.errors.RaiseException("the queue does not exist")


class Bug(Daemon):
    """Its first round fails with a bug: it ends too, with the traceback."""

    service_name: ClassVar[str] = "rounds"

    def work(self) -> bool:
        return {}["missing"]  # type: ignore[no-any-return]


if __name__ == "__main__":
    kind = sys.argv.pop(1)
    sys.exit({"rounds": Rounds, "bad": BadStart, "bug": Bug}[kind]().run())
