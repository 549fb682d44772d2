create or replace function pgq_node.drop_node(
    in i_queue_name text,
    in i_node_name text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.drop_node(2)
--
--      Remove a node from a cascaded queue, as seen from this database;
--      run it on every member.  On the node itself it removes the whole
--      node: subscribers, consumers, the local queue (with its events)
--      and every other member's location.  On another member it forgets
--      the node (and its subscription here), unless it is this node's
--      provider.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--      i_node_name   - node to drop
--
-- Returns:
--      200 - Node dropped: <node>
--      405 - Cannot drop provider node: <node>
--
-- Tables directly manipulated:
--      delete - pgq_node.subscriber_info
--      delete - pgq_node.local_state
--      delete - pgq_node.node_info
--      delete - pgq_node.node_location
-- ----------------------------------------------------------------------
declare
    v_is_local boolean;
    v_is_provider boolean;
begin
    select n.node_name = i_node_name,
           coalesce((select w.provider_node = i_node_name
                       from pgq_node.local_state w
                      where w.queue_name = n.queue_name
                        and w.consumer_name = n.worker_name), false)
      into v_is_local, v_is_provider
      from pgq_node.node_info n
     where n.queue_name = i_queue_name
       for update of n;
    if not found then
        -- not a node (any more): clean up whatever is left
        v_is_local := true;
        v_is_provider := false;
    end if;

    if v_is_local then
        delete from pgq_node.subscriber_info where queue_name = i_queue_name;
        delete from pgq_node.local_state where queue_name = i_queue_name;
        delete from pgq_node.node_info
         where queue_name = i_queue_name
           and node_name = i_node_name;
        perform pgq.drop_queue(q.queue_name, true)
           from pgq.queue q
          where q.queue_name = i_queue_name;
        delete from pgq_node.node_location
         where queue_name = i_queue_name
           and node_name <> i_node_name;
    elsif v_is_provider then
        ret_code := 405;
        ret_note := 'Cannot drop provider node: ' || i_node_name;
        return;
    else
        perform pgq_node.unregister_subscriber(i_queue_name, i_node_name);
    end if;

    -- own location: nothing refers to it any more, so it goes too
    perform pgq_node.unregister_location(i_queue_name, i_node_name);

    ret_code := 200;
    ret_note := 'Node dropped: ' || i_node_name;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
