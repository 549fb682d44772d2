create or replace function londiste.root_check_seqs(
    in i_queue_name text,
    in i_buffer int8,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.root_check_seqs(2)
--
--      On the root, at every tick (pgqd / the worker): publish the
--      replicated sequences that came within i_buffer of their last
--      published value, ahead by three buffers (event
--      londiste.update-seq, data: value, extra1: sequence name), so that
--      subscribers never give out a value the root may still give.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_buffer     - the margin (NULL or below 10: 10000)
--
-- Returns:
--      100 - Sequences updated
--      402 - Not a root node
--      404 - Queue not found
--
-- Tables directly manipulated:
--      update - londiste.seq_info
-- ----------------------------------------------------------------------
declare
    v_buffer int8 := case when i_buffer is null or i_buffer < 10 then 10000 else i_buffer end;
    v_type   text;
    v_seq    record;
    v_value  int8;
    v_pub    int8;
begin
    -- one transaction at a time publishes the queue's sequences: an advisory lock, as the
    -- row lock of the original needs UPDATE rights on pgq_node.node_info,
    -- which no role has here
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('londiste.queue'),
                                             pg_catalog.hashtext(i_queue_name));
    select n.node_type into v_type
      from pgq_node.node_info n
     where n.queue_name = i_queue_name;
    if not found then
        select 404, 'Queue not found: ' || i_queue_name into ret_code, ret_note;
        return;
    end if;
    if v_type <> 'root' then
        select 402, 'Not a root node' into ret_code, ret_note;
        return;
    end if;
    for v_seq in
        select s.seq_name, s.last_value
          from londiste.seq_info s
         where s.queue_name = i_queue_name and s.local
         order by s.nr
    loop
        execute 'select last_value from ' || londiste.quote_fqname(v_seq.seq_name) into v_value;
        if v_value + v_buffer >= v_seq.last_value then
            v_pub := v_value + v_buffer * 3;
            perform pgq.insert_event(i_queue_name, 'londiste.update-seq', v_pub::text,
                                     v_seq.seq_name, null, null, null);
            update londiste.seq_info s
               set last_value = v_pub
             where s.queue_name = i_queue_name and s.seq_name = v_seq.seq_name;
        end if;
    end loop;
    select 100, 'Sequences updated' into ret_code, ret_note;
    return;
end;
$$ language plpgsql;

create or replace function londiste.root_check_seqs(
    in i_queue_name text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.root_check_seqs(1)
--
--      root_check_seqs(2) with a margin of 10000.
-- ----------------------------------------------------------------------
begin
    select r.ret_code, r.ret_note into ret_code, ret_note
      from londiste.root_check_seqs(i_queue_name, 10000) r;
    return;
end;
$$ language plpgsql;
