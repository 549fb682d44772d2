create or replace function pgq.register_consumer(
    x_queue_name text,
    x_consumer_id text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.register_consumer(2)
--
--      Subscribe a consumer to a queue, from the queue's latest tick.
--
-- Parameters:
--      x_queue_name  - name of the queue
--      x_consumer_id - name of the consumer
--
-- Returns:
--      1 if newly registered, 0 if already registered.
-- ----------------------------------------------------------------------
    select pgq.register_consumer_at(x_queue_name, x_consumer_id, NULL);
$$ language sql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq.register_consumer_at(
    x_queue_name text,
    x_consumer_name text,
    x_tick_pos bigint)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.register_consumer_at(3)
--
--      Subscribe a consumer to a queue at a given tick, or move an
--      existing subscription to that tick (closing its open batch).
--
-- Parameters:
--      x_queue_name    - name of the queue
--      x_consumer_name - name of the consumer
--      x_tick_pos      - tick to start from, NULL for the latest one
--
-- Returns:
--      1 if newly registered, 0 if it was registered already.
--
-- Tables directly manipulated:
--      insert - pgq.consumer
--      insert - pgq.subscription
--      update - pgq.subscription
-- ----------------------------------------------------------------------
declare
    tmp         text;
    last_tick   bigint;
    x_queue_id  integer;
    x_consumer_id integer;
    queue integer;
    sub record;
begin
    if x_queue_name is null or x_consumer_name is null then
        raise exception 'Invalid NULL value';
    end if;

    select queue_id into x_queue_id from pgq.queue
        where queue_name = x_queue_name;
    if not found then
        raise exception 'Event queue not created yet: %', x_queue_name;
    end if;

    -- get consumer and create if new
    insert into pgq.consumer (co_name) values (x_consumer_name)
        on conflict (co_name) do nothing;
    select co_id into x_consumer_id from pgq.consumer
        where co_name = x_consumer_name;

    -- if particular tick was requested, check if it exists
    if x_tick_pos is not null then
        perform 1 from pgq.tick
            where tick_queue = x_queue_id
              and tick_id = x_tick_pos;
        if not found then
            raise exception 'cannot reposition, tick not found: %', x_tick_pos;
        end if;
    end if;

    -- check if already registered
    select sub_last_tick, sub_batch into sub
        from pgq.subscription
        where sub_consumer = x_consumer_id
          and sub_queue  = x_queue_id
        for update;
    if found then
        if x_tick_pos is not null then
            -- if requested, update tick pos and drop partial batch
            update pgq.subscription
                set sub_last_tick = x_tick_pos,
                    sub_batch = null,
                    sub_next_tick = null,
                    sub_active = now()
                where sub_consumer = x_consumer_id
                  and sub_queue = x_queue_id;
        end if;
        -- already registered
        return 0;
    end if;

    --  new registration
    if x_tick_pos is null then
        -- start from current tick
        select tick_id into last_tick from pgq.tick
            where tick_queue = x_queue_id
            order by tick_queue desc, tick_id desc
            limit 1;
        if not found then
            raise exception 'No ticks for this queue.  Please run ticker on database.';
        end if;
    else
        last_tick := x_tick_pos;
    end if;

    -- register
    insert into pgq.subscription (sub_queue, sub_consumer, sub_last_tick)
        values (x_queue_id, x_consumer_id, last_tick);
    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
