create or replace function pgq_node.set_consumer_uptodate(
    in i_queue_name text,
    in i_consumer_name text,
    in i_uptodate boolean,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.set_consumer_uptodate(3)
--
--      A consumer acknowledges (true) that it has seen a change of its
--      state, which admin operations wait for.
--
-- Parameters:
--      i_queue_name     - cascaded queue name
--      i_consumer_name  - consumer name
--      i_uptodate       - new flag
--
-- Returns:
--      200 - Consumer uptodate = 0|1
--      404 - Consumer not known
--
-- Tables directly manipulated:
--      update - pgq_node.local_state
-- ----------------------------------------------------------------------
begin
    update pgq_node.local_state
       set uptodate = i_uptodate
     where queue_name = i_queue_name
       and consumer_name = i_consumer_name;
    if not found then
        ret_code := 404;
        ret_note := 'Consumer not known: ' || i_queue_name || '/' || i_consumer_name;
        return;
    end if;
    ret_code := 200;
    ret_note := 'Consumer uptodate = ' || i_uptodate::int4::text;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
