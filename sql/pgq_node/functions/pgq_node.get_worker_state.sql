create or replace function pgq_node.get_worker_state(
    in i_queue_name text,
    out ret_code int4,
    out ret_note text,
    out node_type text,
    out node_name text,
    out completed_tick bigint,
    out provider_node text,
    out provider_location text,
    out paused boolean,
    out uptodate boolean,
    out cur_error text,
    out worker_name text,
    out global_watermark bigint,
    out local_watermark bigint,
    out local_queue_top bigint,
    out combined_queue text,
    out combined_type text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.get_worker_state(1)
--
--      Everything the node's worker needs to know at the start of a loop.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--
-- Returns:
--      ret_code, ret_note  - 100 Ok; 404 for an unknown queue, worker,
--                            provider location or combined queue
--      node_type, node_name
--      completed_tick      - last tick the worker completed here
--      provider_node, provider_location
--      paused, uptodate, cur_error  - the worker's state
--      worker_name
--      global_watermark    - root, branch: '.global_watermark' position
--      local_watermark     - root, branch: lowest position of the local
--                            consumers, else the last tick; leaf:
--                            completed_tick
--      local_queue_top     - root, branch: last tick of the local queue
--      combined_queue, combined_type - leaf: merge target and its type
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    select n.node_type, n.node_name, n.worker_name, n.combined_queue
      into node_type, node_name, worker_name, combined_queue
      from pgq_node.node_info n
     where n.queue_name = i_queue_name;
    if not found then
        ret_code := 404;
        ret_note := 'Unknown queue: ' || i_queue_name;
        return;
    end if;

    select s.last_tick_id, s.provider_node, s.paused, s.uptodate, s.cur_error
      into completed_tick, provider_node, paused, uptodate, cur_error
      from pgq_node.local_state s
     where s.queue_name = i_queue_name
       and s.consumer_name = get_worker_state.worker_name;
    if not found then
        ret_code := 404;
        ret_note := 'Unknown consumer: ' || i_queue_name || '/' || worker_name;
        return;
    end if;

    select p.node_location into provider_location
      from pgq_node.node_location p
     where p.queue_name = i_queue_name
       and p.node_name = get_worker_state.provider_node;
    if not found then
        ret_code := 404;
        ret_note := 'Unknown provider node: ' || i_queue_name || '/' || provider_node;
        return;
    end if;
    ret_code := 100;
    ret_note := 'Ok';

    if combined_queue is not null then
        select n.node_type into combined_type
          from pgq_node.node_info n
         where n.queue_name = get_worker_state.combined_queue;
        if not found then
            ret_code := 404;
            ret_note := 'Combined queue node not found: ' || combined_queue;
            return;
        end if;
    end if;

    if node_type in ('root', 'branch') then
        -- positions straight from the subscriptions: get_consumer_info() would
        -- also compute lags and pending events, for nothing
        select min(s.sub_last_tick) filter (where c.co_name <> '.global_watermark'),
               min(s.sub_last_tick) filter (where c.co_name = '.global_watermark')
          into local_watermark, global_watermark
          from pgq.subscription s
          join pgq.consumer c on c.co_id = s.sub_consumer
          join pgq.queue q on q.queue_id = s.sub_queue
         where q.queue_name = i_queue_name;
        select max(t.tick_id) into local_queue_top
          from pgq.tick t
          join pgq.queue q on q.queue_id = t.tick_queue
         where q.queue_name = i_queue_name;
        local_watermark := coalesce(local_watermark, local_queue_top);
    else
        local_watermark := completed_tick;
    end if;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
