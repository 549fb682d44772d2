-- Installs older than 3.1 have a get_node_info() without node_attrs and
-- target_for; a result type cannot be replaced, so that one goes first.
do $drop_old$
begin
    if exists (select 1 from pg_catalog.pg_proc p
                where p.oid = to_regprocedure('pgq_node.get_node_info(text)')
                  and pg_catalog.pg_get_function_result(p.oid) not like '%target_for text[]%')
    then
        drop function pgq_node.get_node_info(text);
    end if;
end;
$drop_old$;

create or replace function pgq_node.get_node_info(
    in i_queue_name text,
    out ret_code int4,
    out ret_note text,
    out node_type text,
    out node_name text,
    out global_watermark bigint,
    out local_watermark bigint,
    out provider_node text,
    out provider_location text,
    out combined_queue text,
    out combined_type text,
    out worker_name text,
    out worker_paused bool,
    out worker_uptodate bool,
    out worker_last_tick bigint,
    out node_attrs text,
    out target_for text[])
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.get_node_info(1)
--
--      What this node is in a cascaded queue, and where its worker is.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--
-- Returns:
--      ret_code, ret_note  - 100 Ok, or 404 Unknown queue (rest NULL)
--      node_type           - root, branch or leaf
--      node_name           - this node's name
--      global_watermark    - position of '.global_watermark' (root, branch)
--      local_watermark     - lowest position this node must keep: the
--                            lowest consumer of the local queue, else
--                            its last tick (root, branch); on a leaf
--                            the worker's position
--      provider_node       - the worker's provider
--      provider_location   - its connect string
--      combined_queue      - leaf: the queue it merges into
--      combined_type       - node type of that queue here
--      worker_name         - the worker's consumer name
--      worker_paused       - the worker is paused
--      worker_uptodate     - the worker has seen its last state change
--      worker_last_tick    - last tick the worker completed here (root:
--                            the last tick of the queue)
--      node_attrs          - urlencoded worker settings
--      target_for          - root, branch: leaf queues merging into this one
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    select 100, 'Ok', n.node_type, n.node_name,
           c.node_type, c.queue_name, w.provider_node, l.node_location,
           n.worker_name, w.paused, w.uptodate, w.last_tick_id, n.node_attrs
      into ret_code, ret_note, node_type, node_name,
           combined_type, combined_queue, provider_node, provider_location,
           worker_name, worker_paused, worker_uptodate, worker_last_tick, node_attrs
      from pgq_node.node_info n
      left join pgq_node.node_info c on c.queue_name = n.combined_queue
      left join pgq_node.local_state w
        on w.queue_name = n.queue_name and w.consumer_name = n.worker_name
      left join pgq_node.node_location l
        on l.queue_name = w.queue_name and l.node_name = w.provider_node
     where n.queue_name = i_queue_name;
    if not found then
        ret_code := 404;
        ret_note := 'Unknown queue: ' || i_queue_name;
        return;
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
        if local_watermark is null then
            select max(t.tick_id) into local_watermark
              from pgq.tick t
              join pgq.queue q on q.queue_id = t.tick_queue
             where q.queue_name = i_queue_name;
        end if;
        select array_agg(x.queue_name order by x.queue_name) into target_for
          from pgq_node.node_info x
         where x.combined_queue = i_queue_name;
    else
        local_watermark := worker_last_tick;
    end if;

    if node_type = 'root' then
        select max(t.tick_id) into worker_last_tick
          from pgq.tick t
          join pgq.queue q on q.queue_id = t.tick_queue
         where q.queue_name = i_queue_name;
    end if;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
