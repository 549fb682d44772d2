create or replace function pgq_node.set_global_watermark(
    in i_queue_name text,
    in i_watermark bigint,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.set_global_watermark(2)
--
--      Move the global watermark, the tick up to which every node has
--      processed, so older ticks and events can go.
--
--      root    NULL means the node's local watermark (the lowest of its
--              subscribers' reported watermarks and local consumers);
--              the new value is also sent down the tree as a
--              'pgq.global-watermark' event, and the root's worker
--              position follows it
--      branch  applies a value received from upstream, if the tick
--              exists here
--      leaf    has no queue: ignored
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--      i_watermark   - tick id (root: NULL for automatic)
--
-- Returns:
--      100 - Ignoring global watermark in leaf
--      200 - Global watermark set to <tick> / Skipping global watermark update
--      404 - Queue <queue> not found
--      500 - bad usage: wm=null on branch node
--
-- Tables directly manipulated:
--      update - pgq_node.local_state
--      update - pgq.subscription (via pgq.register_consumer_at)
-- ----------------------------------------------------------------------
declare
    v_node record;
    v_wm bigint := i_watermark;
    v_wm_consumer constant text := '.global_watermark';
begin
    select n.node_type, n.worker_name into v_node
      from pgq_node.node_info n
     where n.queue_name = i_queue_name
       for update;
    if not found then
        ret_code := 404;
        ret_note := 'Queue ' || i_queue_name || ' not found';
        return;
    end if;

    if v_node.node_type = 'root' then
        if v_wm is null then
            select f.ret_code, f.ret_note, f.local_watermark
              into ret_code, ret_note, v_wm
              from pgq_node.get_node_info(i_queue_name) f;
            if ret_code >= 300 then
                return;
            end if;
            if v_wm is null then
                raise exception 'local_watermark=NULL from get_node_info()?';
            end if;
        end if;
        perform pgq.register_consumer_at(i_queue_name, v_wm_consumer, v_wm);
        perform pgq.insert_event(i_queue_name, 'pgq.global-watermark', v_wm::text,
                                 i_queue_name, null, null, null);
        update pgq_node.local_state
           set last_tick_id = v_wm
         where queue_name = i_queue_name
           and consumer_name = v_node.worker_name;
    elsif v_node.node_type = 'branch' then
        if v_wm is null then
            ret_code := 500;
            ret_note := 'bad usage: wm=null on branch node';
            return;
        end if;
        perform 1
           from pgq.tick t
           join pgq.queue q on q.queue_id = t.tick_queue
          where q.queue_name = i_queue_name
            and t.tick_id = v_wm;
        if not found then
            ret_code := 200;
            ret_note := 'Skipping global watermark update to ' || v_wm::text;
            return;
        end if;
        perform pgq.register_consumer_at(i_queue_name, v_wm_consumer, v_wm);
    else
        ret_code := 100;
        ret_note := 'Ignoring global watermark in leaf';
        return;
    end if;

    ret_code := 200;
    ret_note := 'Global watermark set to ' || v_wm::text;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
