create or replace function pgq._count_tx_events(
    i_queue_id integer, i_queue_name text, i_limit integer, i_count integer)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._count_tx_events(4)
--
--      Internal: enforce queue_per_tx_limit.  The count lives in a
--      transaction-local setting, so it vanishes at commit or rollback
--      (and shrinks with a rolled-back savepoint, like the events).
--
-- Parameters:
--      i_queue_id   - queue id
--      i_queue_name - queue name, for the message
--      i_limit      - the queue's per-transaction limit
--      i_count      - events about to be inserted
-- ----------------------------------------------------------------------
declare
    setting text := 'pgq.tx_events_' || i_queue_id::text;
    cnt     bigint;
begin
    cnt := coalesce(nullif(pg_catalog.current_setting(setting, true), ''), '0')::bigint + i_count;
    if cnt > i_limit then
        raise exception 'Queue ''%'' allows max % events from one TX', i_queue_name, i_limit;
    end if;
    perform pg_catalog.set_config(setting, cnt::text, true);
end;
$$ language plpgsql;
