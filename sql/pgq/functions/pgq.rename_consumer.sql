create or replace function pgq.rename_consumer(
    i_queue_name    text,
    i_consumer_name text,
    i_new_name      text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.rename_consumer(3)
--
--      Give a consumer a new name on one queue.  Its position, open
--      batch and retry events stay (they belong to the subscription),
--      and its cooperative subconsumers "<old>.<sub>" become
--      "<new>.<sub>".  Subscriptions on other queues keep the old name.
--
-- Parameters:
--      i_queue_name    - name of the queue
--      i_consumer_name - current consumer name
--      i_new_name      - new consumer name
--
-- Returns:
--      1 if renamed, 0 if the names are equal.
--
-- Tables directly manipulated:
--      insert - pgq.consumer
--      update - pgq.subscription
--      delete - pgq.consumer
-- ----------------------------------------------------------------------
declare
    v_queue_id  integer;
    v_old_id    integer;
    v_new_id    integer;
    v_sub_id    integer;
    v_sub       record;
    v_sub_name  text;
    v_old_ids   integer[];
begin
    if i_queue_name is null or i_consumer_name is null
       or i_new_name is null or i_new_name = ''
    then
        raise exception 'Invalid NULL value';
    end if;

    select queue_id into v_queue_id from pgq.queue where queue_name = i_queue_name;
    if not found then
        raise exception 'No such event queue: %', i_queue_name;
    end if;

    select s.sub_consumer, s.sub_id into v_old_id, v_sub_id
      from pgq.subscription s
      join pgq.consumer c on c.co_id = s.sub_consumer
     where s.sub_queue = v_queue_id and c.co_name = i_consumer_name
       for update of s;
    if not found then
        raise exception 'consumer "%" is not registered on queue "%"',
                        i_consumer_name, i_queue_name;
    end if;
    if i_new_name = i_consumer_name then
        return 0;
    end if;

    -- lock every row of the subscription (subconsumers share sub_id)
    perform 1 from pgq.subscription
      where sub_queue = v_queue_id and sub_id = v_sub_id
        for update;

    v_new_id := pgq._consumer_id(i_new_name);
    perform 1 from pgq.subscription
      where sub_queue = v_queue_id and sub_consumer = v_new_id;
    if found then
        raise exception 'consumer "%" is already registered on queue "%"',
                        i_new_name, i_queue_name;
    end if;

    v_old_ids := array[v_old_id];
    for v_sub in
        select s.sub_consumer, c.co_name
          from pgq.subscription s
          join pgq.consumer c on c.co_id = s.sub_consumer
         where s.sub_queue = v_queue_id and s.sub_id = v_sub_id
           and s.sub_consumer <> v_old_id
           and left(c.co_name, length(i_consumer_name) + 1) = i_consumer_name || '.'
    loop
        v_sub_name := i_new_name || substr(v_sub.co_name, length(i_consumer_name) + 1);
        perform 1 from pgq.subscription s
          join pgq.consumer c on c.co_id = s.sub_consumer
         where s.sub_queue = v_queue_id and c.co_name = v_sub_name;
        if found then
            raise exception 'consumer "%" is already registered on queue "%"',
                            v_sub_name, i_queue_name;
        end if;
        update pgq.subscription set sub_consumer = pgq._consumer_id(v_sub_name)
         where sub_queue = v_queue_id and sub_consumer = v_sub.sub_consumer;
        v_old_ids := v_old_ids || v_sub.sub_consumer;
    end loop;

    update pgq.subscription set sub_consumer = v_new_id
     where sub_queue = v_queue_id and sub_consumer = v_old_id;

    -- names no subscription uses any more
    delete from pgq.consumer c
     where c.co_id = any (v_old_ids)
       and not exists (select 1 from pgq.subscription s where s.sub_consumer = c.co_id);
    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq._consumer_id(i_consumer_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._consumer_id(1)
--
--      Internal: id of a consumer name, added to pgq.consumer if new.
--
-- Parameters:
--      i_consumer_name - consumer name
--
-- Returns:
--      co_id
--
-- Tables directly manipulated:
--      insert - pgq.consumer
-- ----------------------------------------------------------------------
declare
    v_id integer;
begin
    insert into pgq.consumer (co_name) values (i_consumer_name)
        on conflict (co_name) do nothing;
    select co_id into v_id from pgq.consumer where co_name = i_consumer_name;
    return v_id;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
