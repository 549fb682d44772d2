"""A pg_dump of a provider's tables for a subscriber to start from: taken, read, restored.

The mechanics of ``add_table(..., from_dump=True)`` (engine.londiste.admin, which
decides what is dumped and registers the tables):

take_dump: on the provider, one REPEATABLE READ transaction exports its snapshot
(``pg_export_snapshot()``) and reads, in that same snapshot, ``txid_current_snapshot()``
(the dump's snapshot: the txids whose changes the dump holds), the queue's last tick
(a tick the snapshot sees was committed before it, so every txid visible at that tick
is visible in the dump: replay may start there) and the tables' states (each must be
``ok`` there).  ``pg_dump --format=custom --snapshot=<id> --table=...`` runs while the
transaction stays open; then the facts go beside the archive as ``<archive>.londiste.json``
(DumpInfo), so the same archive can build further subscribers later.

restore_into: ``pg_restore --list`` of the archive without the provider's Londiste
triggers (``_londiste_<queue>``, ``zzz__londiste_<queue>``, the truncate one), then
``pg_restore --use-list --no-owner --no-privileges --file=-`` as an SQL script that
runs through the caller's connection (run_script: statements as they come, the data
blocks by COPY FROM STDIN), so the restore is part of the caller's transaction: a
failure anywhere leaves the subscriber as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import psycopg2
import psycopg2.extensions

from engine.db import ConnInfo, describe_error

__all__ = ["META_SUFFIX", "DumpError", "DumpInfo", "read_info", "restore_into", "take_dump"]

#: the facts of a dump, beside its archive
META_SUFFIX = ".londiste.json"
#: how the Londiste triggers of a table are named (londiste.create_trigger)
_TRIGGER_PREFIXES = ("_londiste_", "zzz__londiste_")


class DumpError(RuntimeError):
    """The dump could not be taken, read or restored; the message says why."""


@dataclass(frozen=True, slots=True)
class DumpInfo:
    """What a dump holds and where replay goes on from."""

    queue: str
    provider: str  # the node it was taken on
    tables: tuple[str, ...]
    snapshot: str  # txid snapshot of the dump: changes of these txids are in it
    tick: int  # a provider tick whose snapshot the dump's contains
    archive: str

    def save(self) -> None:
        data = asdict(self)
        data["tables"] = list(self.tables)
        with open(self.archive + META_SUFFIX, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)


def read_info(archive: str) -> DumpInfo:
    """The facts saved beside an archive take_dump made."""
    meta = archive + META_SUFFIX
    try:
        with open(meta, encoding="utf-8") as f:
            data = json.load(f)
        return DumpInfo(
            queue=str(data["queue"]),
            provider=str(data["provider"]),
            tables=tuple(str(t) for t in data["tables"]),
            snapshot=str(data["snapshot"]),
            tick=int(data["tick"]),
            archive=archive,
        )
    except OSError as err:
        raise DumpError(
            f"{archive}: no {meta} beside it ({err.strerror}): only a dump made by"
            " from_dump can be restored (it records the dump's snapshot)"
        ) from None
    except (ValueError, KeyError, TypeError) as err:
        raise DumpError(f"{meta}: not a dump description ({err})") from None


def _table_pattern(name: str) -> str:
    """A pg_dump --table pattern matching exactly schema.name (quoted: no wildcards)."""
    schema, _, rel = name.partition(".")
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, rel))


def _env(info: ConnInfo) -> tuple[str, dict[str, str]]:
    """The conninfo for a libpq program without its password, which goes in the
    environment instead of the command line (ps shows that)."""
    env = dict(os.environ)
    password = info.get("password")
    if password:
        env["PGPASSWORD"] = password
    return info.without_password().to_dsn(), env


def _run(argv: Sequence[str], env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, env=env, check=False)
    except OSError as err:
        raise DumpError(f"cannot run {argv[0]}: {err.strerror}") from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()] or [
            f"exit status {done.returncode}"
        ]
        raise DumpError(f"{Path(argv[0]).name}: {lines[0].strip()}")
    return done.stdout


def take_dump(
    conninfo: ConnInfo,
    queue: str,
    provider: str,
    tables: Sequence[str],
    archive: str,
    pg_dump: Path,
) -> DumpInfo:
    """Dump the provider's tables into archive (custom format) at one snapshot."""
    try:
        conn = conninfo.connect(application_name="qadmin londiste dump")
    except psycopg2.Error as err:
        raise DumpError(f'node "{provider}" is down: {describe_error(err)}') from None
    try:
        with conn.cursor() as cur:
            cur.execute(
                "set transaction isolation level repeatable read, read only;"
                " set local idle_in_transaction_session_timeout = 0"
            )
            cur.execute(
                "select pg_catalog.pg_export_snapshot(), pg_catalog.txid_current_snapshot()::text,"
                " (select last_tick_id from pgq.get_queue_info(%s))",
                [queue],
            )
            row = cur.fetchone()
            assert row is not None
            snapshot_id, snapshot, tick = row
            if tick is None:
                raise DumpError(f'queue "{queue}" has no tick on node "{provider}" yet')
            cur.execute(
                "select table_name, merge_state from londiste.get_table_list(%s) where local",
                [queue],
            )
            states = dict(cur.fetchall())
        for t in tables:
            if t not in states:
                raise DumpError(f'table "{t}" is not replicated on provider "{provider}"')
            if states[t] not in ("ok", "?"):
                raise DumpError(
                    f'table "{t}" is not in sync on provider "{provider}"'
                    f" (state {states[t] or 'copy-needed'}): dump it once it is"
                )
        dsn, env = _env(conninfo)
        argv = [
            str(pg_dump),
            "--format=custom",
            f"--snapshot={snapshot_id}",
            "--strict-names",
            f"--file={archive}",
            f"--dbname={dsn}",
        ]
        argv += [f"--table={_table_pattern(t)}" for t in tables]
        _run(argv, env)
        info = DumpInfo(queue, provider, tuple(tables), snapshot, int(tick), archive)
        info.save()
        return info
    except psycopg2.Error as err:
        raise DumpError(f'node "{provider}": {describe_error(err)}') from None
    finally:
        conn.close()


