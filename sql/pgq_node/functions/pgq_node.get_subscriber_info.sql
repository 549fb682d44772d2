create or replace function pgq_node.get_subscriber_info(
    in i_queue_name text,
    out node_name text,
    out worker_name text,
    out node_watermark int8)
returns setof record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.get_subscriber_info(1)
--
--      The nodes that read from this node.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--
-- Returns:
--      node_name       - subscriber node
--      worker_name     - consumer name its worker reads with
--      node_watermark  - position of its '.<node>.watermark' consumer,
--                        the lowest tick its subtree still needs
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return query
        select s.subscriber_node, s.worker_name,
               (select c.last_tick
                  from pgq.get_consumer_info(i_queue_name, s.watermark_name) c)
          from pgq_node.subscriber_info s
         where s.queue_name = i_queue_name
         order by 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
