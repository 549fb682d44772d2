create or replace function londiste.local_show_missing(
    in i_queue_name text,
    out obj_kind text,
    out obj_name text)
returns setof record as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_show_missing(1)
--
--      What could still be added on this node.  On the root: the tables
--      and sequences of the database not replicated yet (system and
--      replication schemas left out: also qadmin_ext, our pgq_ext);
--      elsewhere: the tables and
--      sequences of the queue not replicated here.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--
-- Returns:
--      obj_kind - 'r' table or 'S' sequence
--      obj_name - schema.name
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    if pgq_node.is_root_node(i_queue_name) then
        return query
            select c.relkind::text, n.nspname || '.' || c.relname
              from pg_catalog.pg_class c
              join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             where c.relkind in ('r', 'S')
               and n.nspname not in ('pgq', 'pgq_ext', 'pgq_node', 'londiste', 'qadmin_ext',
                                     'pg_catalog', 'information_schema')
               and n.nspname !~ '^pg_(toast|temp)'
               and not exists (
                   select 1 from londiste.table_info t
                    where t.queue_name = i_queue_name and t.local
                      and coalesce(t.dest_table, t.table_name) = n.nspname || '.' || c.relname)
             order by 1, 2;
    else
        return query
            select k, x
              from (select 'S'::text as k, s.seq_name as x from londiste.seq_info s
                     where s.queue_name = i_queue_name and not s.local
                    union all
                    select 'r', t.table_name from londiste.table_info t
                     where t.queue_name = i_queue_name and not t.local) m
             order by 1, 2;
    end if;
end;
$$ language plpgsql strict stable;
