create or replace function londiste.local_remove_table(
    in i_queue_name text,
    in i_table_name text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_remove_table(2)
--
--      Stop replicating a table on this node: its triggers are dropped;
--      a table stopped in the middle of its copy is emptied and gets
--      back the structure the copy dropped; the sequences of its serial
--      columns are removed too.  On the root the table also leaves the
--      queue (global_remove_table, event londiste.remove-table).
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_table_name - table name
--
-- Returns:
--      200 - Table removed
--      400 - Table not found / Table not registered locally
--
-- Tables directly manipulated:
--      update - londiste.table_info
-- ----------------------------------------------------------------------
declare
    v_fqname text := londiste.make_fqname(i_table_name);
    v_qtable text := londiste.quote_fqname(v_fqname);
    v_oid    oid := londiste.find_table_oid(i_table_name);
    v_tbl    record;
    v_seq    text;
begin
    select t.local, t.dropped_ddl, t.merge_state into v_tbl
      from londiste.table_info t
     where t.queue_name = i_queue_name and t.table_name = v_fqname
       for update;
    if not found then
        select 400, 'Table not found: ' || v_fqname into ret_code, ret_note;
        return;
    end if;

    if v_tbl.local then
        perform londiste.drop_table_triggers(i_queue_name, v_fqname);
        if v_tbl.dropped_ddl is not null then
            -- half copied: empty it and put back its indexes and constraints
            execute 'truncate only ' || v_qtable;
            execute v_tbl.dropped_ddl;
        end if;
        update londiste.table_info t
           set local = false,
               custom_snapshot = null,
               table_attrs = null,
               dropped_ddl = null,
               merge_state = null,
               dest_table = null
         where t.queue_name = i_queue_name and t.table_name = v_fqname;
        -- the sequences of its serial columns
        for v_seq in
            select n.nspname || '.' || s.relname
              from pg_catalog.pg_attribute a
              join pg_catalog.pg_class s
                on s.oid = pg_catalog.pg_get_serial_sequence(v_qtable, a.attname)::regclass::oid
              join pg_catalog.pg_namespace n on n.oid = s.relnamespace
             where a.attrelid = v_oid
               and a.atthasdef
               and a.atttypid in ('integer'::regtype, 'bigint'::regtype)
        loop
            perform londiste.local_remove_seq(i_queue_name, v_seq);
        end loop;
    elsif not pgq_node.is_root_node(i_queue_name) then
        select 400, 'Table not registered locally: ' || v_fqname into ret_code, ret_note;
        return;
    end if;

    if pgq_node.is_root_node(i_queue_name) then
        perform londiste.global_remove_table(i_queue_name, v_fqname);
        perform londiste.root_notify_change(i_queue_name, 'londiste.remove-table', v_fqname);
    end if;
    select 200, 'Table removed: ' || v_fqname into ret_code, ret_note;
    return;
end;
$$ language plpgsql strict;
