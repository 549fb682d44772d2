create or replace function pgq_coop.finish_batch(
    i_batch_id bigint)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq_coop.finish_batch(1)
--
--      Close a subconsumer's batch; the subconsumer goes idle (its
--      position is the main consumer's, which moved on when the batch
--      was handed out).
--
-- Parameters:
--      i_batch_id - id of the open batch
--
-- Returns:
--      1 if the batch was found, 0 (and a warning) if not.
--
-- Tables directly manipulated:
--      update - pgq.subscription
-- ----------------------------------------------------------------------
begin
    update pgq.subscription
        set sub_active = now(),
            sub_last_tick = null,
            sub_next_tick = null,
            sub_batch = null
        where sub_batch = i_batch_id;
    if not found then
        raise warning 'coop_finish_batch: batch % not found', i_batch_id;
        return 0;
    end if;
    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
