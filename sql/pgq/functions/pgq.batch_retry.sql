create or replace function pgq.batch_retry(
    i_batch_id bigint,
    i_retry_seconds integer)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.batch_retry(2)
--
--      Put every event of the batch that is not queued for retry yet
--      into the retry queue.
--
-- Parameters:
--      i_batch_id      - id of the open batch
--      i_retry_seconds - delay in seconds
--
-- Returns:
--      Number of events queued.
-- ----------------------------------------------------------------------
begin
    return pgq._retry_batch_events(i_batch_id, NULL,
        now() + i_retry_seconds * '1 second'::interval);
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
