"""The names a console offers for completion, read in one go: catalog queries and local names.

fetch_names() answers a plain mapping (field -> names) that the console turns
into its immutable Catalog snapshot; every query is a module constant.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg2.extensions

from engine import supervisor
from engine.admin.queue import SETTINGS
from engine.admin.server import installed_modules
from engine.daemon_keys import consumer_keys, exporter_keys, ticker_keys, worker_keys
from engine.handlers import HANDLER_NAMES
from engine.londiste.handlers import handler_names as londiste_handler_names

__all__ = ["TICKS_PER_QUEUE", "fetch_names", "host_names", "local_names"]

log = logging.getLogger(__name__)

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
                         'pgq_node', 'pgq_ext', 'londiste', 'qadmin_ext')
   and n.nspname !~ '^pg_'
 order by 1, 2
"""
DATABASES_SQL = (
    "select datname from pg_catalog.pg_database where datallowconn and not datistemplate order by 1"
)
USERS_SQL = "select rolname from pg_catalog.pg_roles where rolcanlogin order by 1"
NODES_SQL = "select queue_name, node_name from pgq_node.node_location order by 1, 2"
TICKS_PER_QUEUE = 10
# per queue, the tables and sequences added on this node (t, s) and those that could be
# added (nt, ns: londiste.local_show_missing, on the root the database's tables and
# sequences not added, elsewhere those of the queue's set not added here: the ones
# the root publishes, without asking the provider over another connection)
LONDISTE_SQL = """
select n.queue_name, 't' as kind, t.table_name as obj
  from pgq_node.node_info n, lateral londiste.get_table_list(n.queue_name) t
 where t.local
union all
select n.queue_name, 's', s.seq_name
  from pgq_node.node_info n, lateral londiste.get_seq_list(n.queue_name) s
 where s.local
union all
select n.queue_name, case when m.obj_kind = 'S' then 'ns' else 'nt' end, m.obj_name
  from pgq_node.node_info n, lateral londiste.local_show_missing(n.queue_name) m
 order by 1, 2, 3
"""
_LONDISTE_FIELDS = {
    "t": "londiste_tables",
    "s": "londiste_seqs",
    "nt": "londiste_missing_tables",
    "ns": "londiste_missing_seqs",
}


def _pgq_names(cur: psycopg2.extensions.cursor) -> dict[str, Any]:
    """Queues, consumers and subconsumers by queue, open batches, newest ticks."""
    consumers: dict[str, list[str]] = defaultdict(list)
    subconsumers: dict[tuple[str, str], list[str]] = defaultdict(list)
    batches: dict[str, list[int]] = defaultdict(list)
    ticks: dict[str, list[int]] = defaultdict(list)
    cur.execute(QUEUES_SQL)
    queues = [r[0] for r in cur.fetchall()]
    cur.execute(SUBSCRIPTIONS_SQL)
    groups: dict[tuple[str, int], list[str]] = defaultdict(list)
    for queue, name, sub_id, batch in cur.fetchall():
        groups[(queue, sub_id)].append(name)
        if batch is not None:
            batches[queue].append(batch)
    # a pgq_coop consumer and its subconsumers share one subscription: main.sub
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
    return {
        "queues": queues,
        "consumers": consumers,
        "subconsumers": subconsumers,
        "batches": batches,
        "ticks": ticks,
    }


def host_names() -> list[str]:
    """localhost and the names of /etc/hosts (what CONNECT host= may be)."""
    names = {"localhost"}
    try:
        for line in Path("/etc/hosts").read_text().splitlines():
            for word in line.split("#")[0].split()[1:]:
                if not word.startswith("ip6-"):
                    names.add(word)
    except OSError:
        pass
    return sorted(names)


def local_names() -> dict[str, Any]:
    """Names that come from this machine, not from a database: daemons, handlers, keys."""
    try:
        daemons = supervisor.names()
        stopped = supervisor.stopped_names()
    except OSError:  # an unreadable state directory: no daemon names, not no catalog
        log.debug("listing daemons failed", exc_info=True)
        daemons, stopped = [], []
    return {
        "daemons": daemons,
        "stopped_daemons": stopped,
        "handlers": list(HANDLER_NAMES),
        "londiste_handlers": londiste_handler_names(),
        "ticker_keys": list(ticker_keys()),
        "consumer_keys": list(consumer_keys()),
        "worker_keys": list(worker_keys()),
        "exporter_keys": list(exporter_keys()),
        "hosts": host_names(),
        "settings": list(SETTINGS),
    }


def fetch_names(conn: psycopg2.extensions.connection) -> dict[str, Any]:
    """Every name completion may offer, the database's read in one read-only transaction."""
    out: dict[str, Any] = local_names()
    tables: list[str] = []
    sequences: list[str] = []
    with conn.cursor() as cur:
        modules = installed_modules(cur)
        if "pgq" in modules:
            out.update(_pgq_names(cur))
        cur.execute(RELATIONS_SQL)
        for schema, name, kind in cur.fetchall():
            qualified = name if schema == "public" else f"{schema}.{name}"
            (sequences if kind == "S" else tables).append(qualified)
        cur.execute(DATABASES_SQL)
        out["databases"] = [r[0] for r in cur.fetchall()]
        cur.execute(USERS_SQL)
        out["users"] = [r[0] for r in cur.fetchall()]
        if "pgq_node" in modules:
            cur.execute(NODES_SQL)
            members: dict[str, list[str]] = defaultdict(list)
            for queue, node in cur.fetchall():
                members[queue].append(node)
            out["queue_nodes"] = members
            out["nodes"] = sorted({n for names in members.values() for n in names})
        if "londiste" in modules and "pgq_node" in modules:
            cur.execute(LONDISTE_SQL)
            found: dict[str, dict[str, list[str]]] = {
                k: defaultdict(list) for k in _LONDISTE_FIELDS
            }
            for queue, kind, obj in cur.fetchall():
                short = obj[len("public.") :] if obj.startswith("public.") else obj
                found[kind][queue].append(short)
            for kind, name in _LONDISTE_FIELDS.items():
                out[name] = found[kind]
    if not conn.autocommit:
        conn.rollback()
    out["tables"] = tables
    out["sequences"] = sequences
    return out
