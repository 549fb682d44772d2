create or replace function londiste.global_update_seq(
    in i_queue_name text,
    in i_seq_name text,
    in i_value int8,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.global_update_seq(3)
--
--      The worker of a subscriber got londiste.update-seq: remember the
--      value (registering the sequence of the queue when new), and move
--      the sequence there when it is replicated here.  pgq.seq_setval
--      never moves a sequence back.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_seq_name   - sequence name
--      i_value      - the value published by the root
--
-- Returns:
--      200 - Sequence updated
--      402 - Must not run on root node
--      404 - Set not found
--
-- Tables directly manipulated:
--      insert/update - londiste.seq_info
-- ----------------------------------------------------------------------
declare
    v_type   text;
    v_fqname text := londiste.make_fqname(i_seq_name);
    v_local  boolean;
begin
    select n.node_type into v_type
      from pgq_node.node_info n
     where n.queue_name = i_queue_name;
    if not found then
        select 404, 'Set not found: ' || i_queue_name into ret_code, ret_note;
        return;
    end if;
    if v_type = 'root' then
        select 402, 'Must not run on root node' into ret_code, ret_note;
        return;
    end if;
    select s.local into v_local
      from londiste.seq_info s
     where s.queue_name = i_queue_name and s.seq_name = v_fqname
       for update;
    if not found then
        insert into londiste.seq_info (queue_name, seq_name, last_value)
        values (i_queue_name, v_fqname, i_value);
    else
        update londiste.seq_info s
           set last_value = i_value
         where s.queue_name = i_queue_name and s.seq_name = v_fqname;
        if v_local then
            perform pgq.seq_setval(v_fqname, i_value);
        end if;
    end if;
    select 200, 'Sequence updated' into ret_code, ret_note;
    return;
end;
$$ language plpgsql;
