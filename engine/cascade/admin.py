"""Administration of a cascaded queue across its nodes: create, inspect, move, take over.

One implementation for the console, ``python -m engine.cascade`` (setadm's door) and
scripts.  A ``CascadeAdmin`` is bound to one queue and one connection (the local
node); it reaches the other members through the locations the cascade records
(``pgq_node.node_location``), with the credentials libpq finds for them
(~/.pgpass, PGPASSWORD, service files).  Every multi-node action reports its steps
through ``progress`` as it goes, checks before each step whether it is already done
(so an interrupted action can be run again to finish), and refuses with a
``CascadeError`` naming the node when a node it needs is down.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from engine.admin import AdminError, Table, atomic
from engine.admin.server import installed_modules
from engine.cascade.worker import STATE_CHANNEL
from engine.db import ApiError, ConnInfo, call_api, describe_error, sql

__all__ = [
    "RESURRECT_DUMP_FILE",
    "WAKE_CHANNEL",
    "CascadeAdmin",
    "CascadeError",
    "NodeStatus",
    "Progress",
]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

# where resurrect writes the events that no surviving node received (the original's name)
RESURRECT_DUMP_FILE = "resurrect-lost-events.json"
# NOTIFY channel the admin signals on a node's database after changing a worker's
# state there (pause, resume), payload the queue name: the worker LISTENs on it and
# sees the change at once instead of after its sleep.  Our pgq_node functions that
# change the state notify themselves; this one also wakes workers on the original's.
WAKE_CHANNEL = STATE_CHANNEL
# the modules a node needs, in install order
NODE_MODULES = ("pgq", "pgq_node")
# connection keys of the console's description that other members get too when their
# location does not say (client certificates, password file): never the password
_CARRIED_KEYS = ("passfile", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl")
_WHERE_KEYS = ("host", "hostaddr", "port", "user")


class CascadeError(AdminError):
    """A cascade action was refused or could not go on; the message names the node."""


@dataclass(frozen=True)
class NodeStatus:
    """One member of a cascaded queue as its own database describes it."""

    name: str
    node_type: str | None
    queue: str
    location: str | None
    provider: str | None
    depth: int = 0
    dead: bool = False  # tagged dead in the member list
    reachable: bool = True
    error: str | None = None  # why it could not be reached
    lag: float | None = None  # seconds behind the root
    last_tick: int | None = None
    paused: bool = False
    uptodate: bool = True
    last_error: str | None = None  # the worker's cur_error
    worker_name: str | None = None
    attrs: str | None = None
    subscribers: tuple[str, ...] = ()
    combined_queue: str | None = None


@dataclass(frozen=True)
class _Member:
    name: str
    location: str | None
    dead: bool


_STATUS_QUEUE_SQL = (
    "select extract(epoch from ticker_lag)::float8, current_timestamp from pgq.get_queue_info(%s)"
)
_STATUS_CONSUMERS_SQL = (
    "select consumer_name, current_timestamp - lag as tick_time from pgq.get_consumer_info(%s)"
)
_TOP_TICK_SQL = (
    "select t.tick_id from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue"
    " where q.queue_name = %s order by t.tick_id desc limit 1"
)
_SAME_DB_SQL = (
    "select d.oid, d.datname, txid_current() as txid, txid_current_snapshot()::text as snap"
    " from pg_catalog.pg_database d where d.datname = current_database()"
)


def _one_line(err: BaseException) -> str:
    """libpq's connection failure (two lines: what failed, then a hint) as one line."""
    return " ".join(ln.strip() for ln in describe_error(err, context=False).splitlines() if ln)


def _seconds(delta: Any) -> float:
    return max(0.0, delta.total_seconds())


