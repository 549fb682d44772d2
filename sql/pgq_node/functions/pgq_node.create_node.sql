create or replace function pgq_node.create_node(
    in i_queue_name text,
    in i_node_type text,
    in i_node_name text,
    in i_worker_name text,
    in i_provider_name text,
    in i_global_watermark bigint,
    in i_combined_queue text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.create_node(7)
--
--      Make this database a node of a cascaded queue.  The node's own
--      location (and the provider's) must be registered first.
--
--      root    creates the queue and its '.global_watermark' consumer;
--              its worker reads from the node itself
--      branch  creates the queue with an external ticker and inserts
--              disabled (the worker copies events and ticks from the
--              provider), starting at the given global watermark
--      leaf    no local queue; may merge into a local combined queue
--
-- Parameters:
--      i_queue_name        - cascaded queue name
--      i_node_type         - 'root', 'branch' or 'leaf'
--      i_node_name         - name of this node
--      i_worker_name       - consumer name of this node's worker
--      i_provider_name     - provider node (NULL on root)
--      i_global_watermark  - tick the node starts from (NULL on root)
--      i_combined_queue    - leaf only: local queue to merge into
--
-- Returns:
--      200 - Node "<node>" initialized for queue "<queue>" with type "<type>"
--      401 - already initialized, bad node type or bad arguments
--
-- Tables directly manipulated:
--      insert - pgq_node.node_info
--      insert - pgq_node.local_state (via register_consumer)
--      update - pgq.queue
-- ----------------------------------------------------------------------
declare
    v_wm_consumer constant text := '.global_watermark';
    v_global_wm bigint;
begin
    perform 1 from pgq_node.node_info where queue_name = i_queue_name;
    if found then
        ret_code := 401;
        ret_note := 'Node already initialized';
        return;
    end if;

    if i_node_type = 'root' then
        if coalesce(i_provider_name, i_global_watermark::text, i_combined_queue) is not null then
            ret_code := 401;
            ret_note := 'unexpected args for ' || i_node_type;
            return;
        end if;
        perform pgq.create_queue(i_queue_name);
        perform pgq.register_consumer(i_queue_name, v_wm_consumer);
        select last_tick into v_global_wm
          from pgq.get_consumer_info(i_queue_name, v_wm_consumer);
    elsif i_node_type = 'branch' then
        if i_provider_name is null then
            ret_code := 401;
            ret_note := 'provider not set for ' || i_node_type;
            return;
        end if;
        if i_global_watermark is null then
            ret_code := 401;
            ret_note := 'global watermark not set for ' || i_node_type;
            return;
        end if;
        perform pgq.create_queue(i_queue_name);
        update pgq.queue
           set queue_external_ticker = true,
               queue_disable_insert = true
         where queue_name = i_queue_name;
        -- the provider's tick, so the first batch copied from it ends on
        -- the same tick id here
        if i_global_watermark > 1 then
            perform pgq.ticker(i_queue_name, i_global_watermark, now(), 1);
        end if;
        perform pgq.register_consumer_at(i_queue_name, v_wm_consumer, i_global_watermark);
        v_global_wm := i_global_watermark;
    elsif i_node_type = 'leaf' then
        v_global_wm := i_global_watermark;
        if i_combined_queue is not null then
            perform 1 from pgq.get_queue_info(i_combined_queue);
            if not found then
                ret_code := 401;
                ret_note := 'non-existing queue on leaf side: ' || i_combined_queue;
                return;
            end if;
        end if;
    else
        ret_code := 401;
        ret_note := 'bad node type: ' || coalesce(i_node_type, 'NULL');
        return;
    end if;

    insert into pgq_node.node_info (queue_name, node_type, node_name, worker_name, combined_queue)
    values (i_queue_name, i_node_type, i_node_name, i_worker_name, i_combined_queue);

    select f.ret_code, f.ret_note into ret_code, ret_note
      from pgq_node.register_consumer(i_queue_name, i_worker_name,
               case when i_node_type = 'root' then i_node_name else i_provider_name end,
               v_global_wm) f;
    if ret_code <> 200 then
        return;
    end if;

    ret_code := 200;
    ret_note := 'Node "' || i_node_name || '" initialized for queue "'
                || i_queue_name || '" with type "' || i_node_type || '"';
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
