create or replace function pgq.maint_retry_events()
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.maint_retry_events(0)
--
--      Move retry events that are due back into their queues, with their
--      id, time, owner and retry count.  They get a new transaction id,
--      so they show up in a later batch, for the owning consumer only.
--
--      Set-based: one statement per queue moves every due event.  It
--      bypasses disable_insert and the per-transaction limit, which are
--      meant for producers, not for events that are in the queue already.
--
-- Returns:
--      Number of events moved; pgqd calls it again until it returns 0.
--
-- Tables directly manipulated:
--      delete - pgq.retry_queue
--      insert - pgq.event_N_x
-- ----------------------------------------------------------------------
declare
    cnt     integer := 0;
    n       integer;
    q       record;
begin
    -- allow only single event mover at a time, without affecting inserts
    lock table pgq.retry_queue in share update exclusive mode;

    for q in
        select queue_id, queue_data_pfx || '_' || queue_cur_table::text as tbl
          from pgq.queue
         where exists (select 1 from pgq.retry_queue
                        where ev_queue = queue_id
                          and ev_retry_after <= current_timestamp)
         order by queue_id
    loop
        execute 'with moved as ('
            || ' delete from pgq.retry_queue r'
            || ' where r.ev_queue = $1 and r.ev_retry_after <= current_timestamp'
            || ' returning r.ev_id, r.ev_time, r.ev_owner, r.ev_retry, r.ev_type,'
            || ' r.ev_data, r.ev_extra1, r.ev_extra2, r.ev_extra3, r.ev_extra4)'
            || ' insert into ' || pgq.quote_fqname(q.tbl)
            || ' (ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,'
            || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
            || ' select * from moved order by ev_id'
            using q.queue_id;
        get diagnostics n = row_count;
        cnt := cnt + n;
    end loop;
    return cnt;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
