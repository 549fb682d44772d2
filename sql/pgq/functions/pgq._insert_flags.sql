create or replace function pgq._insert_flags(i_queue pgq.queue)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_flags(1)
--
--      Internal: the queue's insert settings as flags (pgq._insert_state_bit),
--      zero when an insert needs no check.  The generated insert code holds
--      them as a constant per queue (a change of the settings regenerates
--      it), never in a custom setting: any caller can write one, so a
--      writer could clear flags kept there to skip disable_insert or
--      per_tx_limit.
--
-- Parameters:
--      i_queue - the queue's row
--
-- Returns:
--      Flags; 0 for none.
-- ----------------------------------------------------------------------
    select case when i_queue.queue_disable_insert
                then pgq._insert_state_bit('disable_insert') else 0 end
         operator(pg_catalog.|) case when i_queue.queue_notify
                then pgq._insert_state_bit('notify') else 0 end
         operator(pg_catalog.|) case when i_queue.queue_per_tx_limit is not null
                then pgq._insert_state_bit('per_tx_limit') else 0 end;
$$ language sql immutable strict set search_path = pg_catalog, pg_temp;
