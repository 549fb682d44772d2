create or replace function pgq._queue_changed()
returns trigger as $$
-- ----------------------------------------------------------------------
-- Function: pgq._queue_changed(0)
--
--      Internal: row trigger on pgq.queue.  A queue that comes, goes or
--      changes its name (or tables) regenerates the insert code of its
--      bucket (of both names, for a rename); a change of the current
--      table or of an insert setting forgets this session's
--      per-transaction insert state of that queue, so its next insert
--      reads it again.  (Other sessions read it at their next
--      transaction.)  Per row, so that the cost of a change does not
--      grow with the number of queues.
--
-- Parameters:
--      TG_ARGV[0] - 'code' to regenerate the insert code, 'state' to
--                   forget the insert state only
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
    if TG_ARGV[0] = 'code' then
        perform pgq._refresh_insert_code(false, array(
            select distinct pgq._insert_bucket(x)
              from unnest(array[o.queue_name, n.queue_name]) x
             where x is not null));
    end if;
    -- forget the state code the insert code remembers (pgq._insert_memo)
    perform pg_catalog.set_config(m.setting,
               pg_catalog.array_to_string(p[:m.pos - 1] || ''::text || p[m.pos + 1:], ','), true)
       from unnest(array[o.queue_id, n.queue_id]) x,
            pgq._insert_memo(x) m,
            pg_catalog.string_to_array(pg_catalog.current_setting(m.setting, true), ',') p
      where x is not null and pg_catalog.cardinality(p) >= m.pos;
    return null;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
