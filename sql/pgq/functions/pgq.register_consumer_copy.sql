create or replace function pgq.register_consumer_copy(
    i_queue_name    text,
    i_consumer_name text,
    i_source_name   text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.register_consumer_copy(3)
--
--      Register a consumer (or move a registered one) at the position
--      of another consumer of the same queue: the last tick the other
--      one finished, so the copy also sees the events of a batch the
--      other one has open.
--
-- Parameters:
--      i_queue_name    - name of the queue
--      i_consumer_name - consumer to register or move
--      i_source_name   - consumer whose position is copied
--
-- Returns:
--      1 if newly registered, 0 if it was registered and got moved.
-- ----------------------------------------------------------------------
declare
    v_tick  bigint;
begin
    if i_queue_name is null or i_consumer_name is null or i_source_name is null then
        raise exception 'Invalid NULL value';
    end if;
    perform 1 from pgq.queue where queue_name = i_queue_name;
    if not found then
        raise exception 'No such event queue: %', i_queue_name;
    end if;

    select s.sub_last_tick into v_tick
      from pgq.subscription s
      join pgq.queue q on q.queue_id = s.sub_queue
      join pgq.consumer c on c.co_id = s.sub_consumer
     where q.queue_name = i_queue_name and c.co_name = i_source_name;
    if not found then
        raise exception 'consumer "%" is not registered on queue "%"',
                        i_source_name, i_queue_name;
    end if;
    if v_tick is null then
        raise exception 'consumer "%" has no position of its own', i_source_name
            using hint = 'a cooperative subconsumer shares its main consumer''s position: copy that';
    end if;
    return pgq.register_consumer_at(i_queue_name, i_consumer_name, v_tick);
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
