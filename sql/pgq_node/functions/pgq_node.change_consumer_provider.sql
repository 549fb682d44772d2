create or replace function pgq_node.change_consumer_provider(
    in i_queue_name text,
    in i_consumer_name text,
    in i_new_provider text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.change_consumer_provider(3)
--
--      Point a cascaded consumer on this node at another provider node;
--      it reconnects when it sees uptodate = false.
--      Beyond Skytools: NOTIFYs pgq_node_state (payload the queue name)
--      at commit, which wakes the node's workers at once.
--
-- Parameters:
--      i_queue_name     - cascaded queue name
--      i_consumer_name  - consumer name
--      i_new_provider   - new provider node (a known location)
--
-- Returns:
--      200 - Consumer provider node set to : <node>
--      404 - New node not found / Unknown consumer
--
-- Tables directly manipulated:
--      update - pgq_node.local_state
-- ----------------------------------------------------------------------
begin
    perform 1 from pgq_node.node_location l
     where l.queue_name = i_queue_name
       and l.node_name = i_new_provider;
    if not found then
        ret_code := 404;
        ret_note := 'New node not found: ' || i_new_provider;
        return;
    end if;

    update pgq_node.local_state
       set provider_node = i_new_provider,
           uptodate = false
     where queue_name = i_queue_name
       and consumer_name = i_consumer_name;
    if not found then
        ret_code := 404;
        ret_note := 'Unknown consumer: ' || i_queue_name || '/' || i_consumer_name;
        return;
    end if;
    perform pg_catalog.pg_notify('pgq_node_state', i_queue_name);
    ret_code := 200;
    ret_note := 'Consumer provider node set to : ' || i_new_provider;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
