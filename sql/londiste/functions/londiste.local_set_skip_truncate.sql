create or replace function londiste.local_set_skip_truncate(
    in i_queue_name text,
    in i_table text,
    in i_value bool,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_set_skip_truncate(3)
--
--      Set or clear the skip_truncate attribute of a table (replay then
--      ignores, or applies, the queue's TRUNCATE events for it).  Ours:
--      the original has this function in its sources but never installs
--      it (it writes a column that table_info does not have); here it
--      edits the urlencoded table_attrs, keeping the other attributes.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_table      - table name (schema.name)
--      i_value      - true: skip TRUNCATE
--
-- Returns:
--      200 - skip_truncate=<value>
--      404 - table not found
--
-- Tables directly manipulated:
--      update - londiste.table_info
-- ----------------------------------------------------------------------
declare
    v_attrs text;
begin
    select t.table_attrs into v_attrs
      from londiste.table_info t
     where t.queue_name = i_queue_name and t.table_name = i_table
       for update;
    if not found then
        select 404, 'table not found: ' || i_table into ret_code, ret_note;
        return;
    end if;
    -- the other key=value pairs, in their order
    v_attrs := pg_catalog.array_to_string(array(
                   select a.kv
                     from pg_catalog.unnest(pg_catalog.string_to_array(v_attrs, '&'))
                          with ordinality a(kv, n)
                    where a.kv <> '' and pg_catalog.split_part(a.kv, '=', 1) <> 'skip_truncate'
                    order by a.n), '&');
    if i_value then
        v_attrs := pg_catalog.concat_ws('&', nullif(v_attrs, ''), 'skip_truncate=1');
    end if;
    update londiste.table_info t
       set table_attrs = nullif(v_attrs, '')
     where t.queue_name = i_queue_name and t.table_name = i_table;
    select 200, 'skip_truncate=' || coalesce(i_value::text, 'false') into ret_code, ret_note;
    return;
end;
$$ language plpgsql;
