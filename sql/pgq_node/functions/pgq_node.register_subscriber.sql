create or replace function pgq_node.register_subscriber(
    in i_queue_name text,
    in i_remote_node_name text,
    in i_remote_worker_name text,
    in i_custom_tick_id int8,
    out ret_code int4,
    out ret_note text,
    out global_watermark bigint)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.register_subscriber(4)
--
--      Let another node read from this one (run on the provider).  Its
--      worker is registered as consumer of the local queue, and a
--      '.<node>.watermark' consumer keeps the ticks its subtree still
--      needs, starting at the global watermark.
--
-- Parameters:
--      i_queue_name           - cascaded queue name
--      i_remote_node_name     - subscriber node
--      i_remote_worker_name   - consumer name of its worker
--      i_custom_tick_id       - where the worker starts; NULL: at the
--                               global watermark
--
-- Returns:
--      200 - Subscriber registered: <node>; global_watermark set
--      401 - Cannot subscribe to leaf node
--      404 - Unknown queue
--
-- Tables directly manipulated:
--      insert - pgq_node.subscriber_info
-- ----------------------------------------------------------------------
declare
    v_type text;
    v_wm_name text := '.' || i_remote_node_name || '.watermark';
begin
    select n.node_type into v_type
      from pgq_node.node_info n
     where n.queue_name = i_queue_name
       for update;
    if not found then
        ret_code := 404;
        ret_note := 'Unknown queue: ' || i_queue_name;
        return;
    end if;
    select c.last_tick into global_watermark
      from pgq.get_consumer_info(i_queue_name, '.global_watermark') c;
    if v_type not in ('root', 'branch') then
        ret_code := 401;
        ret_note := 'Cannot subscribe to ' || v_type || ' node';
        return;
    end if;

    perform pgq.register_consumer_at(i_queue_name, v_wm_name, global_watermark);
    perform pgq.register_consumer_at(i_queue_name, i_remote_worker_name,
                                     coalesce(i_custom_tick_id, global_watermark));
    insert into pgq_node.subscriber_info (queue_name, subscriber_node, worker_name, watermark_name)
    values (i_queue_name, i_remote_node_name, i_remote_worker_name, v_wm_name);

    ret_code := 200;
    ret_note := 'Subscriber registered: ' || i_remote_node_name;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