class CascadeAdmin:
    """Administer one cascaded queue from one node's connection."""

    def __init__(
        self,
        conninfo: ConnInfo,
        queue: str,
        *,
        progress: Progress = lambda s: None,
        connect_timeout: float = 3.0,
        remote_extra: ConnInfo | None = None,
        wait_timeout: float | None = 60.0,
        poll_interval: float = 0.05,
    ) -> None:
        self.conninfo = conninfo
        self.queue = queue
        self.progress = progress
        self.connect_timeout = connect_timeout
        self.remote_extra = remote_extra or ConnInfo()
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self._local: psycopg2.extensions.connection | None = None
        self._conns: dict[str, psycopg2.extensions.connection] = {}
        self._members: dict[str, _Member] = {}
        self._local_name: str | None = None
        self._assumed: set[str] = set()

    # -- lifetime -----------------------------------------------------------------------
    def close(self) -> None:
        """Close every connection this admin opened."""
        for conn in [self._local, *self._conns.values()]:
            if conn is not None and not conn.closed:
                conn.close()
        self._local = None
        self._conns.clear()

    def __enter__(self) -> CascadeAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections ----------------------------------------------------------------------
    def _say(self, line: str) -> None:
        log.info("%s", line)
        self.progress(line)

    def _local_conn(self) -> psycopg2.extensions.connection:
        if self._local is None or self._local.closed:
            info = self.conninfo
            if "connect_timeout" not in info:
                info = info.replace(connect_timeout=self._timeout_arg())
            try:
                self._local = info.connect(autocommit=True, application_name="qadmin cascade")
            except psycopg2.Error as err:
                where = self.conninfo.without_password(mask=True).to_dsn()
                raise CascadeError(f"cannot connect to {where}: {_one_line(err)}") from None
        return self._local

    def _timeout_arg(self) -> int:
        # libpq takes whole seconds (and treats 1 as 2)
        return max(1, math.ceil(self.connect_timeout))

    def _member_conninfo(self, location: str) -> ConnInfo:
        """How to reach a member: its location, the remote extras, this session's credentials.

        The password typed for this session goes along only to the same server and
        user; everything else comes from libpq's own sources.
        """
        try:
            info = ConnInfo.parse(location)
        except psycopg2.Error as err:
            raise CascadeError(f"bad node location {location!r}: {err}") from None
        info = info.merge(self.remote_extra)
        for key in _CARRIED_KEYS:
            value = self.conninfo.get(key)
            if value and key not in info:
                info = info.replace(**{key: value})
        password = self.conninfo.get("password")
        if (
            password
            and "password" not in info
            and all(info.get(k) == self.conninfo.get(k) for k in _WHERE_KEYS)
        ):
            info = info.replace(password=password)
        if "connect_timeout" not in info:
            info = info.replace(connect_timeout=self._timeout_arg())
        return info

    def _connect_location(self, location: str, name: str) -> psycopg2.extensions.connection:
        try:
            return self._member_conninfo(location).connect(
                autocommit=True, application_name="qadmin cascade"
            )
        except psycopg2.Error as err:
            raise CascadeError(f'node "{name}" is down: {_one_line(err)}') from None

    def _conn(self, node: str, *, dead_ok: bool = False) -> psycopg2.extensions.connection:
        """A connection to a member, by name (the local one for this node)."""
        if node == self._local_name:
            return self._local_conn()
        member = self._member(node)
        if member.dead and not dead_ok:
            raise CascadeError(f'node "{node}" is tagged dead')
        conn = self._conns.get(node)
        if conn is not None and not conn.closed:
            return conn
        if not member.location:
            raise CascadeError(f'node "{node}" has no location')
        conn = self._connect_location(member.location, node)
        self._conns[node] = conn
        return conn

    def _forget(self, node: str) -> None:
        conn = self._conns.pop(node, None)
        if conn is not None and not conn.closed:
            conn.close()
        if node == self._local_name and self._local is not None:
            self._local.close()
            self._local = None

    @contextmanager
    def _errors(self, node: str) -> Iterator[None]:
        """Database errors as CascadeError naming the node."""
        try:
            yield
        except ApiError as err:
            raise CascadeError(f'node "{node}": {err.note}') from None
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as err:
            self._forget(node)
            raise CascadeError(f'node "{node}" is down: {_one_line(err)}') from None
        except psycopg2.Error as err:
            raise CascadeError(f'node "{node}": {describe_error(err, context=False)}') from None

    def _call(
        self,
        node: str,
        function: str,
        args: Sequence[Any] = (),
        *,
        conn: psycopg2.extensions.connection | None = None,
    ) -> list[Any]:
        """One SQL API call on a node; codes >= 300 raise CascadeError."""
        with self._errors(node):
            c = conn if conn is not None else self._conn(node)
            with c.cursor(cursor_factory=psycopg2.extras.NamedTupleCursor) as cur:
                return call_api(cur, function, args)

    def _query(
        self,
        node: str,
        query: Any,
        args: Sequence[Any] = (),
        *,
        conn: psycopg2.extensions.connection | None = None,
    ) -> list[Any]:
        with self._errors(node):
            c = conn if conn is not None else self._conn(node)
            with c.cursor(cursor_factory=psycopg2.extras.NamedTupleCursor) as cur:
                cur.execute(query, list(args))
                return cur.fetchall() if cur.description else []

    @contextmanager
    def _transaction(
        self, node: str, conn: psycopg2.extensions.connection | None = None
    ) -> Iterator[psycopg2.extensions.connection]:
        """A block of calls on one node as one transaction."""
        with self._errors(node):
            conn = conn if conn is not None else self._conn(node)
            with atomic(conn):
                yield conn

    # -- what the local node knows ----------------------------------------------------------
    def _refresh(self) -> Any:
        """Read the local node's info and member list again; the info row."""
        conn = self._local_conn()
        here = self._here()
        info = self._info(here, conn=conn)
        rows = self._query(
            here, "select * from pgq_node.get_queue_locations(%s)", [self.queue], conn=conn
        )
        self._members = {
            r.node_name: _Member(
                r.node_name, r.node_location, r.dead or r.node_name in self._assumed
            )
            for r in rows
        }
        self._local_name = info.node_name
        return info

    def _here(self) -> str:
        return self._local_name or self.conninfo.without_password(mask=True).to_dsn()

    def _require_local(self) -> Any:
        info = self._refresh()
        if info.node_type is None:
            raise CascadeError(
                f'this database is no node of queue "{self.queue}"',
                hint="create the node first (create root / branch / leaf)",
            )
        return info

    def _member(self, node: str) -> _Member:
        member = self._members.get(node)
        if member is None:
            raise CascadeError(f'node "{node}" is not a member of queue "{self.queue}"')
        return member

    def _alive(self, node: str) -> bool:
        member = self._members.get(node)
        return member is not None and not member.dead

    def _info(self, node: str, *, conn: psycopg2.extensions.connection | None = None) -> Any:
        """pgq_node.get_node_info of a node (node_type None: no node of this queue there)."""
        return self._query(
            node, "select * from pgq_node.get_node_info(%s)", [self.queue], conn=conn
        )[0]

    def _node_info(self, node: str) -> Any:
        info = self._info(node)
        if info.node_type is None:
            raise CascadeError(f'node "{node}" has no node of queue "{self.queue}"')
        return info

    def _top_tick(self, node: str) -> int | None:
        rows = self._query(node, _TOP_TICK_SQL, [self.queue])
        return rows[0][0] if rows else None

    def _position(self, node: str) -> int:
        """The last tick the node has: its queue's top tick, a leaf's completed tick."""
        info = self._node_info(node)
        if info.node_type == "leaf":
            return info.worker_last_tick or 0
        return self._top_tick(node) or 0

    def _subscribers(self, node: str) -> list[str]:
        rows = self._query(
            node, "select node_name from pgq_node.get_subscriber_info(%s)", [self.queue]
        )
        return [r.node_name for r in rows]

    def _subscribers_of(self, node: str) -> list[str]:
        """Live members whose worker reads from node (asked of each member)."""
        found = []
        for name in sorted(self._members):
            if name == node or not self._alive(name):
                continue
            try:
                info = self._info(name)
            except CascadeError as err:
                self._say(f"warning: {err}")
                continue
            if info.node_type != "root" and info.provider_node == node:
                found.append(name)
        return found

    def _is_upstream(self, top: str, node: str) -> bool:
        """Whether top is node's provider, or its provider's, ... up to the root."""
        seen = set()
        current = node
        while current not in seen:
            seen.add(current)
            if not self._alive(current):
                return False
            info = self._node_info(current)
            if info.node_type == "root" or not info.provider_node:
                return False
            if info.provider_node == top:
                return True
            current = info.provider_node
        return False

    def _root_name(self) -> str:
        """The root, found by walking up the provider chain from the local node."""
        info = self._require_local()
        seen: set[str] = set()
        node = info.node_name
        while info.node_type != "root":
            if node in seen or not info.provider_node:
                raise CascadeError(f'no root above node "{node}" (provider chain: {seen})')
            seen.add(node)
            node = info.provider_node
            info = self._node_info(node)
        return str(node)

    def assume_dead(self, node: str) -> None:
        """Treat a node as dead from now on without tagging it (setadm's --dead)."""
        self._assumed.add(node)
        if node in self._members:
            self._members[node] = replace(self._members[node], dead=True)

    # -- small reads --------------------------------------------------------------------------
    def worker_name(self) -> str | None:
        """The local node's worker name (None when the database is no node)."""
        info = self._refresh()
        return info.worker_name

    def local_node(self) -> str | None:
        """The local node's name (None when the database is no node of the queue)."""
        return self._refresh().node_name

    def local_info(self) -> Any:
        """pgq_node.get_node_info of the local node (a row with its column names)."""
        return self._require_local()

    def find_consumer(self, consumer: str) -> str:
        """The node a cascaded consumer writes into: the local one first, then every member."""
        self._require_local()
        query = "select 1 from pgq_node.get_consumer_info(%s) where consumer_name = %s"
        others = sorted(n for n in self._members if n != self._local_name)
        for node in [self._local_name or "", *others]:
            if not self._alive(node):
                continue
            try:
                if self._query(node, query, [self.queue, consumer]):
                    return node
            except CascadeError as err:
                self._say(f"warning: {err}")
        raise CascadeError(f'no node of queue "{self.queue}" has consumer "{consumer}"')

    def members(self) -> Table:
        """The member list as the local node has it: node_name, dead, node_location."""
        self._require_local()
        rows = self._query(
            self._here(),
            "select node_name, dead, node_location"
            " from pgq_node.get_queue_locations(%s) order by 1",
            [self.queue],
            conn=self._local_conn(),
        )
        return Table(("node_name", "dead", "node_location"), tuple(tuple(r) for r in rows))

    # -- installing and creating nodes -----------------------------------------------------------
    def install_code(self) -> list[str]:
        """Install pgq and pgq_node where missing; the modules installed."""
        conn = self._local_conn()
        with self._errors(self._here()), conn.cursor() as cur:
            have = installed_modules(cur)
        missing = [m for m in NODE_MODULES if m not in have]
        if not missing:
            return []
        from engine import install as installer

        unknown = [m for m in missing if m not in installer.MODULES]
        if unknown:
            raise CascadeError(
                f"{', '.join(unknown)} is not installed in this database"
                " and this installation has no SQL for it",
                hint="CREATE EXTENSION pgq_node (the distribution's package) installs it",
            )
        try:
            reports = installer.install(conn, missing)
        except installer.InstallError as err:
            raise CascadeError(f"installing {', '.join(missing)}: {err}") from None
        for report in reports:
            self._say(str(report))
        return missing

    def create_root(self, name: str, location: str | None = None, **options: Any) -> None:
        """Make this database the root node of the queue."""
        self._create_node("root", name, location, None, **options)

    def create_branch(
        self, name: str, provider: str, location: str | None = None, **options: Any
    ) -> None:
        """Make this database a branch node reading from provider (a node's connect string)."""
        self._create_node("branch", name, location, provider, **options)

    def create_leaf(
        self,
        name: str,
        provider: str,
        location: str | None = None,
        merge: str | None = None,
        **options: Any,
    ) -> None:
        """Make this database a leaf node reading from provider (a node's connect string)."""
        self._create_node("leaf", name, location, provider, merge=merge, **options)

    def _default_location(self) -> str:
        conn = self._local_conn()
        info = self.conninfo.for_daemon(conn.get_dsn_parameters())
        return info.replace(connect_timeout=None).to_dsn()

    def _create_node(
        self,
        node_type: str,
        name: str,
        location: str | None,
        provider: str | None,
        *,
        merge: str | None = None,
        worker: str | None = None,
        sync_watermark: str | None = None,
        check_location: bool = True,
    ) -> None:
        if not name:
            raise CascadeError("a node needs a name")
        if merge and node_type != "leaf":
            raise CascadeError("only a leaf can merge into a combined queue")
        if sync_watermark and node_type != "branch":
            raise CascadeError("only a branch can sync its watermark with other nodes")
        worker = worker or name
        location = location or self._default_location()
        try:
            public = ConnInfo.parse(location)
        except psycopg2.Error as err:
            raise CascadeError(f"bad public connect string: {err}") from None
        if "password" in public:
            raise CascadeError(
                "the public connect string holds a password: every member would store it",
                hint="give passwords through ~/.pgpass or a service file",
            )
        if "host" not in public and "service" not in public and "hostaddr" not in public:
            self._say("warning: no host= in the public connect string: other nodes cannot use it")
        self.install_code()
        info = self._refresh()
        if info.node_type is not None:
            if info.node_name != name:
                raise CascadeError(
                    f'this database is already node "{info.node_name}" ({info.node_type})'
                    f' of queue "{self.queue}"'
                )
            self._say(f'node "{name}" is already initialised as {info.node_type}')
            return
        if check_location:
            self._check_same_database(location, name)
        if node_type == "root":
            with self._transaction(name, self._local_conn()) as conn:
                self._call(
                    name,
                    "pgq_node.register_location",
                    [self.queue, name, location, False],
                    conn=conn,
                )
                self._call(
                    name,
                    "pgq_node.create_node",
                    [self.queue, "root", name, worker, None, None, None],
                    conn=conn,
                )
            self._say(f'node "{name}" created as root of queue "{self.queue}"')
            return
        if not provider:
            raise CascadeError(f"a {node_type} needs a provider (a node's connect string)")
        if "=" not in provider and "://" not in provider:
            raise CascadeError(
                f'provider "{provider}" is no connect string',
                hint="give the connect string of the node to read from (its public location)",
            )
        prov_conn = self._connect_location(provider, "provider")
        try:
            self._create_subscriber(
                node_type, name, location, prov_conn, worker, merge, sync_watermark
            )
        finally:
            prov_conn.close()

    def _create_subscriber(
        self,
        node_type: str,
        name: str,
        location: str,
        prov_conn: psycopg2.extensions.connection,
        worker: str,
        merge: str | None,
        sync_watermark: str | None,
    ) -> None:
        prov = self._info("provider", conn=prov_conn)
        if prov.node_type is None:
            raise CascadeError(f'the provider has no node of queue "{self.queue}"')
        prov_name = prov.node_name
        if prov.node_type == "leaf":
            raise CascadeError(f'node "{prov_name}" is a leaf: it has no queue to provide')
        # the root, up the provider chain
        root_conn, root_name, root_info = prov_conn, prov_name, prov
        opened: list[psycopg2.extensions.connection] = []
        try:
            seen = {prov_name}
            while root_info.node_type != "root":
                loc = root_info.provider_location
                if not loc:
                    raise CascadeError(f'node "{root_name}" has no provider location')
                above = root_info.provider_node
                if above in seen:
                    raise CascadeError(f'provider loop at node "{above}"')
                seen.add(above)
                root_conn = self._connect_location(loc, above)
                opened.append(root_conn)
                root_name = above
                root_info = self._info(root_name, conn=root_conn)
            members = self._query(
                root_name,
                "select * from pgq_node.get_queue_locations(%s)",
                [self.queue],
                conn=root_conn,
            )
            existing = {m.node_name: m for m in members}
            if name in existing and existing[name].node_location != location:
                raise CascadeError(
                    f'node "{name}" is already a member of queue "{self.queue}"'
                    f" (at {ConnInfo.parse(existing[name].node_location).without_password()})"
                )
            self._say(f'{root_name}: registering node "{name}"')
            self._call(
                root_name,
                "pgq_node.register_location",
                [self.queue, name, location, False],
                conn=root_conn,
            )
            if prov_name != root_name:
                self._call(
                    prov_name,
                    "pgq_node.register_location",
                    [self.queue, name, location, False],
                    conn=prov_conn,
                )
            self._say(f'{prov_name}: subscribing node "{name}"')
            with self._errors(prov_name), atomic(prov_conn):
                subs = self._query(
                    prov_name,
                    "select node_name from pgq_node.get_subscriber_info(%s)",
                    [self.queue],
                    conn=prov_conn,
                )
                if any(s.node_name == name for s in subs):  # an earlier run got this far
                    self._call(
                        prov_name,
                        "pgq_node.unregister_subscriber",
                        [self.queue, name],
                        conn=prov_conn,
                    )
                row = self._call(
                    prov_name,
                    "pgq_node.register_subscriber",
                    [self.queue, name, worker, None],
                    conn=prov_conn,
                )[0]
            global_watermark = row.global_watermark
            self._say(f"{name}: creating {node_type} node at tick {global_watermark}")
            with self._transaction(name, self._local_conn()) as conn:
                self._call(
                    name,
                    "pgq_node.register_location",
                    [self.queue, name, location, False],
                    conn=conn,
                )
                for m in members:
                    if m.node_name != name:
                        self._call(
                            name,
                            "pgq_node.register_location",
                            [self.queue, m.node_name, m.node_location, m.dead],
                            conn=conn,
                        )
                self._call(
                    name,
                    "pgq_node.create_node",
                    [self.queue, node_type, name, worker, prov_name, global_watermark, merge],
                    conn=conn,
                )
                if sync_watermark:
                    attrs = "sync_watermark=" + sync_watermark.replace(",", "%2C")
                    self._call(name, "pgq_node.set_node_attrs", [self.queue, attrs], conn=conn)
            self._say(
                f'node "{name}" created as {node_type} of queue "{self.queue}",'
                f' provider "{prov_name}"'
            )
        finally:
            for c in opened:
                c.close()

    def _check_same_database(self, location: str, name: str) -> None:
        """Refuse a public connect string that does not reach this very database.

        Same oid and name, and a transaction committed over the public connection is
        invisible to a snapshot taken before it here and visible to one taken after.
        """
        here = self._local_conn()
        there = self._connect_location(location, name)
        try:
            first = self._query(name, _SAME_DB_SQL, conn=here)[0]
            other = self._query(name, _SAME_DB_SQL, conn=there)[0]
            last = self._query(name, _SAME_DB_SQL, conn=here)[0]
            seen = self._query(
                name,
                "select txid_visible_in_snapshot(%s, %s::txid_snapshot) as before,"
                " txid_visible_in_snapshot(%s, %s::txid_snapshot) as after",
                [other[2], first[3], other[2], last[3]],
                conn=here,
            )[0]
        finally:
            there.close()
        if (first[0], first[1]) != (other[0], other[1]) or seen[0] or not seen[1]:
            shown = ConnInfo.parse(location).without_password(mask=True).to_dsn()
            raise CascadeError(
                f"the public connect string ({shown}) reaches another database"
                " than this connection",
                hint="give the location other nodes reach this database at",
            )

    # -- status ---------------------------------------------------------------------------------
    def status(self) -> list[NodeStatus]:
        """Every member, contacted in parallel, in tree order from the root (depth set)."""
        local = self._require_local()
        members = dict(self._members)
        if local.node_name not in members:
            members[local.node_name] = _Member(local.node_name, None, False)
        results: dict[str, dict[str, Any]] = {}
        lock = threading.Lock()

        def probe(member: _Member) -> None:
            out = self._probe(member)
            with lock:
                results[member.name] = out

        threads = []
        for member in members.values():
            if member.dead:
                results[member.name] = {"error": "tagged dead"}
                continue
            t = threading.Thread(target=probe, args=(member,), daemon=True)
            t.start()
            threads.append(t)
        deadline = time.monotonic() + self._timeout_arg() + 1.5
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with lock:
            got = dict(results)
        for member in members.values():
            if member.name not in got:
                got[member.name] = {"error": f"no answer within {self._timeout_arg() + 1.5:g} s"}
        return self._tree(members, got)

    def _probe(self, member: _Member) -> dict[str, Any]:
        """What one member says about itself (its own connection: runs in a thread)."""
        try:
            if member.name == self._local_name or member.location is None:
                info = self.conninfo
                if "connect_timeout" not in info:
                    info = info.replace(connect_timeout=self._timeout_arg())
            else:
                info = self._member_conninfo(member.location)
            conn = info.connect(autocommit=True, application_name="qadmin cascade status")
        except (psycopg2.Error, CascadeError) as err:
            return {"error": _one_line(err)}
        try:
            with conn.cursor(cursor_factory=psycopg2.extras.NamedTupleCursor) as cur:
                cur.execute("select * from pgq_node.get_node_info(%s)", [self.queue])
                info_row: Any = cur.fetchone()
                out: dict[str, Any] = {"info": info_row, "consumers": {}, "queue": None}
                if info_row is None or info_row.node_type is None:
                    return {"error": f'no node of queue "{self.queue}" there'}
                if info_row.node_type in ("root", "branch"):
                    cur.execute(_STATUS_QUEUE_SQL, [self.queue])
                    out["queue"] = cur.fetchone()
                    cur.execute(_STATUS_CONSUMERS_SQL, [self.queue])
                    out["consumers"] = {r[0]: r[1] for r in cur.fetchall()}
                cur.execute(
                    "select consumer_name, cur_error from pgq_node.get_consumer_info(%s)",
                    [self.queue],
                )
                out["errors"] = {r[0]: r[1] for r in cur.fetchall()}
                cur.execute("select node_name from pgq_node.get_subscriber_info(%s)", [self.queue])
                out["subscribers"] = tuple(r[0] for r in cur.fetchall())
                return out
        except psycopg2.Error as err:
            return {"error": describe_error(err, context=False).split("\n", 1)[0]}
        finally:
            conn.close()

    def _tree(
        self, members: dict[str, _Member], got: dict[str, dict[str, Any]]
    ) -> list[NodeStatus]:
        nodes: dict[str, NodeStatus] = {}
        root_now = None
        for name, member in members.items():
            data = got[name]
            info = data.get("info")
            if info is None:
                nodes[name] = NodeStatus(
                    name=name,
                    node_type=None,
                    queue=self.queue,
                    location=member.location,
                    provider=None,
                    dead=member.dead,
                    reachable=False,
                    error=data.get("error"),
                    paused=False,
                    uptodate=False,
                )
                continue
            if info.node_type == "root" and data.get("queue") is not None:
                root_now = data["queue"][1]
            worker_error = data.get("errors", {}).get(info.worker_name)
            nodes[name] = NodeStatus(
                name=name,
                node_type=info.node_type,
                queue=self.queue,
                location=member.location,
                provider=None if info.node_type == "root" else info.provider_node,
                dead=member.dead,
                reachable=True,
                last_tick=info.worker_last_tick,
                paused=bool(info.worker_paused),
                uptodate=bool(info.worker_uptodate),
                last_error=worker_error.split("\n", 1)[0] if worker_error else None,
                worker_name=info.worker_name,
                attrs=info.node_attrs,
                subscribers=data.get("subscribers", ()),
                combined_queue=info.combined_queue,
            )
        # lag: the root's clock minus the time of the last tick the node's worker finished
        for name, node in list(nodes.items()):
            data = got[name]
            lag = None
            if node.node_type == "root" and data.get("queue") is not None:
                lag = data["queue"][0]
            elif node.provider in got and root_now is not None and node.worker_name:
                tick_time = got[node.provider].get("consumers", {}).get(node.worker_name)
                if tick_time is not None:
                    lag = _seconds(root_now - tick_time)
            nodes[name] = replace(node, lag=lag)
        # unreachable nodes go under the member that lists them as subscriber
        parent: dict[str, str | None] = {}
        for name, node in nodes.items():
            if node.reachable:
                parent[name] = node.provider if node.provider in nodes else None
            else:
                parent[name] = next(
                    (p for p, n in sorted(nodes.items()) if name in n.subscribers and p != name),
                    None,
                )
        children: dict[str | None, list[str]] = {}
        for name in sorted(nodes, key=lambda n: (nodes[n].node_type != "root", n)):
            children.setdefault(parent[name], []).append(name)
        ordered: list[NodeStatus] = []
        placed: set[str] = set()

        def walk(name: str, depth: int) -> None:
            if name in placed:
                return
            placed.add(name)
            ordered.append(replace(nodes[name], depth=depth))
            for child in children.get(name, []):
                walk(child, depth + 1)

        for top in children.get(None, []):
            walk(top, 0)
        for name in sorted(nodes):  # a provider loop: still shown
            walk(name, 0)
        return ordered

    def node_status(self, name: str) -> NodeStatus:
        """One member's status (with its lag, which needs its provider and the root)."""
        for node in self.status():
            if node.name == name:
                return node
        raise CascadeError(f'node "{name}" is not a member of queue "{self.queue}"')

    # -- pausing and waiting -------------------------------------------------------------------
    def _wait(self, what: str, check: Callable[[], bool], timeout: float | None = None) -> None:
        limit = self.wait_timeout if timeout is None else timeout
        deadline = None if limit is None else time.monotonic() + limit
        while not check():
            if deadline is not None and time.monotonic() > deadline:
                raise CascadeError(f"{what}: not done within {limit:g} s")
            time.sleep(self.poll_interval)

    def _set_paused(self, node: str, consumer: str, paused: bool) -> None:
        """Pause or resume a cascaded consumer and wait until its worker confirms."""
        if self._request_paused(node, consumer, paused):
            self._confirm_paused(node, consumer, paused)

    def _request_paused(self, node: str, consumer: str, paused: bool) -> bool:
        """Set the pause flag; whether the worker has yet to confirm it."""
        word = "paused" if paused else "resumed"
        state = self._call(node, "pgq_node.get_consumer_state", [self.queue, consumer])[0]
        if state.paused == paused and state.uptodate:
            self._say(f'{node}: consumer "{consumer}" is {word}')
            return False
        if state.paused != paused:
            self._call(node, "pgq_node.set_consumer_paused", [self.queue, consumer, paused])
        self._query(node, "select pg_notify(%s, %s)", [WAKE_CHANNEL, self.queue])
        self._say(f'{node}: consumer "{consumer}" {word}, waiting for it to confirm')
        return True

    def _confirm_paused(self, node: str, consumer: str, paused: bool) -> None:
        def confirmed() -> bool:
            st = self._call(node, "pgq_node.get_consumer_state", [self.queue, consumer])[0]
            if st.paused != paused:
                raise CascadeError(
                    f'node "{node}": consumer "{consumer}" was'
                    f" {'resumed' if paused else 'paused'} meanwhile"
                )
            return bool(st.uptodate)

        self._wait(f'node "{node}": consumer "{consumer}" (is its worker running?)', confirmed)

    def _worker_of(self, node: str) -> str:
        info = self._node_info(node)
        if not info.worker_name:
            raise CascadeError(f'node "{node}" has no worker')
        return str(info.worker_name)

    def pause(self, node: str, consumer: str | None = None) -> None:
        """Pause a node's worker (or another cascaded consumer) and wait until it confirms."""
        self._require_local()
        self._member(node)
        self._set_paused(node, consumer or self._worker_of(node), True)

    def resume(self, node: str, consumer: str | None = None) -> None:
        """Resume a node's worker (or another cascaded consumer) and wait until it confirms."""
        self._require_local()
        self._member(node)
        self._set_paused(node, consumer or self._worker_of(node), False)

    def _wait_position(self, node: str, tick: int, timeout: float | None, why: str) -> None:
        def reached() -> bool:
            info = self._info(node)
            return (info.worker_last_tick or 0) >= tick

        if reached():
            return
        self._say(f"{node}: waiting for tick {tick} ({why})")
        self._wait(f'node "{node}": tick {tick}', reached, timeout)

    def wait_root(self, node: str | None = None, timeout: float | None = None) -> None:
        """Wait until a node (the local one) has the root's last tick."""
        self._require_local()
        node = node or self._local_name or ""
        root = self._root_name()
        if node == root:
            self._say(f"{node} is the root: nothing to wait for")
            return
        self._wait_position(node, self._position(root), timeout, f'root "{root}"')

    def wait_provider(self, node: str | None = None, timeout: float | None = None) -> None:
        """Wait until a node (the local one) has its provider's last tick."""
        self._require_local()
        node = node or self._local_name or ""
        info = self._node_info(node)
        if info.node_type == "root":
            self._say(f"{node} is the root: nothing to wait for")
            return
        provider = info.provider_node
        self._wait_position(node, self._position(provider), timeout, f'provider "{provider}"')

    def wait_sync(self, timeout: float | None = None) -> None:
        """Wait until every live member has the root's last tick."""
        self._require_local()
        root = self._root_name()
        tick = self._position(root)
        limit = self.wait_timeout if timeout is None else timeout
        deadline = None if limit is None else time.monotonic() + limit
        for node in sorted(self._members):
            if node == root or not self._alive(node):
                continue
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._wait_position(node, tick, left, f'root "{root}"')

    # -- changing the tree ------------------------------------------------------------------------
    def change_provider(self, node: str, new_provider: str, consumer: str | None = None) -> None:
        """Make a node's worker (or another cascaded consumer there) read from another node."""
        self._require_local()
        self._change_provider(node, new_provider, consumer)

    def _change_provider(self, node: str, new_provider: str, consumer: str | None = None) -> None:
        if node == new_provider:
            raise CascadeError(f'node "{node}" cannot read from itself')
        self._member(node)
        self._member(new_provider)
        info = self._node_info(node)
        consumer = consumer or info.worker_name
        is_worker = consumer == info.worker_name
        target = self._node_info(new_provider)
        if target.node_type == "leaf":
            raise CascadeError(f'node "{new_provider}" is a leaf: it has no queue to provide')
        if is_worker and info.node_type == "root":
            raise CascadeError(f'node "{node}" is the root: it reads from no provider')
        if is_worker and self._is_upstream(node, new_provider):
            raise CascadeError(
                f'node "{new_provider}" reads from node "{node}": that would make a loop'
            )
        state = self._call(node, "pgq_node.get_consumer_state", [self.queue, consumer])[0]
        old_provider = state.provider_node
        if old_provider == new_provider:
            self._say(f'{node}: consumer "{consumer}" already reads from "{new_provider}"')
            if state.paused:
                self._set_paused(node, consumer, False)
            if is_worker:
                self._drop_stale_subscriptions(node, keep=new_provider)
            return
        self._say(f'{node}: moving consumer "{consumer}" from "{old_provider}" to "{new_provider}"')
        self._set_paused(node, consumer, True)
        state = self._call(node, "pgq_node.get_consumer_state", [self.queue, consumer])[0]
        tick = state.completed_tick
        # the new provider must have the tick the consumer goes on from
        self._wait_for_tick(new_provider, tick)
        location = self._member(node).location
        self._call(new_provider, "pgq_node.register_location", [self.queue, node, location, False])
        if is_worker:
            with self._transaction(new_provider) as conn:
                if node in self._subscribers(new_provider):
                    self._call(
                        new_provider,
                        "pgq_node.unregister_subscriber",
                        [self.queue, node],
                        conn=conn,
                    )
                self._call(
                    new_provider,
                    "pgq_node.register_subscriber",
                    [self.queue, node, consumer, tick],
                    conn=conn,
                )
        else:
            self._query(
                new_provider,
                "select pgq.register_consumer_at(%s, %s, %s)",
                [self.queue, consumer, tick],
            )
        self._say(f'{new_provider}: "{node}" subscribed at tick {tick}')
        self._call(node, "pgq_node.change_consumer_provider", [self.queue, consumer, new_provider])
        self._set_paused(node, consumer, False)
        if not self._alive(old_provider):
            self._say(f'{old_provider}: tagged dead, "{node}" stays registered there')
            return
        try:
            if is_worker:
                self._call(old_provider, "pgq_node.unregister_subscriber", [self.queue, node])
            else:
                self._query(
                    old_provider,
                    "select pgq.unregister_consumer(%s, %s)",
                    [self.queue, consumer],
                )
            self._say(f'{old_provider}: "{node}" unsubscribed')
        except CascadeError as err:
            self._say(f"warning: could not unsubscribe from the old provider: {err}")

    def _wait_for_tick(self, node: str, tick: int) -> None:
        def has_tick() -> bool:
            rows = self._query(
                node,
                "select 1 from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue"
                " where q.queue_name = %s and t.tick_id = %s",
                [self.queue, tick],
            )
            return bool(rows)

        if has_tick():
            return
        top = self._top_tick(node) or 0
        if top > tick:
            raise CascadeError(f'node "{node}" no longer has tick {tick}')
        self._say(f"{node}: waiting for tick {tick}")
        self._wait(f'node "{node}": tick {tick}', has_tick)

    def _drop_stale_subscriptions(self, node: str, keep: str) -> None:
        """Unsubscribe node from every live member but its provider (left by an interrupted run)."""
        for other in sorted(self._members):
            if other in (node, keep) or not self._alive(other):
                continue
            try:
                if self._node_info(other).node_type == "leaf":
                    continue
                if node in self._subscribers(other):
                    self._call(other, "pgq_node.unregister_subscriber", [self.queue, node])
                    self._say(f'{other}: stale subscription of "{node}" removed')
            except CascadeError as err:
                self._say(f"warning: {err}")

    def change_location(self, node: str, location: str) -> None:
        """Record a new public connect string for a node on every live member."""
        self._require_local()
        member = self._member(node)
        try:
            ConnInfo.parse(location)
        except psycopg2.Error as err:
            raise CascadeError(f"bad connect string: {err}") from None
        if not member.dead:
            conn = self._connect_location(location, node)
            try:
                there = self._info(node, conn=conn)
            finally:
                conn.close()
            if there.node_name != node:
                raise CascadeError(
                    f'the new location of node "{node}" reaches'
                    f" {'no node' if there.node_name is None else 'node ' + there.node_name}"
                )
        targets = [n for n in sorted(self._members) if self._alive(n) or n == node]
        for name in targets:
            if self._members[name].dead and name == node:
                continue
            self._call(
                name, "pgq_node.register_location", [self.queue, node, location, member.dead]
            )
            self._say(f"{name}: location of {node} changed")
        self._forget(node)
        self._refresh()

    def tag_dead(self, node: str) -> None:
        """Tag a node dead on every other live member (it is not contacted again)."""
        self._tag(node, True)

    def tag_alive(self, node: str) -> None:
        """Tag a node alive again on every member, itself included."""
        self._tag(node, False)

    def _tag(self, node: str, dead: bool) -> None:
        self._require_local()
        self._member(node)
        word = "dead" if dead else "alive"
        order = [self._local_name or ""] + [
            n for n in sorted(self._members) if n != self._local_name
        ]
        for name in order:
            if name == node and dead:
                continue
            if name != node and name != self._local_name and not self._alive(name):
                continue
            try:
                self._call(
                    name,
                    "pgq_node.register_location",
                    [self.queue, node, None, dead],
                    conn=self._conn(name, dead_ok=True) if name == node else None,
                )
                self._say(f"{name}: {node} tagged {word}")
            except CascadeError as err:
                if name == self._local_name:
                    raise
                self._say(f"warning: {err}")
        self._refresh()

    def drop_node(self, node: str) -> None:
        """Remove a node from the cascade (refused while other nodes read from it)."""
        info = self._require_local()
        if node not in self._members:
            self._say(f'node "{node}" is not a member here')
        member = self._members.get(node)
        dead = member is None or member.dead
        node_info = None
        if not dead:
            node_info = self._info(node)
            if node_info.node_type is not None:
                subs = self._subscribers(node)
                if subs:
                    raise CascadeError(
                        f'node "{node}" still has subscribers: {", ".join(subs)}',
                        hint="move them to another provider first (change provider)",
                    )
        readers = self._subscribers_of(node)
        if readers:
            raise CascadeError(f'node "{node}" still has subscribers: {", ".join(readers)}')
        is_root = node_info is not None and node_info.node_type == "root"
        if not is_root and member is not None:
            try:
                root = self._root_name() if info.node_name != node else None
            except CascadeError as err:
                root = None
                self._say(f"warning: {err}")
            if root is not None and root != node:
                try:
                    self._call(root, "pgq_node.unregister_location", [self.queue, node])
                    self._say(f"{root}: location of {node} unregistered")
                except CascadeError as err:
                    self._say(f"warning: {err}")
        if node_info is not None and node_info.node_type is not None:
            self._call(node, "pgq_node.drop_node", [self.queue, node])
            self._say(f"{node}: node dropped")
        for name in sorted(self._members):
            if name == node or not self._alive(name):
                continue
            try:
                here = self._query(
                    name,
                    "select 1 from pgq_node.get_queue_locations(%s) where node_name = %s",
                    [self.queue, node],
                )
                if here:
                    self._call(name, "pgq_node.drop_node", [self.queue, node])
                    self._say(f"{name}: {node} removed")
            except CascadeError as err:
                self._say(f"warning: {err}")
        self._forget(node)
        if info.node_name != node:
            self._refresh()

    # -- takeover ---------------------------------------------------------------------------------
    def switchover(
        self, new_root_or_branch: str, *, old: str | None = None, all_subscribers: bool = False
    ) -> None:
        """Planned takeover: a live node takes its provider's place (old: another node).

        Taking over the root: the old root stops inserts, its last tick reaches the
        new node, which becomes root, and the old root becomes its branch.  Taking
        over a branch: the new node moves up to the old one's provider and the old
        one reads from it.  all_subscribers: the old node's other subscribers move too.
        On a Londiste queue the table rule is checked first (engine.londiste.switchover:
        the new node replicates all the old one does, in sync; the nodes changing
        provider copy nothing); a refusal changes nothing.
        """
        new = new_root_or_branch
        self._require_local()
        self._member(new)
        new_info = self._node_info(new)
        if old is None:
            if new_info.node_type == "root":
                self._say(f'node "{new}" is the root already')
                self._finish_switchover_root(new)
                return
            old = str(new_info.provider_node)
        self._member(old)
        if old == new:
            raise CascadeError(f'node "{new}" cannot take over itself')
        old_info = self._node_info(old)
        moving = [s for s in self._subscribers_of(old) if s != new] if all_subscribers else []
        self._check_switchover(old, new, moving)
        if all_subscribers:
            for sub in self._subscribers_of(old):
                if sub != new:
                    self._change_provider(sub, new)
        if old_info.node_type == "root":
            self._takeover_root(old, new, new_info)
        else:
            self._takeover_branch(old, new)

    def _check_switchover(self, old: str, new: str, moving: Sequence[str]) -> None:
        """Refuse a switchover that would lose data, before its first step.

        The cascade itself has no rule; with Londiste on the new node its table rule
        applies (engine.londiste.switchover), whichever admin runs the switchover.
        """
        with self._errors(new), self._conn(new).cursor() as cur:
            have = installed_modules(cur)
        if "londiste" in have:
            from engine.londiste.switchover import check_switchover

            check_switchover(self, old, new, moving)

    def _finish_switchover_root(self, new: str) -> None:
        """Finish an interrupted root switchover: a second root left reads from the new one."""
        self._drop_stale_subscriptions(new, keep="")
        self._ensure_resumed(new, self._worker_of(new))
        for name in sorted(self._members):
            if name == new or not self._alive(name):
                continue
            try:
                info = self._node_info(name)
            except CascadeError:
                continue
            if info.node_type == "root":
                self._say(f'node "{name}" is a root too: finishing its demotion')
                self._takeover_root(name, new, self._node_info(new))

    def _takeover_root(self, old: str, new: str, new_info: Any) -> None:
        if new_info.node_type == "leaf":
            raise CascadeError(f'node "{new}" is a leaf: only a branch can become the root')
        old_worker = self._worker_of(old)
        new_worker = str(new_info.worker_name)
        old_info = self._node_info(old)
        if old_info.node_type == "root":
            if new_info.node_type == "branch":
                # the root worker only publishes watermarks: its confirmation can come
                # while the new root catches up
                confirm = self._request_paused(old, old_worker, True)
                self._call(old, "pgq_node.demote_root", [self.queue, 1, new])
                self._say(f"{old}: inserts stopped")
                last_tick = self._call(old, "pgq_node.demote_root", [self.queue, 2, new])[
                    0
                ].last_tick
                self._say(f"{old}: last tick {last_tick}")
                # the new root's worker wakes on its provider's pgq_tick; this wakes it
                # where the provider's ticker sends none (the original's pgq)
                self._query(new, "select pg_notify(%s, %s)", [WAKE_CHANNEL, self.queue])
                self._wait_caught_up(new, new_worker, last_tick)
                if confirm:
                    self._confirm_paused(old, old_worker, True)
            else:  # an earlier run promoted the new root: the old one's last tick stands
                last_tick = self._top_tick(old)
            self._promote(new, new_worker, old, old_worker, last_tick, new_info.provider_node)
            # demoted and resumed in one transaction: no run leaves it demoted but paused
            with self._transaction(old) as conn:
                self._call(old, "pgq_node.demote_root", [self.queue, 1, new], conn=conn)
                self._call(old, "pgq_node.demote_root", [self.queue, 3, new], conn=conn)
                self._call(
                    old, "pgq_node.set_consumer_paused", [self.queue, old_worker, False], conn=conn
                )
            self._say(f'{old}: now a branch reading from "{new}"')
            self._ensure_resumed(old, old_worker)
        else:
            self._say(f"{old}: already a {old_info.node_type}")
            self._promote(new, new_worker, old, old_worker, None, new_info.provider_node)
            self._ensure_resumed(old, old_worker)
        self._say(f'node "{new}" is the root')

    def _ensure_resumed(self, node: str, consumer: str) -> None:
        """Resume a consumer if paused, and wait until its worker has seen its state."""
        state = self._call(node, "pgq_node.get_consumer_state", [self.queue, consumer])[0]
        if state.paused:
            self._set_paused(node, consumer, False)
        elif not state.uptodate:
            self._query(node, "select pg_notify(%s, %s)", [WAKE_CHANNEL, self.queue])
            self._say(f'{node}: waiting for consumer "{consumer}" to confirm')
            self._confirm_paused(node, consumer, False)

    def _wait_caught_up(self, node: str, worker: str, tick: int) -> None:
        state = self._call(node, "pgq_node.get_consumer_state", [self.queue, worker])[0]
        if state.paused:
            self._set_paused(node, worker, False)
        self._wait_position(node, tick, None, "catching up")

    def _promote(
        self,
        new: str,
        new_worker: str,
        old: str,
        old_worker: str,
        last_tick: int | None,
        provider: str | None,
    ) -> None:
        """Make new the root (if not yet) and register old as its subscriber at last_tick."""
        info = self._node_info(new)
        if info.node_type == "branch":
            self._set_paused(new, new_worker, True)
        # the old root subscribes before the promotion: a run interrupted after it
        # still leaves the old root's position (a dead root's gravestone) on record
        if old not in self._subscribers(new):
            if last_tick is None:
                last_tick = self._top_tick(old) if self._alive(old) else None
            self._call(
                new,
                "pgq_node.register_location",
                [self.queue, old, self._member(old).location, self._member(old).dead],
            )
            self._call(
                new, "pgq_node.register_subscriber", [self.queue, old, old_worker, last_tick]
            )
            self._say(f'{new}: "{old}" subscribed at tick {last_tick}')
        if info.node_type == "branch":
            # promoted and resumed in one transaction: no run leaves a paused root
            with self._transaction(new) as conn:
                self._call(new, "pgq_node.promote_branch", [self.queue], conn=conn)
                self._call(
                    new, "pgq_node.set_consumer_paused", [self.queue, new_worker, False], conn=conn
                )
            self._say(f"{new}: promoted to root")
        # the new root reads from nobody: off its provider's (and the old root's) list
        for above in dict.fromkeys(p for p in (provider, old) if p and p != new):
            if not self._alive(above):
                continue
            try:
                if new in self._subscribers(above):
                    self._call(above, "pgq_node.unregister_subscriber", [self.queue, new])
                    self._say(f'{above}: "{new}" unsubscribed')
            except CascadeError as err:
                if above == old:
                    raise
                self._say(f"warning: {err}")
        self._ensure_resumed(new, new_worker)

    def _takeover_branch(self, old: str, new: str) -> None:
        if self._is_upstream(old, new):
            above = self._node_info(old).provider_node
            self._change_provider(new, str(above))
        self._change_provider(old, new)
        self._say(f'node "{new}" took the place of "{old}"')

    def failover(self, new_node: str) -> None:
        """The root is dead: new_node becomes root with everything a survivor received.

        The old root is tagged dead; if another subscriber of it got further, the new
        node first reads the missing batches from there; then it is promoted, the old
        root is kept as a gravestone subscription (for resurrect), and the old root's
        other subscribers move to the new root.
        """
        self._require_local()
        new = new_node
        self._member(new)
        new_info = self._node_info(new)
        if new_info.node_type == "leaf":
            raise CascadeError(f'node "{new}" is a leaf: only a branch can become the root')
        old = self._dead_root(new, new_info)
        if old is None:
            self._say(f'node "{new}" is the root already')
            self._drop_stale_subscriptions(new, keep="")
            self._ensure_resumed(new, str(new_info.worker_name))
            self._move_orphans(new)
            return
        if self._alive(old):
            self.tag_dead(old)
        self._say(f'failover from dead root "{old}" to "{new}"')
        new_worker = str(new_info.worker_name)
        candidates = []
        for name in sorted(self._members):
            if name in (old, new) or not self._alive(name):
                continue
            info = self._info(name)
            if info.node_type == "branch" and info.provider_node == old:
                candidates.append((info.worker_last_tick or 0, name))
        if new_info.node_type == "branch":
            mine = new_info.worker_last_tick or 0
            best = max(candidates, default=(0, ""))
            if best[0] > mine:
                self._say(f"{best[1]} is further (tick {best[0]} > {mine}): reading from it first")
                self._change_provider(new, best[1])
                self._wait_position(new, best[0], None, f'catching up from "{best[1]}"')
            last_tick = max(best[0], mine)
        else:
            last_tick = None
        self._promote(
            new, new_worker, old, old + ".gravestone", last_tick, self._node_info(new).provider_node
        )
        self._move_orphans(new, old)
        self._say(f'node "{new}" is the root')

    def _dead_root(self, new: str, new_info: Any) -> str | None:
        """The root new takes over: its provider up the chain, a dead node."""
        if new_info.node_type == "root":
            return None
        node = str(new_info.provider_node)
        seen = {new}
        while node not in seen:
            seen.add(node)
            member = self._member(node)
            if member.dead:
                return node
            try:
                info = self._node_info(node)
            except CascadeError:
                return node  # down: the dead root
            if info.node_type == "root":
                raise CascadeError(
                    f'the root "{node}" is alive',
                    hint="take it over with switchover, or tag it dead first",
                )
            node = str(info.provider_node)
        raise CascadeError(f'provider loop above node "{new}"')

    def takeover_dead_branch(self, old: str, new: str) -> None:
        """A branch is dead: new takes its place, and every node that read from it reads from new.

        When new itself read from the dead branch it first moves up to the node the
        dead branch read from (the member that lists it as subscriber, else the root).
        """
        self._require_local()
        self._member(old)
        self._member(new)
        if old == new:
            raise CascadeError(f'node "{new}" cannot take over itself')
        new_info = self._node_info(new)
        if new_info.node_type == "leaf":
            raise CascadeError(f'node "{new}" is a leaf: it cannot provide for other nodes')
        if self._alive(old):
            self.tag_dead(old)
        if new_info.provider_node == old:
            above = None
            for name in sorted(self._members):
                if name in (old, new) or not self._alive(name):
                    continue
                try:
                    if old in self._subscribers(name):
                        above = name
                        break
                except CascadeError as err:
                    self._say(f"warning: {err}")
            self._change_provider(new, above or self._root_name())
        self._move_orphans(new, old)
        self._say(f'node "{new}" took the place of dead "{old}"')

    def _move_orphans(self, new: str, old: str | None = None) -> None:
        """Move every live node that reads from a dead node to the new root."""
        for name in sorted(self._members):
            if name == new or not self._alive(name):
                continue
            try:
                info = self._node_info(name)
            except CascadeError as err:
                self._say(f"warning: {err}")
                continue
            provider = info.provider_node
            if info.node_type == "root" or provider is None:
                continue
            if provider == old or not self._alive(provider):
                if info.node_type == "leaf" and (info.worker_last_tick or 0) > self._position(new):
                    self._say(
                        f"warning: leaf {name} is at tick {info.worker_last_tick}, beyond the"
                        f" new root: it stays on {provider}"
                    )
                    continue
                self._change_provider(name, new)

    # -- resurrect --------------------------------------------------------------------------------
    def resurrect(self, node: str, dump_file: str | None = None) -> str:
        """Bring a dead old root back as a branch; the events nobody got go to dump_file.

        The node holding its gravestone becomes its provider, the events after the
        failover tick are written as JSON and removed, and the worker is left paused
        (resume it when the dump has been looked at).  Returns the dump path.
        """
        self._require_local()
        self._member(node)
        path = os.path.abspath(dump_file or RESURRECT_DUMP_FILE)
        if os.path.lexists(path):
            raise CascadeError(f"the dump file {path} exists: move it away first")
        here_conn = self._conn(node, dead_ok=True)
        info = self._info(node, conn=here_conn)
        if info.node_type is None:
            raise CascadeError(f'node "{node}" has no node of queue "{self.queue}"')
        if info.node_type == "leaf":
            raise CascadeError(f'node "{node}" is a leaf: it has no events to resurrect')
        gravestone = node + ".gravestone"
        holder, failover_tick, root = None, None, None
        for name in sorted(self._members):
            if name == node or not self._alive(name):
                continue
            try:
                rows = self._query(
                    name,
                    "select last_tick from pgq.get_consumer_info(%s, %s)",
                    [self.queue, gravestone],
                )
                other = self._info(name)
            except CascadeError as err:
                self._say(f"warning: {err}")
                continue
            if rows:
                if holder is not None:
                    raise CascadeError(f"two gravestones of {node}: on {holder} and {name}")
                holder, failover_tick = name, rows[0].last_tick
            if other.node_type == "root":
                root = name
        if root is None:
            raise CascadeError("no live root found")
        if holder is None or failover_tick is None:
            raise CascadeError(f'no node keeps the failover position of "{node}" ({gravestone})')
        self._say(f'{holder}: failover position of "{node}" is tick {failover_tick}')
        state = self._call(node, "pgq_node.get_worker_state", [self.queue], conn=here_conn)[0]
        worker = state.worker_name
        if info.node_type == "root":
            self._say(f"{node}: demoting to branch of {holder}")
            self._call(node, "pgq_node.demote_root", [self.queue, 1, holder], conn=here_conn)
            self._call(node, "pgq_node.demote_root", [self.queue, 2, holder], conn=here_conn)
            with self._errors(node), atomic(here_conn):
                self._call(node, "pgq_node.demote_root", [self.queue, 3, holder], conn=here_conn)
                self._call(
                    node, "pgq_node.set_consumer_paused", [self.queue, worker, True], conn=here_conn
                )
        elif not state.paused:
            self._call(
                node, "pgq_node.set_consumer_paused", [self.queue, worker, True], conn=here_conn
            )
        self._say(f"{node}: worker {worker} paused")
        with self._errors(node), atomic(here_conn):
            for sub in self._query(
                node,
                "select node_name from pgq_node.get_subscriber_info(%s)",
                [self.queue],
                conn=here_conn,
            ):
                self._call(
                    node,
                    "pgq_node.unregister_subscriber",
                    [self.queue, sub.node_name],
                    conn=here_conn,
                )
                self._say(f"{node}: old subscriber {sub.node_name} dropped")
            for cons in self._query(
                node,
                "select consumer_name from pgq.get_consumer_info(%s)",
                [self.queue],
                conn=here_conn,
            ):
                if not cons.consumer_name.startswith("."):
                    self._query(
                        node,
                        "select pgq.unregister_consumer(%s, %s)",
                        [self.queue, cons.consumer_name],
                        conn=here_conn,
                    )
                    self._say(f"{node}: old consumer {cons.consumer_name} dropped")
        count = self._dump_lost_events(node, here_conn, failover_tick, path)
        self._say(f"{node}: {count} lost events written to {path} and removed")
        self._call(
            node,
            "pgq_node.set_consumer_completed",
            [self.queue, worker, failover_tick],
            conn=here_conn,
        )
        with self._transaction(holder) as conn:
            if node in self._subscribers(holder):
                self._call(holder, "pgq_node.unregister_subscriber", [self.queue, node], conn=conn)
            row = self._call(
                holder,
                "pgq_node.register_subscriber",
                [self.queue, node, worker, failover_tick],
                conn=conn,
            )[0]
        self._say(f'{holder}: "{node}" subscribed at tick {failover_tick}')
        self._call(
            node,
            "pgq_node.set_global_watermark",
            [self.queue, row.global_watermark],
            conn=here_conn,
        )
        self.tag_alive(node)  # on every member: the node itself may not know it was dead
        self._say(f'node "{node}" resurrected as a branch of "{holder}"; its worker is paused')
        return path

    def _dump_lost_events(
        self, node: str, conn: psycopg2.extensions.connection, failover_tick: int, path: str
    ) -> int:
        """Write the events after failover_tick to path (JSON) and delete them and their ticks."""
        dumper = node + ".dumper"
        self._query(
            node,
            "select pgq.register_consumer_at(%s, %s, %s)",
            [self.queue, dumper, failover_tick],
            conn=conn,
        )
        ids: list[int] = []
        final_tick = failover_tick
        tmp = path + ".part"
        with open(tmp, "w", encoding="utf-8") as out:
            out.write("[")
            first = True
            while True:
                batch = self._query(
                    node,
                    "select * from pgq.next_batch_info(%s, %s)",
                    [self.queue, dumper],
                    conn=conn,
                )[0]
                if batch.batch_id is None:
                    break
                final_tick = batch.cur_tick_id
                for ev in self._query(
                    node, "select * from pgq.get_batch_events(%s)", [batch.batch_id], conn=conn
                ):
                    record = {
                        "ev_id": ev.ev_id,
                        "ev_type": ev.ev_type,
                        "ev_data": ev.ev_data,
                        "ev_extra1": ev.ev_extra1,
                        "ev_extra2": ev.ev_extra2,
                        "ev_extra3": ev.ev_extra3,
                        "ev_extra4": ev.ev_extra4,
                        "ev_time": ev.ev_time.isoformat(),
                        "ev_txid": ev.ev_txid,
                        "ev_retry": ev.ev_retry,
                        "tick_id": batch.cur_tick_id,
                        "prev_tick_id": batch.prev_tick_id,
                    }
                    out.write(("\n" if first else ",\n") + json.dumps(record))
                    first = False
                    ids.append(ev.ev_id)
                self._query(node, "select pgq.finish_batch(%s)", [batch.batch_id], conn=conn)
            out.write("\n]\n")
        os.replace(tmp, path)
        with self._errors(node), atomic(conn):
            self._query(
                node, "select pgq.unregister_consumer(%s, %s)", [self.queue, dumper], conn=conn
            )
            if final_tick != failover_tick:
                prefix = self._query(
                    node,
                    "select queue_data_pfx from pgq.queue where queue_name = %s",
                    [self.queue],
                    conn=conn,
                )[0][0]
                schema, _, table = prefix.partition(".")
                if ids:
                    self._query(
                        node,
                        sql.SQL("delete from {} where ev_id = any(%s)").format(
                            sql.Identifier(schema, table)
                        ),
                        [ids],
                        conn=conn,
                    )
                self._query(
                    node,
                    "delete from pgq.tick t using pgq.queue q where q.queue_name = %s"
                    " and t.tick_queue = q.queue_id and t.tick_id > %s and t.tick_id <= %s",
                    [self.queue, failover_tick, final_tick],
                    conn=conn,
                )
        return len(ids)

    # -- rename -----------------------------------------------------------------------------------
    def rename_node(self, old: str, new: str) -> None:
        """Give a node a new name on every member (pgq_node.rename_node_step1, then step2).

        Between the two steps both names work everywhere, so the workers go on; both
        steps are idempotent, so an interrupted rename is finished by running it again.
        """
        self._require_local()
        if old == new:
            raise CascadeError("the new name is the old one")
        if old not in self._members:
            if new in self._members:
                self._say(f'node "{old}" is already renamed to "{new}" here: finishing')
            else:
                self._member(old)
        member = self._members.get(old) or self._members[new]
        if member.dead:
            raise CascadeError(f'node "{old}" is tagged dead')
        live = [n for n in sorted(self._members) if self._alive(n)]
        for name in live:  # every live member reachable before anything changes
            self._conn(name)
        try:
            root = self._root_name()
        except CascadeError:
            root = old
        if root not in live:
            root = new if new in live else live[0]
        order = [root] + [n for n in live if n != root]
        for step in (1, 2):
            for name in order:
                row = self._call(name, f"pgq_node.rename_node_step{step}", [self.queue, old, new])[
                    0
                ]
                self._say(f"{name}: {row.ret_note}")
                if step == 2 and name == old:
                    # the renamed node answers to its new name from now on
                    if old in self._conns:
                        self._conns[new] = self._conns.pop(old)
                    if self._local_name == old:
                        self._local_name = new
                    self._members[new] = replace(member, name=new)
        self._say(f'node "{old}" renamed to "{new}"')
        self._refresh()
