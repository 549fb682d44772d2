create or replace function londiste.local_remove_seq(
    in i_queue_name text,
    in i_seq_name text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_remove_seq(2)
--
--      Stop replicating a sequence on this node; on the root it leaves the
--      queue (global_remove_seq).
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_seq_name   - sequence name
--
-- Returns:
--      200 - Sequence removed
--      400 - Sequence not found (root)
--      404 - Sequence not found
--
-- Tables directly manipulated:
--      update - londiste.seq_info
-- ----------------------------------------------------------------------
declare
    v_fqname text := londiste.make_fqname(i_seq_name);
begin
    if pgq_node.is_root_node(i_queue_name) then
        select g.ret_code, g.ret_note into ret_code, ret_note
          from londiste.global_remove_seq(i_queue_name, v_fqname) g;
        return;
    end if;
    update londiste.seq_info s
       set local = false
     where s.queue_name = i_queue_name and s.seq_name = v_fqname and s.local;
    if not found then
        select 404, 'Sequence not found: ' || v_fqname into ret_code, ret_note;
        return;
    end if;
    select 200, 'Sequence removed: ' || v_fqname into ret_code, ret_note;
    return;
end;
$$ language plpgsql strict;
