create or replace function londiste.root_notify_change(
    i_queue_name text,
    i_ev_type text,
    i_ev_data text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: londiste.root_notify_change(3)
--
--      Internal: tell the subscribers about a change of the table or
--      sequence lists (an event in the queue).  Root only.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_ev_type    - londiste.add-table, londiste.remove-table, ...
--      i_ev_data    - the table or sequence name
--
-- Returns:
--      1; an error when this is not the root
--
-- Tables directly manipulated:
--      none (the event goes through pgq.insert_event)
-- ----------------------------------------------------------------------
begin
    if not coalesce(pgq_node.is_root_node(i_queue_name), false) then
        raise exception 'only root node can send events';
    end if;
    perform pgq.insert_event(i_queue_name, i_ev_type, i_ev_data);
    return 1;
end;
$$ language plpgsql;
