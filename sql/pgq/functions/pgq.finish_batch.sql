create or replace function pgq.finish_batch(
    x_batch_id bigint)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.finish_batch(1)
--
--      Close a batch: the consumer moves to the batch's end tick.
--      Empty batches must be finished too.
--
-- Parameters:
--      x_batch_id - id of the open batch
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
            sub_last_tick = sub_next_tick,
            sub_next_tick = null,
            sub_batch = null
        where sub_batch = x_batch_id;
    if not found then
        raise warning 'finish_batch: batch % not found', x_batch_id;
        return 0;
    end if;

    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
