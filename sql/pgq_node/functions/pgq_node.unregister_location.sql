create or replace function pgq_node.unregister_location(
    in i_queue_name text,
    in i_node_name text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.unregister_location(2)
--
--      Remove a member of a cascaded queue.  If it subscribes to this
--      node it is unregistered as subscriber too.  On the root the
--      removal is sent down the tree as a 'pgq.unregister-location'
--      event.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--      i_node_name   - node name
--
-- Returns:
--      200 - Ok
--      301 - Location not found
--      403 - the node is this node or this node's provider
--
-- Tables directly manipulated:
--      delete - pgq_node.node_location
--      delete - pgq_node.subscriber_info (via unregister_subscriber)
-- ----------------------------------------------------------------------
declare
    v_node record;
begin
    select n.node_name, n.node_type, w.provider_node
      into v_node
      from pgq_node.node_info n
      left join pgq_node.local_state w
        on w.queue_name = n.queue_name and w.consumer_name = n.worker_name
     where n.queue_name = i_queue_name;
    if found then
        if v_node.node_name = i_node_name then
            ret_code := 403;
            ret_note := 'Cannot drop node''s own location';
            return;
        end if;
        if v_node.provider_node = i_node_name then
            ret_code := 403;
            ret_note := 'Cannot drop location of node''s parent';
            return;
        end if;
    end if;

    perform pgq_node.unregister_subscriber(i_queue_name, i_node_name);

    delete from pgq_node.node_location
     where queue_name = i_queue_name
       and node_name = i_node_name;
    if found then
        ret_code := 200;
        ret_note := 'Ok';
    else
        ret_code := 301;
        ret_note := 'Location not found: ' || i_queue_name || '/' || i_node_name;
    end if;

    if v_node.node_type = 'root' then
        perform pgq.insert_event(i_queue_name, 'pgq.unregister-location', i_node_name,
                                 i_queue_name, null, null, null);
    end if;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
