create or replace function pgq.force_tick(i_queue_name text)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq.force_tick(1)
--
--      Make the next ticker run tick the queue, by moving the event
--      sequence past ticker_max_count.  Ticking directly here could run
--      in parallel with the ticker, which is unsafe.
--
--      Does nothing for queues with an external ticker or a paused one;
--      NULL for an unknown queue (as the original).
--
-- Parameters:
--      i_queue_name - name of the queue
--
-- Returns:
--      The current last tick id; callers loop until it changes.
-- ----------------------------------------------------------------------
declare
    q  record;
    t  record;
begin
    -- bump seq and get queue id
    select queue_id, queue_event_seq, queue_ticker_max_count,
           queue_external_ticker, queue_ticker_paused
      into q
      from pgq.queue where queue_name = i_queue_name;
    if not found then
        return null;  -- as the original: no queue, no tick
    end if;

    -- the next id plus twice max_count: the event counter reads as the
    -- original's does after the same calls (it takes an id too)
    if not q.queue_external_ticker and not q.queue_ticker_paused then
        perform pg_catalog.setval(q.queue_event_seq::regclass,
            pg_catalog.nextval(q.queue_event_seq::regclass)
            + q.queue_ticker_max_count * 2 + 1000);
    end if;

    -- return last tick id
    select tick_id into t
      from pgq.tick
     where tick_queue = q.queue_id
     order by tick_queue desc, tick_id desc
     limit 1;

    return t.tick_id;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
