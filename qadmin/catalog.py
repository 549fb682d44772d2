"""The catalog snapshot that completion reads: immutable, fetched in one go."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import psycopg2.extensions

from engine.admin.queue import SETTINGS

__all__ = ["EMPTY", "Catalog", "fetch_catalog", "register_names"]

log = logging.getLogger(__name__)

PGQ_PRESENT_SQL = "select pg_catalog.to_regclass('pgq.queue') is not null"
QUEUES_SQL = "select queue_name from pgq.queue order by 1"
SUBSCRIPTIONS_SQL = """
select q.queue_name, c.co_name, s.sub_id, s.sub_batch
  from pgq.subscription s
  join pgq.queue q on q.queue_id = s.sub_queue
  join pgq.consumer c on c.co_id = s.sub_consumer
 order by 1, 2
"""
TICKS_SQL = """
select q.queue_name, t.tick_id
  from (select tick_queue, tick_id,
               row_number() over (partition by tick_queue order by tick_id desc) as rn
          from pgq.tick) t
  join pgq.queue q on q.queue_id = t.tick_queue
 where t.rn <= %s
 order by 1, 2 desc
"""
RELATIONS_SQL = """
select n.nspname, c.relname, c.relkind
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p', 'S')
   and n.nspname not in ('pg_catalog', 'information_schema', 'pgq', 'pgq_coop',
                         'pgq_node', 'pgq_ext', 'londiste')
   and n.nspname !~ '^pg_'
 order by 1, 2
