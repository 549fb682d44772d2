"""Values derived from the grammar, kept on disk per grammar so a start-up need not build it.

A script of plain SQL needs only the words that start SQL and no console command
(qadmin.parser.sql_only_words); deriving them takes the LALR parser, whose import
and load from lark's cache cost ~80 ms of a ``qadmin -f`` start.  The file's name
holds a hash of everything the value depends on, so a changed grammar (or
deriving code) makes a new file and the value is derived again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["cache_dir", "cached_words", "private_cache_file"]

CACHE_DIR_ENV = "QADMIN_CACHE_DIR"


def cache_dir() -> Path:
    """$QADMIN_CACHE_DIR, else $XDG_CACHE_HOME/qadmin, else ~/.cache/qadmin (per user)."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "qadmin"


def private_cache_file(name: str) -> str | None:
    """A path in the cache directory that only this user can have written, or None.

    For lark's parser cache, which is a pickle (loading one runs code): lark's own
    default is a predictable name in the shared temporary directory, which another
    local user could plant.  None (no private place) means building without a cache.
    """
    directory = cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = directory.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o022:
            return None
        path = directory / name
        if path.exists() and path.stat().st_uid != os.getuid():
            return None
    except OSError:
        return None
    return str(path)


def cached_words(
    name: str, depends_on: str, derive: Callable[[], frozenset[str]]
) -> frozenset[str]:
    """The words derive() returns for depends_on, read from the cache file when it has them.

    A missing, unreadable or foreign (another user's) file means deriving them; a
    cache that cannot be written is no error (the words are derived every time).
    """
    digest = hashlib.sha256(depends_on.encode()).hexdigest()[:32]
    path = cache_dir() / f"{name}-{digest}.json"
    try:
        if path.stat().st_uid == os.getuid():
            words = json.loads(path.read_text())
            if isinstance(words, list) and all(isinstance(w, str) for w in words):
                return frozenset(words)
    except (OSError, ValueError):
        pass
    value = derive()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(sorted(value)))
        os.replace(tmp, path)  # readers see the whole file or none
    return value
