create or replace function pgq_node.get_consumer_info(
    in i_queue_name text,
    out consumer_name text,
    out provider_node text,
    out last_tick_id int8,
    out paused boolean,
    out uptodate boolean,
    out cur_error text)
returns setof record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.get_consumer_info(1)
--
--      The cascaded consumers that write into this node (the worker and
--      the others).
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--
-- Returns:
--      consumer_name  - consumer name
--      provider_node  - node it reads from
--      last_tick_id   - last tick it completed here
--      paused         - it is told to wait
--      uptodate       - it has seen its last state change
--      cur_error      - why its last batch failed, if it did
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return query
        select s.consumer_name, s.provider_node, s.last_tick_id,
               s.paused, s.uptodate, s.cur_error
          from pgq_node.local_state s
         where s.queue_name = i_queue_name
         order by 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