def _is_londiste_trigger(line: str) -> bool:
    """A --list line of a Londiste trigger: ``id; a b TRIGGER schema table name owner``."""
    words = line.split()
    try:
        i = words.index("TRIGGER")
    except ValueError:
        return False
    return len(words) > i + 3 and words[i + 3].startswith(_TRIGGER_PREFIXES)


def restore_list(archive: str, pg_restore: Path) -> list[str]:
    """The archive's table of contents without the Londiste triggers (a --use-list)."""
    toc = _run([str(pg_restore), "--list", archive])
    return [ln for ln in toc.splitlines() if not _is_londiste_trigger(ln)]


class _CopyData:
    """The lines of one COPY block of a script, up to its ``\\.`` (a file for copy_expert)."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self.lines = lines
        self.done = False

    def read(self, size: int = -1) -> bytes:
        if self.done:
            return b""
        line = next(self.lines, b"\\.\n")
        if line.rstrip(b"\r\n") == b"\\.":
            self.done = True
            return b""
        return line

    readline = read


def run_script(cur: psycopg2.extensions.cursor, lines: Iterable[bytes]) -> int:
    """Run a pg_dump SQL script through cur: statements as they come, COPY blocks by
    COPY FROM STDIN.  Returns the rows copied."""
    it = iter(lines)
    buf: list[bytes] = []
    rows = 0

    def flush() -> None:
        text = b"".join(buf)
        buf.clear()
        if any(ln.strip() and not ln.lstrip().startswith(b"--") for ln in text.splitlines()):
            cur.execute(text)

    for line in it:
        if line.startswith((b"\\restrict ", b"\\unrestrict ")):
            # psql's guard against meta-commands in the script (pg_dump since
            # 17.6/16.10/15.14...); we run no meta-command at all
            continue
        if line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;"):
            flush()
            data = _CopyData(it)
            cur.copy_expert(line, data)
            rows += max(cur.rowcount, 0)
            if not data.done:
                raise DumpError("the script ended inside the data of " + line.decode()[5:60])
        else:
            buf.append(line)
    flush()
    return rows


def restore_into(
    conn: psycopg2.extensions.connection, archive: str, pg_restore: Path, workdir: str
) -> int:
    """Restore the archive (without the Londiste triggers) in conn's open transaction;
    the session's settings are as before afterwards.  Returns the rows restored."""
    listing = os.path.join(workdir, "restore.list")
    with open(listing, "w", encoding="utf-8") as f:
        f.write("\n".join(restore_list(archive, pg_restore)) + "\n")
    argv = [
        str(pg_restore),
        f"--use-list={listing}",
        "--no-owner",
        "--no-privileges",
        "--file=-",
        archive,
    ]
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as err:
        raise DumpError(f"cannot run {pg_restore}: {err.strerror}") from None
    assert proc.stdout is not None and proc.stderr is not None
    stdout: IO[bytes] = proc.stdout
    failed: BaseException | None = None
    restore_ended_first = False
    rows = 0
    try:
        with conn.cursor() as cur:
            rows = run_script(cur, stdout)
            # the script's SETs (search_path '' among them) end with it
            cur.execute("reset all")
    except BaseException as err:
        failed = err
        # pg_restore gone already: a broken archive cut the script short
        restore_ended_first = proc.poll() is not None
    finally:
        stdout.close()
        err_text = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        code = proc.wait()
    # pg_restore's own complaint (a broken archive) is the cause of what followed; a
    # statement that failed here is the cause when pg_restore only lost its pipe
    first = next((ln.strip() for ln in err_text.splitlines() if ln.strip()), "")
    if code != 0 and (failed is None or restore_ended_first):
        raise DumpError(f"pg_restore: {first or f'exit status {code}'}")
    if failed is not None:
        if isinstance(failed, psycopg2.Error):
            raise DumpError(f"restore: {describe_error(failed)}") from None
        raise failed
    return rows
