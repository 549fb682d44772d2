create or replace function pgq_node.set_partition_watermark(
    in i_combined_queue_name text,
    in i_part_queue_name text,
    in i_watermark bigint,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.set_partition_watermark(3)
--
--      On a node where a combined queue is a branch: set the position of
--      the merge leaf (part queue) worker from a 'pgq.tick-id' event, so
--      it is in the right place when the combined queue becomes root.
--
-- Parameters:
--      i_combined_queue_name  - the combined queue (a branch here)
--      i_part_queue_name      - the part queue (a leaf merging into it)
--      i_watermark            - tick id of the part queue
--
-- Returns:
--      200 - Ok
--      201 - Part-queue does not exist
--      401 - Worker registration not found
--
-- Tables directly manipulated:
--      update - pgq_node.local_state
-- ----------------------------------------------------------------------
declare
    v_worker text;
begin
    select p.worker_name into v_worker
      from pgq_node.node_info c
      join pgq_node.node_info p on p.combined_queue = c.queue_name
     where p.queue_name = i_part_queue_name
       and c.queue_name = i_combined_queue_name
       and p.node_type = 'leaf'
       and c.node_type = 'branch';
    if not found then
        ret_code := 201;
        ret_note := 'Part-queue does not exist';
        return;
    end if;

    update pgq_node.local_state
       set last_tick_id = i_watermark
     where queue_name = i_part_queue_name
       and consumer_name = v_worker;
    if not found then
        ret_code := 401;
        ret_note := 'Worker registration not found';
        return;
    end if;
    ret_code := 200;
    ret_note := 'Ok';
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
