create or replace function pgq_node.set_consumer_paused(
    in i_queue_name text,
    in i_consumer_name text,
    in i_paused boolean,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.set_consumer_paused(3)
--
--      Tell a cascaded consumer to wait (true) or to go on (false).  The
--      uptodate flag is cleared, so the caller can wait until the
--      consumer has seen it.
--      Beyond Skytools: a change NOTIFYs pgq_node_state (payload the
--      queue name) at commit, which wakes the node's workers at once.
--
-- Parameters:
--      i_queue_name     - cascaded queue name
--      i_consumer_name  - consumer name
--      i_paused         - new flag
--
-- Returns:
--      200 - Consumer <consumer> tagged as paused|resumed
--      201 - Consumer <consumer> already paused|resumed
--      404 - Unknown consumer
--
-- Tables directly manipulated:
--      update - pgq_node.local_state
-- ----------------------------------------------------------------------
declare
    v_old boolean;
    v_word text := case when i_paused then 'paused' else 'resumed' end;
begin
    select s.paused into v_old
      from pgq_node.local_state s
     where s.queue_name = i_queue_name
       and s.consumer_name = i_consumer_name
       for update;
    if not found then
        ret_code := 404;
        ret_note := 'Unknown consumer: ' || i_consumer_name;
    elsif v_old = i_paused then
        ret_code := 201;
        ret_note := 'Consumer ' || i_consumer_name || ' already ' || v_word;
    else
        update pgq_node.local_state
           set paused = i_paused,
               uptodate = false
         where queue_name = i_queue_name
           and consumer_name = i_consumer_name;
        perform pg_catalog.pg_notify('pgq_node_state', i_queue_name);
        ret_code := 200;
        ret_note := 'Consumer ' || i_consumer_name || ' tagged as ' || v_word;
    end if;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
