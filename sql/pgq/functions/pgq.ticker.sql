create or replace function pgq.ticker(i_queue_name text, i_tick_id bigint,
                                      i_orig_timestamp timestamptz, i_event_seq bigint)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq.ticker(4)
--
--      External ticker: insert a tick with the given id, time and event
--      position.  Cascaded queues copy their provider's ticks this way.
--
-- Parameters:
--      i_queue_name     - name of the queue
--      i_tick_id        - tick id
--      i_orig_timestamp - tick time
--      i_event_seq      - last event id at tick time
--
-- Returns:
--      Tick id.
-- ----------------------------------------------------------------------
declare
    q   record;
begin
    select queue_id, queue_tick_seq, queue_event_seq into q
      from pgq.queue
     where queue_name = i_queue_name
       and queue_external_ticker
       and not queue_ticker_paused
       for update;
    if not found then
        raise exception 'queue not found or ticker disabled: %', i_queue_name;
    end if;

    -- move sequences forward, never back
    perform pgq.seq_setval(q.queue_tick_seq, i_tick_id);
    perform pgq.seq_setval(q.queue_event_seq, i_event_seq);

    insert into pgq.tick (tick_queue, tick_id, tick_time, tick_event_seq)
        values (q.queue_id, i_tick_id, i_orig_timestamp, i_event_seq);

    perform pg_catalog.pg_notify('pgq_tick', i_queue_name);

    return i_tick_id;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq.ticker(i_queue_name text)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq.ticker(1)
--
--      Tick a queue if its settings say it is time.
--
--      With new events: tick when at least ticker_max_count events are
--      new or the last tick is ticker_max_lag old.  Without new events:
--      tick when the last tick is older than half of ticker_max_lag and
--      older than twice the previous gap between ticks or than
--      ticker_idle_period, so idle ticks thin out up to the idle period.
--
-- Parameters:
--      i_queue_name - name of the queue
--
--      A new tick sends NOTIFY pgq_tick (payload: the queue name), so
--      consumers can LISTEN instead of polling.
--
-- Returns:
--      New tick id, or NULL if no tick was needed.
-- ----------------------------------------------------------------------
declare
    res         bigint;
    q           record;
    state       record;
    prev_time   timestamptz;
    lag         interval;
    new_events  bigint;
    cur_txid    bigint;
begin
    select queue_id, queue_tick_seq, queue_external_ticker,
           queue_ticker_max_count, queue_ticker_max_lag,
           queue_ticker_idle_period, queue_event_seq,
           pgq._event_seq_position(queue_event_seq) as event_seq,
           queue_ticker_paused
      into q
      from pgq.queue where queue_name = i_queue_name
       for update;  -- one tick at a time per queue, whoever ticks
    if not found then
        raise exception 'no such queue: %', i_queue_name;
    end if;
    if q.queue_external_ticker then
        raise exception 'This queue has external tick source.';
    end if;
    if q.queue_ticker_paused then
        raise exception 'Ticker has been paused for this queue';
    end if;

    -- load last tick
    select tick_id, tick_time, tick_event_seq,
           txid_snapshot_xmax(tick_snapshot) as sxmax,
           txid_snapshot_xmin(tick_snapshot) as sxmin
      into state
      from pgq.tick
     where tick_queue = q.queue_id
     order by tick_queue desc, tick_id desc
     limit 1;

    if found then
        cur_txid := txid_current();
        if state.sxmin > cur_txid then
            raise exception 'Invalid PgQ state: old xmin=%, cur txid=%',
                            state.sxmin, cur_txid;
        end if;
        if state.sxmax > cur_txid then
            raise warning 'Dubious PgQ state: old xmax=%, cur txid=%',
                          state.sxmax, cur_txid;
        end if;

        new_events := q.event_seq - state.tick_event_seq;
        lag := now() - state.tick_time;
        if new_events < 0 then
            raise warning 'Negative new_events?  old=% cur=%',
                          state.tick_event_seq, q.event_seq;
        end if;

        if new_events > 0 then
            if new_events < q.queue_ticker_max_count
               and lag < q.queue_ticker_max_lag
            then
                return NULL;
            end if;
        else
            -- no new events: idle ticks, doubling the gap up to idle_period
            if lag < q.queue_ticker_max_lag / 2 then
                return NULL;
            end if;
            select tick_time into prev_time
              from pgq.tick
             where tick_queue = q.queue_id
               and tick_id < state.tick_id
             order by tick_queue desc, tick_id desc
             limit 1;
            if lag < q.queue_ticker_idle_period
               and (prev_time is null
                    or lag < 2 * (state.tick_time - prev_time))
            then
                return NULL;
            end if;
        end if;
    end if;

    insert into pgq.tick (tick_queue, tick_id, tick_event_seq)
        values (q.queue_id, nextval(q.queue_tick_seq::regclass), q.event_seq)
        returning tick_id into res;

    -- wake up consumers that LISTEN instead of polling
    perform pg_catalog.pg_notify('pgq_tick', i_queue_name);

    return res;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq.ticker()
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq.ticker(0)
--
--      Tick every queue that has an internal ticker and is not paused.
--
-- Returns:
--      Number of queues that got a new tick.
-- ----------------------------------------------------------------------
declare
    res bigint := 0;
    q   record;
begin
    for q in
        select queue_name from pgq.queue
         where not queue_external_ticker
           and not queue_ticker_paused
         order by queue_name
    loop
        if pgq.ticker(q.queue_name) is not null then
            res := res + 1;
        end if;
    end loop;
    return res;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
