create or replace function londiste._coordinate_copy(
    in i_queue_name text,
    in i_table_name text,
    out copy_role text,
    out copy_pos int4)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste._coordinate_copy(2)
--
--      Internal: who copies a destination table that several part queues
--      of a combined (merge) queue fill.  The first part queue (the one
--      that keeps the dropped structure, if any) leads: it copies and
--      restores the structure; the others wait for its copy ('wait-copy')
--      or for everybody's replay to catch up ('wait-replay').  A table
--      with one source has no role.
--
-- Parameters:
--      i_queue_name - queue of the table
--      i_table_name - table name
--
-- Returns:
--      copy_role - NULL, 'lead', 'wait-copy' or 'wait-replay'
--      copy_pos  - number of part queues before this one also in copy
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
declare
    v_state     text;
    v_ddl       text;
    v_first     text;
    v_first_ddl text;
    v_parts     int4;
    v_done      int4;
begin
    copy_role := null;
    copy_pos := 0;
    -- the unfinished copies of the same destination in the queues merged with this one
    select t.merge_state, t.dropped_ddl,
           min(o.queue_name) filter (where o.local),
           min(o.queue_name) filter (where o.local and o.dropped_ddl is not null),
           count(*) filter (where o.local),
           count(*) filter (where o.local and o.merge_state <> 'in-copy'),
           count(*) filter (where o.queue_name < i_queue_name and t.merge_state = 'in-copy'
                              and o.merge_state = 'in-copy')
      into v_state, v_ddl, v_first, v_first_ddl, v_parts, v_done, copy_pos
      from londiste.table_info t
      join pgq_node.node_info n on n.queue_name = t.queue_name
      left join pgq_node.node_info n2
        on n2.combined_queue is not distinct from n.combined_queue
      left join londiste.table_info o
        on o.queue_name = n2.queue_name
       and coalesce(o.dest_table, o.table_name) = coalesce(t.dest_table, t.table_name)
       and o.merge_state is distinct from 'ok'
     where t.queue_name = i_queue_name and t.table_name = i_table_name
     group by t.nr, t.merge_state, t.dropped_ddl;

    v_first := coalesce(v_first_ddl, v_first);
    if v_parts = 1 or v_first is null then
        return;
    end if;
    if i_queue_name = v_first then
        -- the leader
        if v_state = 'in-copy' then
            if v_ddl is null and v_done > 0 then
                copy_role := 'wait-replay';
            elsif v_done < v_parts then
                copy_role := 'lead';
            end if;
            copy_pos := 0;
        elsif v_state = 'catching-up' and v_ddl is not null and v_done < v_parts then
            copy_role := 'wait-replay';
        end if;
    elsif v_state = 'in-copy' then
        if v_first_ddl is not null or v_done > 0 then
            copy_role := 'wait-replay';
        else
            copy_role := 'wait-copy';
        end if;
    elsif v_state = 'catching-up' and v_first_ddl is not null then
        copy_role := 'wait-replay';
    end if;
    return;
end;
$$ language plpgsql strict stable;
