create or replace function pgq_node.unregister_subscriber(
    in i_queue_name text,
    in i_remote_node_name text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.unregister_subscriber(2)
--
--      Stop another node reading from this one: its worker's and its
--      watermark's consumers are unregistered.
--
-- Parameters:
--      i_queue_name         - cascaded queue name
--      i_remote_node_name   - subscriber node
--
-- Returns:
--      200 - Subscriber unregistered: <node>
--      304 - Subscriber not found
--
-- Tables directly manipulated:
--      delete - pgq_node.subscriber_info
-- ----------------------------------------------------------------------
declare
    v_worker text;
    v_wm_name text;
begin
    delete from pgq_node.subscriber_info s
     where s.queue_name = i_queue_name
       and s.subscriber_node = i_remote_node_name
    returning s.worker_name, s.watermark_name into v_worker, v_wm_name;
    if not found then
        ret_code := 304;
        ret_note := 'Subscriber not found';
        return;
    end if;

    perform pgq.unregister_consumer(i_queue_name, v_wm_name);
    perform pgq.unregister_consumer(i_queue_name, v_worker);

    ret_code := 200;
    ret_note := 'Subscriber unregistered: ' || i_remote_node_name;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
