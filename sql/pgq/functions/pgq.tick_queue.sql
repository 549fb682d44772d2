create or replace function pgq.tick_queue(i_queue_name text)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq.tick_queue(1)
--
--      Tick one queue now, whatever its ticker_max_count, max_lag and
--      idle_period say: an administrator's "cut a batch here".  Unlike
--      pgq.force_tick it does not move the event sequence, so event
--      counts and rates computed from the ticks stay right.
--
--      The queue row is locked, so two of these never tick one queue
--      at the same moment.
--
-- Parameters:
--      i_queue_name - name of the queue
--
-- Returns:
--      Id of the new tick.
--
-- Tables directly manipulated:
--      insert - pgq.tick
-- ----------------------------------------------------------------------
declare
    q           record;
    v_xmin      bigint;
    v_tick_id   bigint;
begin
    select queue_id, queue_tick_seq, queue_event_seq,
           queue_external_ticker, queue_ticker_paused
      into q
      from pgq.queue where queue_name = i_queue_name
       for update;
    if not found then
        raise exception 'No such event queue: %', i_queue_name;
    end if;
    if q.queue_external_ticker then
        raise exception 'queue "%" has an external tick source', i_queue_name
            using hint = 'ticks of a cascaded queue come from its provider';
    end if;
    if q.queue_ticker_paused then
        raise exception 'ticker is paused for queue "%"', i_queue_name
            using hint = 'resume it first: ALTER QUEUE ... SET paused=false';
    end if;

    select txid_snapshot_xmin(tick_snapshot) into v_xmin
      from pgq.tick
     where tick_queue = q.queue_id
     order by tick_queue desc, tick_id desc
     limit 1;
    if v_xmin > txid_current() then
        raise exception 'Invalid PgQ state: old xmin=%, cur txid=%', v_xmin, txid_current();
    end if;

    v_tick_id := nextval(q.queue_tick_seq::regclass);
    insert into pgq.tick (tick_queue, tick_id, tick_event_seq)
        values (q.queue_id, v_tick_id, pgq._event_seq_position(q.queue_event_seq));
    perform pg_catalog.pg_notify('pgq_tick', i_queue_name);
    return v_tick_id;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
