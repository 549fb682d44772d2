create or replace function londiste.local_set_table_state(
    in i_queue_name text,
    in i_table_name text,
    in i_snapshot text,
    in i_merge_state text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_set_table_state(4)
--
--      Set the copy state of a replicated table (the copy handshake:
--      NULL -> in-copy -> catching-up -> wanna-sync:<tick> ->
--      do-sync:<tick> -> ok) and the snapshot its copy was made in.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--      i_table_name  - table name
--      i_snapshot    - snapshot of the copy (txid_snapshot text) or NULL
--      i_merge_state - new state
--
-- Returns:
--      200 - Table <name> state set to '<state>' (or NULL)
--      404 - No such table
--
-- Tables directly manipulated:
--      update - londiste.table_info
-- ----------------------------------------------------------------------
declare
    v_fqname text := londiste.make_fqname(i_table_name);
begin
    update londiste.table_info t
       set custom_snapshot = i_snapshot,
           merge_state = i_merge_state
     where t.queue_name = i_queue_name
       and t.table_name = v_fqname
       and t.local;
    if not found then
        select 404, 'No such table: ' || v_fqname into ret_code, ret_note;
        return;
    end if;
    select 200, 'Table ' || v_fqname || ' state set to '
                || coalesce(pg_catalog.quote_literal(i_merge_state), 'NULL')
      into ret_code, ret_note;
    return;
end;
$$ language plpgsql;
