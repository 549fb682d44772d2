create or replace function pgq_node.maint_watermark(i_queue_name text)
returns int4 as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.maint_watermark(1)
--
--      Maintenance step for a root node (pgq.maint_operations lists it):
--      if the root's worker has not published the global watermark for
--      5 minutes (it is not running), publish it here, so the queue can
--      still rotate.  Runs as its owner (unlike the original, which
--      needed write rights on node_info for its row lock).
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--
-- Returns:
--      0 (nothing more to do now).
--
-- Tables directly manipulated:
--      update - pgq_node.local_state (via set_global_watermark)
-- ----------------------------------------------------------------------
declare
    v_lag interval;
begin
    perform 1 from pgq_node.node_info n
     where n.queue_name = i_queue_name
       and n.node_type = 'root'
       for update;
    if not found then
        return 0;
    end if;
    select c.lag into v_lag
      from pgq.get_consumer_info(i_queue_name, '.global_watermark') c;
    if v_lag >= interval '5 minutes' then
        perform pgq_node.set_global_watermark(i_queue_name, null);
    end if;
    return 0;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
