create or replace function pgq_node.promote_branch(
    in i_queue_name text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.promote_branch(1)
--
--      Turn a branch into the root: producers may insert, the ticker
--      ticks the queue again (continuing after the last copied tick),
--      and the worker reads from the node itself.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--
-- Returns:
--      200 - Branch node promoted to root
--      301 - Node not branch
--      404 - Node not initialized for queue
--
-- Tables directly manipulated:
--      update - pgq.queue
--      update - pgq_node.node_info
--      update - pgq_node.local_state
-- ----------------------------------------------------------------------
declare
    v_name text;
    v_type text;
    v_worker text;
    v_last_tick bigint;
begin
    select n.node_name, n.node_type, n.worker_name into v_name, v_type, v_worker
      from pgq_node.node_info n
     where n.queue_name = i_queue_name
       for update;
    if not found then
        ret_code := 404;
        ret_note := 'Node not initialized for queue: ' || i_queue_name;
        return;
    end if;
    if v_type <> 'branch' then
        ret_code := 301;
        ret_note := 'Node not branch';
        return;
    end if;

    update pgq.queue
       set queue_disable_insert = false,
           queue_external_ticker = false
     where queue_name = i_queue_name;

    select max(t.tick_id) into v_last_tick
      from pgq.tick t
      join pgq.queue q on q.queue_id = t.tick_queue
     where q.queue_name = i_queue_name;
    -- copied ticks did not use the local sequence; the next tick follows the last
    perform pgq.seq_setval(q.queue_tick_seq, v_last_tick)
       from pgq.queue q
      where q.queue_name = i_queue_name;

    update pgq_node.node_info
       set node_type = 'root'
     where queue_name = i_queue_name;
    update pgq_node.local_state
       set provider_node = v_name,
           last_tick_id = v_last_tick,
           uptodate = false
     where queue_name = i_queue_name
       and consumer_name = v_worker;

    ret_code := 200;
    ret_note := 'Branch node promoted to root';
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
