create or replace function londiste.global_remove_seq(
    in i_queue_name text,
    in i_seq_name text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.global_remove_seq(2)
--
--      Forget a sequence of a queue; on the root the subscribers are told
--      (event londiste.remove-seq).
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_seq_name   - sequence name
--
-- Returns:
--      200 - Sequence removed
--      400 - Sequence not found
--
-- Tables directly manipulated:
--      delete - londiste.seq_info
-- ----------------------------------------------------------------------
declare
    v_fqname text := londiste.make_fqname(i_seq_name);
begin
    delete from londiste.seq_info s
     where s.queue_name = i_queue_name and s.seq_name = v_fqname;
    if not found then
        select 400, 'Sequence not found: ' || v_fqname into ret_code, ret_note;
        return;
    end if;
    if pgq_node.is_root_node(i_queue_name) then
        perform londiste.root_notify_change(i_queue_name, 'londiste.remove-seq', v_fqname);
    end if;
    select 200, 'Sequence removed: ' || v_fqname into ret_code, ret_note;
    return;
end;
$$ language plpgsql strict;
