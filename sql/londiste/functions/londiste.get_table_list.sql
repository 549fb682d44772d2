create or replace function londiste.get_table_list(
    in i_queue_name text,
    out table_name text,
    out local boolean,
    out merge_state text,
    out custom_snapshot text,
    out table_attrs text,
    out dropped_ddl text,
    out copy_role text,
    out copy_pos int4,
    out dest_table text)
returns setof record as $$
-- ----------------------------------------------------------------------
-- Function: londiste.get_table_list(1)
--
--      The tables of a queue on this node, in the order they were added.
--      For a table being copied, copy_role and copy_pos say what its copy
--      process does when the same destination table is filled from
--      several queues (see londiste._coordinate_copy).
--
-- Parameters:
--      i_queue_name - cascaded queue name
--
-- Returns:
--      table_name      - table name (schema.name)
--      local           - replicated on this node
--      merge_state     - copy state (NULL, in-copy, catching-up, ..., ok)
--      custom_snapshot - snapshot of the copy, while catching up
--      table_attrs     - table attributes (urlencoded handler settings)
--      dropped_ddl     - the indexes/constraints dropped for the copy
--      copy_role       - NULL, 'lead', 'wait-copy' or 'wait-replay'
--      copy_pos        - position among the parallel copies
--      dest_table      - table written on this node, when not table_name
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
declare
    v_row record;
begin
    for v_row in
        select t.table_name, t.local, t.merge_state, t.custom_snapshot,
               t.table_attrs, t.dropped_ddl, t.dest_table
          from londiste.table_info t
         where t.queue_name = i_queue_name
         order by t.nr, t.table_name
    loop
        table_name := v_row.table_name;
        local := v_row.local;
        merge_state := v_row.merge_state;
        custom_snapshot := v_row.custom_snapshot;
        table_attrs := v_row.table_attrs;
        dropped_ddl := v_row.dropped_ddl;
        dest_table := v_row.dest_table;
        copy_role := null;
        copy_pos := 0;
        if merge_state in ('in-copy', 'catching-up') then
            select c.copy_role, c.copy_pos into copy_role, copy_pos
              from londiste._coordinate_copy(i_queue_name, table_name) c;
        end if;
        return next;
    end loop;
    return;
end;
$$ language plpgsql strict stable;
