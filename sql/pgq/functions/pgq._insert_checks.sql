create or replace function pgq._insert_checks(i_queue_id integer, i_queue_name text, i_state integer)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_checks(3)
--
--      Internal: the rare parts of an insert, for queues with insert
--      flags (pgq._insert_flags): refuse when insert is disabled (unless in replica
--      role), count against per_tx_limit, send NOTIFY pgq_insert.
--
-- Parameters:
--      i_queue_id   - queue id
--      i_queue_name - queue name
--      i_state      - flags from pgq._insert_flags()
--
-- Returns:
--      Nothing; raises when the insert is not allowed.
--
-- Tables directly manipulated:
--      select - pgq.queue
-- ----------------------------------------------------------------------
declare
    v_limit integer;
begin
    if i_state & pgq._insert_state_bit('disable_insert') <> 0
       and pg_catalog.current_setting('session_replication_role') <> 'replica'
    then
        raise exception 'Insert into queue disallowed'
            using detail = 'queue "' || i_queue_name || '" has disable_insert set';
    end if;
    if i_state & pgq._insert_state_bit('per_tx_limit') <> 0 then
        select queue_per_tx_limit into v_limit from pgq.queue where queue_id = i_queue_id;
        if v_limit is not null then
            perform pgq._count_tx_events(i_queue_id, i_queue_name, v_limit, 1);
        end if;
    end if;
    if i_state & pgq._insert_state_bit('notify') <> 0 then
        -- delivered once per transaction: NOTIFY folds duplicates
        perform pg_catalog.pg_notify('pgq_insert', i_queue_name);
    end if;
end;
$$ language plpgsql set search_path = pg_catalog, pg_temp;
