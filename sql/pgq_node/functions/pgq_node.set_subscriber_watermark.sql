create or replace function pgq_node.set_subscriber_watermark(
    in i_queue_name text,
    in i_node_name text,
    in i_watermark bigint,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.set_subscriber_watermark(3)
--
--      A subscriber reports (to its provider) the lowest tick its
--      subtree still needs; its '.<node>.watermark' consumer moves there,
--      so the provider keeps those ticks and events.
--
-- Parameters:
--      i_queue_name   - cascaded queue name
--      i_node_name    - subscriber node
--      i_watermark    - tick id
--
-- Returns:
--      100 - watermark already set
--      200 - .<node>.watermark set to <tick>
--      404 - node not subscribed to queue
--      405 - watermark must not be moved backwards
--
-- Tables directly manipulated:
--      update - pgq.subscription (via pgq.register_consumer_at)
-- ----------------------------------------------------------------------
declare
    v_wm_name text := '.' || i_node_name || '.watermark';
    v_last_tick bigint;
begin
    select c.last_tick into v_last_tick
      from pgq.get_consumer_info(i_queue_name, v_wm_name) c;
    if not found then
        ret_code := 404;
        ret_note := 'node ' || i_node_name || ' not subscribed to queue ' || i_queue_name;
        return;
    end if;
    if i_watermark < v_last_tick then
        ret_code := 405;
        ret_note := 'watermark must not be moved backwards';
        return;
    elsif i_watermark = v_last_tick then
        ret_code := 100;
        ret_note := 'watermark already set';
        return;
    end if;

    perform pgq.register_consumer_at(i_queue_name, v_wm_name, i_watermark);
    ret_code := 200;
    ret_note := v_wm_name || ' set to ' || i_watermark::text;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
