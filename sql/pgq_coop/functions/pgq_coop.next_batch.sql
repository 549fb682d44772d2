create or replace function pgq_coop.next_batch(
    i_queue_name text,
    i_consumer_name text,
    i_subconsumer_name text)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq_coop.next_batch(3)
--
--      Give a subconsumer the next batch of its consumer.
--
-- Parameters:
--      i_queue_name        - name of the queue
--      i_consumer_name     - name of the main consumer
--      i_subconsumer_name  - name of the subconsumer
--
-- Returns:
--      Batch id, or NULL when there is none.
-- ----------------------------------------------------------------------
    select pgq_coop.next_batch_custom($1, $2, $3, NULL, NULL, NULL, NULL);
$$ language sql;

create or replace function pgq_coop.next_batch(
    i_queue_name text,
    i_consumer_name text,
    i_subconsumer_name text,
    i_dead_interval interval)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq_coop.next_batch(4)
--
--      Give a subconsumer the next batch of its consumer; a subconsumer
--      idle for longer than i_dead_interval is removed and its open batch
--      taken over.
--
-- Parameters:
--      i_queue_name        - name of the queue
--      i_consumer_name     - name of the main consumer
--      i_subconsumer_name  - name of the subconsumer
--      i_dead_interval     - when another subconsumer counts as dead
--
-- Returns:
--      Batch id, or NULL when there is none.
-- ----------------------------------------------------------------------
    select pgq_coop.next_batch_custom($1, $2, $3, NULL, NULL, NULL, $4);
$$ language sql;

create or replace function pgq_coop.next_batch_custom(
    i_queue_name text,
    i_consumer_name text,
    i_subconsumer_name text,
    i_min_lag interval,
    i_min_count int4,
    i_min_interval interval)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq_coop.next_batch_custom(6)
--
--      Like pgq_coop.next_batch(3), with the size and lag wishes of
--      pgq.next_batch_custom().
-- ----------------------------------------------------------------------
    select pgq_coop.next_batch_custom($1, $2, $3, $4, $5, $6, NULL);
$$ language sql;

create or replace function pgq_coop.next_batch_custom(
    i_queue_name text,
    i_consumer_name text,
    i_subconsumer_name text,
    i_min_lag interval,
    i_min_count int4,
    i_min_interval interval,
    i_dead_interval interval)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq_coop.next_batch_custom(7)
--
--      Give a subconsumer the next batch of its consumer.
--
--      The main consumer's row is locked, so subconsumers take turns.
--      A subconsumer that has a batch gets it again.  With
--      i_dead_interval, a subconsumer idle longer than that is removed
--      and its open batch handed to the caller.  Otherwise a batch is
--      opened for the main consumer, closed on its row at once (the main
--      position moves on) and moved to the subconsumer's row.
--
-- Parameters:
--      i_queue_name        - name of the queue
--      i_consumer_name     - name of the main consumer
--      i_subconsumer_name  - name of the subconsumer
--      i_min_lag, i_min_count, i_min_interval - see pgq.next_batch_custom
--      i_dead_interval     - when another subconsumer counts as dead
--
-- Returns:
--      Batch id, or NULL when there is none.
--
-- Tables directly manipulated:
--      update - pgq.subscription
--      delete - pgq.subscription (dead subconsumers)
-- ----------------------------------------------------------------------
declare
    _queue_id integer;
    _consumer_id integer;
    _subcon_id integer;
    _batch_id bigint;
    _prev_tick bigint;
    _cur_tick bigint;
    _sub_id integer;
    _dead record;
