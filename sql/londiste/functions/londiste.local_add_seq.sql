create or replace function londiste.local_add_seq(
    in i_queue_name text,
    in i_seq_name text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_add_seq(2)
--
--      Replicate a sequence on this node.  On the root it joins the queue
--      and its value is published at once (root_check_seqs); elsewhere it
--      must be in the queue already and is set to the published value.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_seq_name   - sequence name
--
-- Returns:
--      200 - Sequence added
--      201 - Sequence already added
--      400 - Sequence not found (in the database)
--      404 - Unknown sequence (not in the queue)
--
-- Tables directly manipulated:
--      insert/update - londiste.seq_info
-- ----------------------------------------------------------------------
declare
    v_fqname text := londiste.make_fqname(i_seq_name);
    v_seq    record;
    v_found  boolean;
begin
    if londiste.find_seq_oid(v_fqname) is null then
        select 400, 'Sequence not found: ' || v_fqname into ret_code, ret_note;
        return;
    end if;
    select s.local, s.last_value into v_seq
      from londiste.seq_info s
     where s.queue_name = i_queue_name and s.seq_name = v_fqname
       for update;
    v_found := found;
    if v_found and v_seq.local then
        select 201, 'Sequence already added: ' || v_fqname into ret_code, ret_note;
        return;
    end if;
    if pgq_node.is_root_node(i_queue_name) then
        if v_found then
            update londiste.seq_info s set local = true
             where s.queue_name = i_queue_name and s.seq_name = v_fqname;
        else
            insert into londiste.seq_info (queue_name, seq_name, local, last_value)
            values (i_queue_name, v_fqname, true, 0);
        end if;
        perform londiste.root_check_seqs(i_queue_name);
    else
        if not v_found then
            select 404, 'Unknown sequence: ' || v_fqname into ret_code, ret_note;
            return;
        end if;
        update londiste.seq_info s set local = true
         where s.queue_name = i_queue_name and s.seq_name = v_fqname;
        perform pgq.seq_setval(v_fqname, v_seq.last_value);
    end if;
    select 200, 'Sequence added: ' || v_fqname into ret_code, ret_note;
    return;
end;
$$ language plpgsql;
