create or replace function pgq.tune_storage(i_queue_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.tune_storage(1)
--
--      Set storage parameters on the queue's data tables: they are
--      filled once and truncated whole, so free space and autovacuum
--      only cost.
--
-- Parameters:
--      i_queue_name - name of the queue
--
-- Returns:
--      1 when done, 0 if the queue does not exist.
-- ----------------------------------------------------------------------
declare
    tbl  text;
    q    record;
begin
    select * into q from pgq.queue where queue_name = i_queue_name;
    if not found then
        return 0;
    end if;
    for i in 0 .. (q.queue_ntables - 1) loop
        tbl := pgq.quote_fqname(q.queue_data_pfx || '_' || i::text);
        execute 'alter table ' || tbl || ' set (fillfactor = 100, '
            || 'autovacuum_enabled = off, toast.autovacuum_enabled = off)';
    end loop;
    return 1;
end;
$$ language plpgsql strict security definer set search_path = pg_catalog, pg_temp;
