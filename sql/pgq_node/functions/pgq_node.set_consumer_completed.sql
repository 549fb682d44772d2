create or replace function pgq_node.set_consumer_completed(
    in i_queue_name text,
    in i_consumer_name text,
    in i_tick_id int8,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.set_consumer_completed(3)
--
--      Record that a consumer has applied the batch ending at a tick, in
--      the transaction that applied it, and clear its last error.
--
-- Parameters:
--      i_queue_name     - cascaded queue name
--      i_consumer_name  - consumer name
--      i_tick_id        - tick id of the batch's end
--
-- Returns:
--      100 - Consumer <consumer> completed tick = <tick>
--      404 - Consumer not known
--
-- Tables directly manipulated:
--      update - pgq_node.local_state
-- ----------------------------------------------------------------------
begin
    update pgq_node.local_state
       set last_tick_id = i_tick_id,
           cur_error = null
     where queue_name = i_queue_name
       and consumer_name = i_consumer_name;
    if not found then
        ret_code := 404;
        ret_note := 'Consumer not known: ' || i_queue_name || '/' || i_consumer_name;
        return;
    end if;
    ret_code := 100;
    ret_note := 'Consumer ' || i_consumer_name || ' completed tick = ' || i_tick_id::text;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
