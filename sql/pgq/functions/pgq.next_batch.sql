create or replace function pgq.next_batch_info(
    in i_queue_name text,
    in i_consumer_name text,
    out batch_id int8,
    out cur_tick_id int8,
    out prev_tick_id int8,
    out cur_tick_time timestamptz,
    out prev_tick_time timestamptz,
    out cur_tick_event_seq int8,
    out prev_tick_event_seq int8)
as $$
-- ----------------------------------------------------------------------
-- Function: pgq.next_batch_info(2)
--
--      Open the next batch for a consumer, or return the one already
--      open.  Same as next_batch_custom() without size or lag wishes.
--
-- Parameters:
--      i_queue_name    - name of the queue
--      i_consumer_name - name of the consumer
--
-- Returns:
--      batch_id and the ticks around it; batch_id is NULL when there is
--      no new tick yet (the consumer should sleep).
-- ----------------------------------------------------------------------
    select * from pgq.next_batch_custom(i_queue_name, i_consumer_name, NULL, NULL, NULL);
$$ language sql;

create or replace function pgq.next_batch(
    in i_queue_name text,
    in i_consumer_name text)
returns int8 as $$
-- ----------------------------------------------------------------------
-- Function: pgq.next_batch(2)
--
--      Open the next batch for a consumer, or return the one already
--      open.
--
-- Parameters:
--      i_queue_name    - name of the queue
--      i_consumer_name - name of the consumer
--
-- Returns:
--      Batch id, or NULL when there is no new tick yet.
-- ----------------------------------------------------------------------
    select batch_id from pgq.next_batch_custom(i_queue_name, i_consumer_name, NULL, NULL, NULL);
$$ language sql;

create or replace function pgq.next_batch_custom(
    in i_queue_name text,
    in i_consumer_name text,
    in i_min_lag interval,
    in i_min_count int4,
    in i_min_interval interval,
    out batch_id int8,
    out cur_tick_id int8,
    out prev_tick_id int8,
    out cur_tick_time timestamptz,
    out prev_tick_time timestamptz,
    out cur_tick_event_seq int8,
    out prev_tick_event_seq int8)
as $$
-- ----------------------------------------------------------------------
-- Function: pgq.next_batch_custom(5)
--
--      Open the next batch for a consumer, with wishes about its size
--      and lag, or return the batch already open (so a consumer that
--      crashed resumes where it was).
--
-- Parameters:
--      i_queue_name    - name of the queue
--      i_consumer_name - name of the consumer
--      i_min_lag       - keep-lag: only take ticks at least this old
--      i_min_count     - big batches: wait until this many events ...
--      i_min_interval  - ... or this much time, whichever comes first,
--                        and merge the ticks in between into one batch
--
-- Returns:
--      batch_id and the ticks around it; all NULL when there is no
--      batch yet.
--
-- Tables directly manipulated:
--      update - pgq.subscription
-- ----------------------------------------------------------------------
declare
    errmsg          text;
    v_queue_id        integer;
    v_sub_id          integer;
    v_cons_id         integer;
    last_tick       int8;
    open_batch      int8;
    next_tick       int8;
    nt              record;
begin
    select s.sub_queue, s.sub_consumer, s.sub_id, s.sub_last_tick, s.sub_batch, s.sub_next_tick
        into v_queue_id, v_cons_id, v_sub_id, last_tick, open_batch, next_tick
        from pgq.queue q, pgq.consumer c, pgq.subscription s
        where q.queue_name = i_queue_name
          and c.co_name = i_consumer_name
          and s.sub_queue = q.queue_id
          and s.sub_consumer = c.co_id
        for update of s;
    if not found then
        errmsg := 'Not subscriber to queue: '
            || coalesce(i_queue_name, 'NULL')
            || '/'
            || coalesce(i_consumer_name, 'NULL');
        raise exception '%', errmsg;
    end if;

    -- the tick the consumer stands on
    select t.tick_id, t.tick_time, t.tick_event_seq
        into prev_tick_id, prev_tick_time, prev_tick_event_seq
        from pgq.tick t
        where t.tick_queue = v_queue_id
          and t.tick_id = last_tick;
    if not found then
        errmsg := 'PgQ corruption: Consumer '
            || i_consumer_name || ' on queue ' || i_queue_name
            || ' does not see tick ' || coalesce(last_tick::text, 'NULL');
        raise exception '%', errmsg;
    end if;

    -- a batch is open already: hand it out again
    if open_batch is not null then
        select t.tick_id, t.tick_time, t.tick_event_seq
            into cur_tick_id, cur_tick_time, cur_tick_event_seq
            from pgq.tick t
            where t.tick_queue = v_queue_id
              and t.tick_id = next_tick;
        batch_id := open_batch;
        return;
    end if;

    -- find the end tick
    if i_min_count is null and i_min_interval is null then
        -- any next tick
        select t.tick_id, t.tick_time, t.tick_event_seq
            into nt
            from pgq.tick t
            where t.tick_queue = v_queue_id
              and t.tick_id > last_tick
            order by t.tick_queue asc, t.tick_id asc
            limit 1;
    else
        -- a tick with enough events or enough time after ours
        select h.next_tick_id as tick_id, h.next_tick_time as tick_time,
               h.next_tick_seq as tick_event_seq
            into nt
            from pgq.find_tick_helper(v_queue_id, prev_tick_id,
                     prev_tick_time, prev_tick_event_seq,
                     i_min_count, i_min_interval) h;
    end if;
    if nt.tick_id is null then
        -- no new tick: tell the consumer to sleep
        prev_tick_id := null;
        prev_tick_time := null;
        prev_tick_event_seq := null;
        return;
    end if;

    -- keep-lag: do not take ticks younger than i_min_lag
    if i_min_lag is not null and now() - nt.tick_time < i_min_lag then
        prev_tick_id := null;
        prev_tick_time := null;
        prev_tick_event_seq := null;
        return;
    end if;

    cur_tick_id := nt.tick_id;
    cur_tick_time := nt.tick_time;
    cur_tick_event_seq := nt.tick_event_seq;

    -- allocate new batch
    batch_id := nextval('pgq.batch_id_seq');
    update pgq.subscription
        set sub_batch = batch_id,
            sub_next_tick = cur_tick_id,
            sub_active = now()
        where pgq.subscription.sub_queue = v_queue_id
          and pgq.subscription.sub_consumer = v_cons_id;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
