create or replace function qadmin_ext.forget_batches(i_tracking_key text, i_below_batch_id bigint)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: qadmin_ext.forget_batches(2)
--
--      Forget applied batches that can never be replayed: those older
--      than the consumer's oldest open batch.
--
-- Parameters:
--      i_tracking_key    - source database/queue/consumer
--      i_below_batch_id  - forget batch ids below this one
--
-- Returns:
--      Number of batches forgotten.
--
-- Tables directly manipulated:
--      delete - qadmin_ext.completed_batch
-- ----------------------------------------------------------------------
declare
    n   integer;
begin
    delete from qadmin_ext.completed_batch
     where tracking_key = i_tracking_key and batch_id < i_below_batch_id;
    get diagnostics n = row_count;
    return n;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
