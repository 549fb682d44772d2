"""The exporter's SQL: a fixed set of set-returning reads per database, whatever it holds.

Every query answers for all queues (consumers, nodes, tables) at once, so a scrape
costs the same number of round trips with one queue or a thousand.  They call the
SQL API's functions where one answers for everything quickly
(``pgq.get_consumer_info()``), and read the modules' tables (granted to readers:
pgq's and londiste's to public, pgq_node's to pgq_reader) where the API has only
per-queue functions, which would cost a round of queries per queue inside the
server (``pgq.get_queue_info()``, ``pgq_node.get_subscriber_info``,
``londiste.get_table_list``), or returns nothing of the kind (retry counts).
"""

from __future__ import annotations

__all__ = ["CONSUMERS_SQL", "MODULES_SQL", "NODES_SQL", "QUEUES_SQL", "TABLES_SQL"]

#: which modules are installed, and the server's clock, in the first round trip
MODULES_SQL = """
select current_timestamp,
       pg_catalog.to_regnamespace('pgq') is not null
           and pg_catalog.to_regprocedure('pgq.get_consumer_info()') is not null as has_pgq,
       pg_catalog.to_regnamespace('pgq_node') is not null as has_pgq_node,
       pg_catalog.to_regnamespace('londiste') is not null as has_londiste
"""

#: per queue: ticker lag, event sequence position (events ever inserted), retry queue
#: size, events per second over the last 20 ticks.  The numbers pgq.get_queue_info()
#: gives, computed set-based: that function loops over the queues with three queries
#: and a dynamic sequence read each (about 100 ms at 1,000 queues); this is one plan
#: with index lookups (about 10 ms).
QUEUES_SQL = """
select q.queue_name,
       extract(epoch from current_timestamp - top.tick_time)::float8 as ticker_lag,
       coalesce(pg_catalog.pg_sequence_last_value(q.queue_event_seq::regclass),
                top.tick_event_seq, 0)::float8 as events,
       coalesce(r.n, 0) as retry_events,
       q.queue_ticker_paused as paused,
       case when old.tick_time < top.tick_time
            then (top.tick_event_seq - old.tick_event_seq)
                 / extract(epoch from top.tick_time - old.tick_time)
       end::float8 as ev_per_sec
  from pgq.queue q
  left join lateral (
       select t.tick_id, t.tick_time, t.tick_event_seq from pgq.tick t
        where t.tick_queue = q.queue_id
        order by t.tick_queue desc, t.tick_id desc limit 1) top on true
  left join lateral (
       select t.tick_time, t.tick_event_seq from pgq.tick t
        where t.tick_queue = q.queue_id and t.tick_id >= top.tick_id - 20
        order by t.tick_queue, t.tick_id limit 1) old on true
  left join (select s.sub_queue, pg_catalog.count(*) as n
               from pgq.retry_queue rq
               join pgq.subscription s on s.sub_id = rq.ev_owner
              group by s.sub_queue) r on r.sub_queue = q.queue_id
 order by 1
"""

#: per consumer: lag, idle time, events between its last tick and the queue's top tick
CONSUMERS_SQL = """
select queue_name, consumer_name,
       extract(epoch from lag)::float8 as lag,
       extract(epoch from last_seen)::float8 as last_seen,
       pending_events
  from pgq.get_consumer_info()
 order by 1, 2
"""

#: the local node of each cascaded queue, and the subscribers it feeds (their workers
#: are consumers of this queue here, so their lag is read here too).  The tables
#: that pgq_node.get_node_info / get_subscriber_info read, joined once: calling those
#: per queue in a lateral join cost 0.5 ms a queue (1.4 s at 1,000 cascaded queues).
NODES_SQL = """
select n.queue_name, n.node_name, n.node_type, n.worker_name,
       s.subscriber_node as subscriber, s.worker_name as subscriber_worker
  from pgq_node.node_info n
  left join pgq_node.subscriber_info s on s.queue_name = n.queue_name
 order by 1, 5
"""

#: Londiste tables of this node and their replication state (londiste.get_table_list's
#: columns, read from its table for all queues at once)
TABLES_SQL = """
select t.queue_name, t.table_name, t.merge_state
  from londiste.table_info t
 where t.local
 order by 1, 2
"""
