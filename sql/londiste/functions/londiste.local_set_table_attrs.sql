create or replace function londiste.local_set_table_attrs(
    in i_queue_name text,
    in i_table_name text,
    in i_table_attrs text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_set_table_attrs(3)
--
--      Store the attributes of a replicated table (handler name and
--      arguments, urlencoded).  The name is taken as it is.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--      i_table_name  - table name (schema.name)
--      i_table_attrs - attributes, or NULL
--
-- Returns:
--      200 - <table>: Table attributes stored
--      404 - no such local table
--
-- Tables directly manipulated:
--      update - londiste.table_info
-- ----------------------------------------------------------------------
begin
    update londiste.table_info t
       set table_attrs = i_table_attrs
     where t.queue_name = i_queue_name
       and t.table_name = i_table_name
       and t.local;
    if found then
        select 200, i_table_name || ': Table attributes stored' into ret_code, ret_note;
    else
        select 404, 'no such local table: ' || i_table_name into ret_code, ret_note;
    end if;
    return;
end;
$$ language plpgsql;