"""
DATABASES_SQL = (
    "select datname from pg_catalog.pg_database where datallowconn and not datistemplate order by 1"
)
USERS_SQL = "select rolname from pg_catalog.pg_roles where rolcanlogin order by 1"
NODES_PRESENT_SQL = "select pg_catalog.to_regclass('pgq_node.node_location') is not null"
NODES_SQL = "select distinct node_name from pgq_node.node_location order by 1"
TICKS_PER_QUEUE = 10

_EMPTY_MAP: Mapping = MappingProxyType({})


def _empty() -> Mapping:
    return _EMPTY_MAP


@dataclass(frozen=True)
class Catalog:
    """Names completion can offer, as they were at one moment."""

    queues: tuple[str, ...] = ()
    consumers: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)  # queue -> names
    subconsumers: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=_empty)
    batches: Mapping[str, tuple[int, ...]] = field(default_factory=_empty)  # queue -> open ids
    ticks: Mapping[str, tuple[int, ...]] = field(default_factory=_empty)  # queue -> newest first
    tables: tuple[str, ...] = ()
    sequences: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ("localhost",)
    nodes: tuple[str, ...] = ()
    settings: tuple[str, ...] = tuple(SETTINGS)
    fetched_at: float | None = None
    all_consumers: tuple[str, ...] = ()
    # names of kinds that later command families add (see register_names)
    extra: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)

    @classmethod
    def build(cls, **kw) -> Catalog:  # type: ignore[no-untyped-def]
        """A catalog from plain dicts and lists (tests, benchmarks)."""
        consumers = {q: tuple(v) for q, v in kw.pop("consumers", {}).items()}
        subs = {k: tuple(v) for k, v in kw.pop("subconsumers", {}).items()}
        batches = {q: tuple(v) for q, v in kw.pop("batches", {}).items()}
        ticks = {q: tuple(v) for q, v in kw.pop("ticks", {}).items()}
        extra = {k: tuple(v) for k, v in kw.pop("extra", {}).items()}
        every = sorted({c for names in consumers.values() for c in names})
        tuples = {k: tuple(v) for k, v in kw.items() if isinstance(v, (list, tuple))}
        kw.update(tuples)
        return cls(
            consumers=MappingProxyType(consumers),
            subconsumers=MappingProxyType(subs),
            batches=MappingProxyType(batches),
            ticks=MappingProxyType(ticks),
            extra=MappingProxyType(extra),
            all_consumers=tuple(every),
            **kw,
        )

    def consumers_of(self, queue: str | None) -> tuple[str, ...]:
        """Consumers of one queue, or of every queue when none is known."""
        if queue is None:
            return self.all_consumers
        return self.consumers.get(queue, ())

    def batches_of(self, queue: str | None) -> tuple[int, ...]:
        if queue is None:
            return tuple(sorted({b for ids in self.batches.values() for b in ids}))
        return self.batches.get(queue, ())


EMPTY = Catalog()

# kind -> function(cursor) -> names, for slots that later families declare
# (e.g. DAEMON_SLOT): register_names("daemon", fetch_daemon_names)
_NAME_FETCHERS: dict[str, Callable[[psycopg2.extensions.cursor], list[str]]] = {}


def register_names(kind: str, fetch: Callable[[psycopg2.extensions.cursor], list[str]]) -> None:
    """Let a command family add a kind of name to the catalog (completion of KIND_SLOT)."""
    _NAME_FETCHERS[kind] = fetch


def _hosts() -> list[str]:
    names = {"localhost"}
    try:
        for line in Path("/etc/hosts").read_text().splitlines():
            for word in line.split("#")[0].split()[1:]:
                if not word.startswith("ip6-"):
                    names.add(word)
    except OSError:
        pass
    return sorted(names)


def fetch_catalog(conn: psycopg2.extensions.connection) -> Catalog:
    """Read every name completion may offer, in one read-only transaction."""
    queues: list[str] = []
    consumers: dict[str, list[str]] = defaultdict(list)
    subconsumers: dict[tuple[str, str], list[str]] = defaultdict(list)
    batches: dict[str, list[int]] = defaultdict(list)
    ticks: dict[str, list[int]] = defaultdict(list)
    tables: list[str] = []
    sequences: list[str] = []
    nodes: list[str] = []
    with conn.cursor() as cur:
        cur.execute(PGQ_PRESENT_SQL)
        if cur.fetchone()[0]:
            cur.execute(QUEUES_SQL)
            queues = [r[0] for r in cur.fetchall()]
            cur.execute(SUBSCRIPTIONS_SQL)
            groups: dict[tuple[str, int], list[str]] = defaultdict(list)
            for queue, name, sub_id, batch in cur.fetchall():
                groups[(queue, sub_id)].append(name)
                if batch is not None:
                    batches[queue].append(batch)
            for (queue, _), names in groups.items():
                mains = [
                    n for n in names if len(names) == 1 or any(o.startswith(n + ".") for o in names)
                ] or names
                for main in mains:
                    consumers[queue].append(main)
                    for other in names:
                        if other.startswith(main + "."):
                            subconsumers[(queue, main)].append(other[len(main) + 1 :])
            for names in consumers.values():
                names.sort()
            cur.execute(TICKS_SQL, (TICKS_PER_QUEUE,))
            for queue, tick_id in cur.fetchall():
                ticks[queue].append(tick_id)
        cur.execute(RELATIONS_SQL)
        for schema, name, kind in cur.fetchall():
            qualified = name if schema == "public" else f"{schema}.{name}"
            (sequences if kind == "S" else tables).append(qualified)
        cur.execute(DATABASES_SQL)
        databases = [r[0] for r in cur.fetchall()]
        cur.execute(USERS_SQL)
        users = [r[0] for r in cur.fetchall()]
        cur.execute(NODES_PRESENT_SQL)
        if cur.fetchone()[0]:
            cur.execute(NODES_SQL)
            nodes = [r[0] for r in cur.fetchall()]
        extra: dict[str, list[str]] = {}
        from qadmin.commands.registry import load_handlers

        load_handlers()  # the command families register their fetchers on import
        for kind, fetch in _NAME_FETCHERS.items():
            try:
                extra[kind] = list(fetch(cur))
            except Exception:  # one family's failure must not empty the whole catalog
                log.debug("fetching %s names failed", kind, exc_info=True)
    if not conn.autocommit:
        conn.rollback()
    return Catalog.build(
        queues=queues,
        consumers=consumers,
        subconsumers=subconsumers,
        batches=batches,
        ticks=ticks,
        tables=tables,
        sequences=sequences,
        databases=databases,
        users=users,
        hosts=_hosts(),
        nodes=nodes,
        extra=extra,
        fetched_at=time.time(),
    )
