create or replace function pgq.current_event_table(x_queue_name text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq.current_event_table(1)
--
--      Name of the queue's active data table, for producers that COPY
--      events in directly.  Valid only until the end of the current
--      transaction: rotation may switch tables after it.
--
-- Parameters:
--      x_queue_name - name of the queue
--
-- Returns:
--      Table name, e.g. pgq.event_1_0.
-- ----------------------------------------------------------------------
declare
    res text;
    disabled boolean;
begin
    select queue_data_pfx || '_' || queue_cur_table::text,
           queue_disable_insert
        into res, disabled
        from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'Event queue not found: %', x_queue_name;
    end if;
    if disabled then
        if current_setting('session_replication_role') <> 'replica' then
            raise exception 'Writing to queue disabled';
        end if;
    end if;
    return res;
end;
$$ language plpgsql;
