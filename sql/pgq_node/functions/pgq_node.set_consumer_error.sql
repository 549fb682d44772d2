create or replace function pgq_node.set_consumer_error(
    in i_queue_name text,
    in i_consumer_name text,
    in i_error_msg text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.set_consumer_error(3)
--
--      Record why a consumer's last batch failed (shown by status).
--
-- Parameters:
--      i_queue_name     - cascaded queue name
--      i_consumer_name  - consumer name
--      i_error_msg      - error message
--
-- Returns:
--      100 - Consumer <consumer> error = <message>
--      101 - Consumer not known, ignoring
--
-- Tables directly manipulated:
--      update - pgq_node.local_state
-- ----------------------------------------------------------------------
begin
    update pgq_node.local_state
       set cur_error = i_error_msg
     where queue_name = i_queue_name
       and consumer_name = i_consumer_name;
    if not found then
        ret_code := 101;
        ret_note := 'Consumer not known, ignoring: ' || i_queue_name || '/' || i_consumer_name;
        return;
    end if;
    ret_code := 100;
    ret_note := 'Consumer ' || i_consumer_name || ' error = ' || i_error_msg;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
