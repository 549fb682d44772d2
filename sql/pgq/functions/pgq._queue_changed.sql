create or replace function pgq._queue_changed()
returns trigger as $$
-- ----------------------------------------------------------------------
-- Function: pgq._queue_changed(0)
--
--      Internal: statement trigger on pgq.queue.  Queues that come, go
--      or change names regenerate the insert code; a change of the
--      current table or of an insert setting forgets this session's
--      per-transaction insert state, so its next insert reads it again.
--      (Other sessions read it at their next transaction.)
--
-- Parameters:
--      TG_ARGV[0] - 'code' to regenerate the insert functions, 'state'
--                   to forget the insert state only
--
-- Returns:
--      NULL (statement trigger).
--
-- Tables directly manipulated:
--      select - pgq.queue
-- ----------------------------------------------------------------------
begin
    if TG_ARGV[0] = 'code' then
        perform pgq._refresh_insert_code();
    end if;
    perform pg_catalog.set_config('pgq.q' || q.queue_id::text, '', true)
       from pgq.queue q;
    return null;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