begin
    -- fetch main consumer and lock its row, so subconsumers take turns
    select q.queue_id, c.co_id, s.sub_next_tick, s.sub_id
        into _queue_id, _consumer_id, _cur_tick, _sub_id
        from pgq.queue q, pgq.consumer c, pgq.subscription s
        where q.queue_name = i_queue_name
          and c.co_name = i_consumer_name
          and s.sub_queue = q.queue_id
          and s.sub_consumer = c.co_id
        for update of s;
    if not found then
        perform pgq_coop.register_subconsumer(i_queue_name, i_consumer_name, i_subconsumer_name);
        select q.queue_id, c.co_id, s.sub_next_tick, s.sub_id
            into _queue_id, _consumer_id, _cur_tick, _sub_id
            from pgq.queue q, pgq.consumer c, pgq.subscription s
            where q.queue_name = i_queue_name
              and c.co_name = i_consumer_name
              and s.sub_queue = q.queue_id
              and s.sub_consumer = c.co_id
            for update of s;
    end if;
    if _cur_tick is not null then
        raise exception 'main consumer has batch open?';
    end if;

    -- automatically register subconsumers
    perform 1 from pgq.subscription s, pgq.consumer c
        where c.co_name = i_consumer_name || '.' || i_subconsumer_name
          and s.sub_queue = _queue_id
          and s.sub_consumer = c.co_id;
    if not found then
        perform pgq_coop.register_subconsumer(i_queue_name, i_consumer_name, i_subconsumer_name);
    end if;

    -- fetch subconsumer
    select s.sub_batch, c.co_id, s.sub_next_tick
        into _batch_id, _subcon_id, _cur_tick
        from pgq.subscription s, pgq.consumer c
        where s.sub_queue = _queue_id
          and s.sub_consumer = c.co_id
          and c.co_name = i_consumer_name || '.' || i_subconsumer_name
        for update of s;
    if not found then
        raise exception 'subconsumer not found: %.%', i_consumer_name, i_subconsumer_name;
    end if;

    -- is there a batch already active
    if _batch_id is not null then
        update pgq.subscription set sub_active = now()
            where sub_queue = _queue_id
              and sub_consumer = _subcon_id;
        return _batch_id;
    end if;

    -- help dead subconsumers: take over the batch of one idle too long
    if i_dead_interval is not null then
        select s.sub_consumer, s.sub_batch, s.sub_last_tick, s.sub_next_tick
            into _dead
            from pgq.subscription s
            where s.sub_queue = _queue_id
              and s.sub_id = _sub_id
              and s.sub_consumer not in (_consumer_id, _subcon_id)
              and s.sub_active < now() - i_dead_interval
            order by s.sub_batch is null, s.sub_active
            limit 1
            for update of s;
        if found then
            delete from pgq.subscription
                where sub_queue = _queue_id
                  and sub_consumer = _dead.sub_consumer;
            perform pgq._forget_consumer(_dead.sub_consumer);
            if _dead.sub_batch is not null then
                update pgq.subscription
                    set sub_batch = _dead.sub_batch,
                        sub_last_tick = _dead.sub_last_tick,
                        sub_next_tick = _dead.sub_next_tick,
                        sub_active = now()
                    where sub_queue = _queue_id
                      and sub_consumer = _subcon_id;
                return _dead.sub_batch;
            end if;
        end if;
    end if;

    -- get a new batch for the main consumer
    select batch_id, cur_tick_id, prev_tick_id
        into _batch_id, _cur_tick, _prev_tick
        from pgq.next_batch_custom(i_queue_name, i_consumer_name,
                                   i_min_lag, i_min_count, i_min_interval);
    if _batch_id is null then
        return null;
    end if;

    -- close the batch on the main consumer: its position moves on
    update pgq.subscription
        set sub_batch = null,
            sub_active = now(),
            sub_last_tick = sub_next_tick,
            sub_next_tick = null
        where sub_queue = _queue_id
          and sub_consumer = _consumer_id;

    -- and hand it to the subconsumer
    update pgq.subscription
        set sub_batch = _batch_id,
            sub_last_tick = _prev_tick,
            sub_next_tick = _cur_tick,
            sub_active = now()
        where sub_queue = _queue_id
          and sub_consumer = _subcon_id;

    return _batch_id;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
