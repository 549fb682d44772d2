create or replace function londiste.global_remove_table(
    in i_queue_name text,
    in i_table_name text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.global_remove_table(2)
--
--      Forget a table of a queue: on the root by local_remove_table,
--      elsewhere by the worker on the event londiste.remove-table (which
--      also stops replicating it here and drops its triggers).
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_table_name - table name
--
-- Returns:
--      200 - Table removed
--      400 - Table not found
--
-- Tables directly manipulated:
--      delete - londiste.table_info
-- ----------------------------------------------------------------------
declare
    v_fqname text := londiste.make_fqname(i_table_name);
begin
    if not pgq_node.is_root_node(i_queue_name) then
        perform londiste.local_remove_table(i_queue_name, v_fqname);
    end if;
    delete from londiste.table_info t
     where t.queue_name = i_queue_name and t.table_name = v_fqname;
    if not found then
        select 400, 'Table not found: ' || v_fqname into ret_code, ret_note;
        return;
    end if;
    select 200, 'Table removed: ' || i_table_name into ret_code, ret_note;
    return;
end;
$$ language plpgsql strict;
