create or replace function qadmin_ext.set_batch_done(i_tracking_key text, i_batch_id bigint)
returns boolean as $$
-- ----------------------------------------------------------------------
-- Function: qadmin_ext.set_batch_done(2)
--
--      Record that a batch is applied here, in the transaction that
--      applies it.  Two consumers applying the same batch at once: the
--      second waits for the first one's commit and then gets false.
--
-- Parameters:
--      i_tracking_key - source database/queue/consumer
--      i_batch_id     - batch id on the source
--
-- Returns:
--      true if recorded now; false if the batch was applied already
--      (skip it).
--
-- Tables directly manipulated:
--      insert - qadmin_ext.completed_batch
-- ----------------------------------------------------------------------
declare
    n   integer;
begin
    insert into qadmin_ext.completed_batch (tracking_key, batch_id)
    values (i_tracking_key, i_batch_id)
    on conflict do nothing;
    get diagnostics n = row_count;
    return n = 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
