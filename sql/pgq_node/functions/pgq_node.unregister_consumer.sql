create or replace function pgq_node.unregister_consumer(
    in i_queue_name text,
    in i_consumer_name text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.unregister_consumer(2)
--
--      Forget a cascaded consumer's state on this node.
--
-- Parameters:
--      i_queue_name     - cascaded queue name
--      i_consumer_name  - consumer name
--
-- Returns:
--      200 - Consumer <consumer> unregistered from <queue>
--      404 - Unknown queue
--
-- Tables directly manipulated:
--      delete - pgq_node.local_state
-- ----------------------------------------------------------------------
begin
    perform 1 from pgq_node.node_info n
     where n.queue_name = i_queue_name
       for update;
    if not found then
        ret_code := 404;
        ret_note := 'Unknown queue: ' || i_queue_name;
        return;
    end if;

    delete from pgq_node.local_state
     where queue_name = i_queue_name
       and consumer_name = i_consumer_name;
    ret_code := 200;
    ret_note := 'Consumer ' || i_consumer_name || ' unregistered from ' || i_queue_name;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
