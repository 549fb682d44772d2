create or replace function londiste.get_valid_pending_fkeys(i_queue_name text)
returns setof londiste.pending_fkeys as $$
-- ----------------------------------------------------------------------
-- Function: londiste.get_valid_pending_fkeys(1)
--
--      The dropped foreign keys the worker of a queue may restore now: both
--      tables are replicated here and in sync (merge_state ok, no copy
--      snapshot) in every queue that fills them, at least one is in this
--      queue, and this queue is the one in charge (of the queues filling
--      them: the root's, else a branch combined queue's, else the first).
--
-- Parameters:
--      i_queue_name - cascaded queue name
--
-- Returns:
--      rows of londiste.pending_fkeys
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return query
        with sides as (
            select f.from_table, f.to_table, f.fkey_name, f.fkey_def, s.tbl,
                   (select pg_catalog.count(*) from londiste.table_info t
                     where t.local and coalesce(t.dest_table, t.table_name) = s.tbl) as total,
                   (select pg_catalog.count(*) from londiste.table_info t
                     where t.local and coalesce(t.dest_table, t.table_name) = s.tbl
                       and t.queue_name = i_queue_name) as matching,
                   (select pg_catalog.count(*) from londiste.table_info t
                     where t.local and coalesce(t.dest_table, t.table_name) = s.tbl
                       and t.merge_state = 'ok' and t.custom_snapshot is null) as in_sync
              from londiste.pending_fkeys f
             cross join lateral (values (f.from_table), (f.to_table)) s(tbl)
        )
        select s.from_table, s.to_table, s.fkey_name, s.fkey_def
          from sides s
         group by s.from_table, s.to_table, s.fkey_name, s.fkey_def
        having pg_catalog.bool_and(s.total > 0 and s.in_sync = s.total)
           and pg_catalog.sum(s.matching) > 0
           and i_queue_name is not distinct from (
                   select coalesce(
                              min(case when c.node_type = 'root' then t.queue_name end),
                              min(case when c.node_type = 'branch' then c.queue_name end),
                              min(t.queue_name))
                     from londiste.table_info t
                     join pgq_node.node_info n on n.queue_name = t.queue_name
                     left join pgq_node.node_info c on c.queue_name = n.combined_queue
                    where t.local
                      and coalesce(t.dest_table, t.table_name) in (s.from_table, s.to_table))
         order by 1, 2, 3;
end;
$$ language plpgsql strict stable;
