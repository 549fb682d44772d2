create or replace function pgq.find_tick_helper(
    in i_queue_id int4,
    in i_prev_tick_id int8,
    in i_prev_tick_time timestamptz,
    in i_prev_tick_seq int8,
    in i_min_count int8,
    in i_min_interval interval,
    out next_tick_id int8,
    out next_tick_time timestamptz,
    out next_tick_seq int8)
as $$
-- ----------------------------------------------------------------------
-- Function: pgq.find_tick_helper(6)
--
--      Find the end tick of a big batch: the first tick that is
--      i_min_count events or i_min_interval time after the previous one.
--
--      Looks at the newest tick first: if it is not far enough, nothing
--      qualifies; if it is not more than twice as far, it is taken (the
--      batch is big anyway); otherwise the ticks in between are searched
--      for the first that qualifies.
--
-- Parameters:
--      i_queue_id       - queue id
--      i_prev_tick_id   - tick the consumer stands on
--      i_prev_tick_time - its time
--      i_prev_tick_seq  - its event position
--      i_min_count      - wanted number of events, or NULL
--      i_min_interval   - wanted time span, or NULL
--
-- Returns:
--      The end tick, or NULLs when none is far enough yet.
-- ----------------------------------------------------------------------
declare
    ok      boolean;
    t       record;
    cnt     int8;
    ival    interval;
begin
    -- first, fetch last tick of the queue
    select tick_id, tick_time, tick_event_seq into t
        from pgq.tick
        where tick_queue = i_queue_id
          and tick_id > i_prev_tick_id
        order by tick_queue desc, tick_id desc
        limit 1;
    if not found then
        return;
    end if;

    -- check whether batch would end up within reasonable limits
    ok := true;
    if i_min_count is not null then
        cnt := t.tick_event_seq - i_prev_tick_seq;
        if cnt >= i_min_count then
            ok := false;
        end if;
    end if;
    if i_min_interval is not null then
        ival := t.tick_time - i_prev_tick_time;
        if ival >= i_min_interval then
            ok := false;
        end if;
    end if;
    if ok then
        -- newest tick is not far enough: no batch yet
        return;
    end if;

    -- newest tick is not more than twice as far: take it
    if (i_min_count is null or cnt < 2 * i_min_count)
       and (i_min_interval is null or ival < 2 * i_min_interval)
    then
        next_tick_id := t.tick_id;
        next_tick_time := t.tick_time;
        next_tick_seq := t.tick_event_seq;
        return;
    end if;

    -- search for the first tick that is far enough
    select tick_id, tick_time, tick_event_seq
        into next_tick_id, next_tick_time, next_tick_seq
        from pgq.tick
        where tick_queue = i_queue_id
          and tick_id > i_prev_tick_id
          and ((i_min_count is not null
                and (tick_event_seq - i_prev_tick_seq) >= i_min_count)
            or (i_min_interval is not null
                and (tick_time - i_prev_tick_time) >= i_min_interval))
        order by tick_queue asc, tick_id asc
        limit 1;
end;
$$ language plpgsql stable;
