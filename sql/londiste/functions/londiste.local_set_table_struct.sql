create or replace function londiste.local_set_table_struct(
    in i_queue_name text,
    in i_table_name text,
    in i_dropped_ddl text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_set_table_struct(3)
--
--      Keep (or, with NULL, forget) the SQL that recreates what the copy
--      dropped from a table (indexes, constraints), while it is copied.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--      i_table_name  - table name (schema.name)
--      i_dropped_ddl - the SQL, or NULL
--
-- Returns:
--      200 - Table struct stored
--      404 - no such local table
--
-- Tables directly manipulated:
--      update - londiste.table_info
-- ----------------------------------------------------------------------
begin
    update londiste.table_info t
       set dropped_ddl = i_dropped_ddl
     where t.queue_name = i_queue_name
       and t.table_name = i_table_name
       and t.local;
    if found then
        select 200, 'Table struct stored' into ret_code, ret_note;
    else
        select 404, 'no such local table: ' || i_table_name into ret_code, ret_note;
    end if;
    return;
end;
$$ language plpgsql;
