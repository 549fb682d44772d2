create or replace function londiste.global_add_table(
    in i_queue_name text,
    in i_table_name text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.global_add_table(2)
--
--      Register a table in a queue (not replicated here yet): on the root
--      by local_add_table, elsewhere by the worker on the event
--      londiste.add-table.  A leaf merged into a combined queue registers
--      it there too.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_table_name - table name
--
-- Returns:
--      200 - Table added / Table already added
--      400 - No such queue
--
-- Tables directly manipulated:
--      insert - londiste.table_info
-- ----------------------------------------------------------------------
declare
    v_fqname   text := londiste.make_fqname(i_table_name);
    v_combined text;
begin
    -- one transaction at a time adds to the queue's table list: an advisory lock, as the
    -- row lock of the original needs UPDATE rights on pgq_node.node_info,
    -- which no role has here
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('londiste.queue'),
                                             pg_catalog.hashtext(i_queue_name));
    select n.combined_queue into v_combined
      from pgq_node.node_info n
     where n.queue_name = i_queue_name;
    if not found then
        select 400, 'No such queue: ' || i_queue_name into ret_code, ret_note;
        return;
    end if;
    insert into londiste.table_info (queue_name, table_name)
    values (i_queue_name, v_fqname)
    on conflict (queue_name, table_name) do nothing;
    if not found then
        select 200, 'Table already added: ' || v_fqname into ret_code, ret_note;
        return;
    end if;
    select 200, 'Table added: ' || i_table_name into ret_code, ret_note;
    if v_combined is not null then
        perform londiste.global_add_table(v_combined, i_table_name);
    end if;
    return;
end;
$$ language plpgsql strict;
