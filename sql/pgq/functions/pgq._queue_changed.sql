create or replace function pgq._queue_changed()
returns trigger as $$
-- ----------------------------------------------------------------------
-- Function: pgq._queue_changed(0)
--
--      Internal: row trigger on pgq.queue.  A queue that comes, goes,
--      changes its name, tables or an insert setting, or rotates to its
--      next table regenerates the insert code of its bucket (of both
--      names, for a rename), which holds the queue's current table as a
--      constant.  Other sessions see the new code at their next
--      transaction; see pgq.maint_rotate_tables_step2 for those already
--      in one.  Per row, so that the cost of a change does not grow with
--      the number of queues.
--
-- Parameters:
--      None
--
-- Returns:
--      NULL (after trigger).
--
-- Tables directly manipulated:
--      select - pgq.queue
-- ----------------------------------------------------------------------
declare
    o   pgq.queue;
    n   pgq.queue;
begin
    if TG_OP <> 'INSERT' then
        o := OLD;
    end if;
    if TG_OP <> 'DELETE' then
        n := NEW;
    end if;
    perform pgq._refresh_insert_code(false, array(
        select distinct pgq._insert_bucket(x)
          from unnest(array[o.queue_name, n.queue_name]) x
         where x is not null));
    return null;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
