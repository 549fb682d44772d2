create or replace function pgq.ticker_now(i_queue_names text[])
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.ticker_now(1)
--
--      Tick the given queues at once, without waiting for
--      ticker_max_count or ticker_max_lag.
--
--      For tickers that LISTEN for pgq_insert: a producer's commit wakes
--      the ticker, which calls this with the notified queue names, so a
--      consumer sees the event a few milliseconds later instead of on
--      the next ticker round.  Only the ticker may call it (ticks must
--      never be made in parallel); queues that are unknown (dropped in
--      the meantime), paused or ticked externally are skipped quietly.
--      The tick is unconditional: a notification means a commit with
--      events, and events inserted with a given id (insert_event_raw)
--      do not move the event sequence; at worst a batch is empty.
--      The queue row is locked, so no other ticker ticks it meanwhile.
--
-- Parameters:
--      i_queue_names - queue names, as sent in the notifications
--
-- Returns:
--      Number of queues that got a new tick.
--
-- Tables directly manipulated:
--      insert - pgq.tick (through pgq.tick_queue)
-- ----------------------------------------------------------------------
declare
    q           record;
    n           integer := 0;
begin
    for q in
        select queue_name
          from pgq.queue
         where queue_name = any (i_queue_names)
           and not queue_external_ticker
           and not queue_ticker_paused
         order by queue_name
           for update
    loop
        -- the same tick an administrator's TICK makes: checks, insert, notify
        perform pgq.tick_queue(q.queue_name);
        n := n + 1;
    end loop;
    return n;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
