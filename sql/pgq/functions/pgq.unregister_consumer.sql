create or replace function pgq.unregister_consumer(
    x_queue_name text,
    x_consumer_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.unregister_consumer(2)
--
--      Unsubscribe a consumer from a queue.
--
--      A cooperative subconsumer ('main.sub', sharing the main
--      consumer's sub_id) loses only its own row.  A main consumer loses
--      its retry events and every row that shares its sub_id, i.e. its
--      subconsumers too.
--
-- Parameters:
--      x_queue_name    - name of the queue
--      x_consumer_name - name of the consumer
--
-- Returns:
--      Number of subscription rows removed; 0 if it was not registered.
--
-- Tables directly manipulated:
--      delete - pgq.retry_queue
--      delete - pgq.subscription
--      delete - pgq.consumer
-- ----------------------------------------------------------------------
declare
    x_sub_id integer;
    _sub_id_cnt integer;
    _consumer_id integer;
    _is_subconsumer boolean;
begin
    select s.sub_id, c.co_id,
           exists (select 1
                     from pgq.subscription s2
                     join pgq.consumer c2 on (c2.co_id = s2.sub_consumer)
                    where s2.sub_id = s.sub_id
                      and s2.sub_queue = s.sub_queue
                      and s2.sub_consumer <> s.sub_consumer
                      and left(c.co_name, length(c2.co_name) + 1) = c2.co_name || '.')
        into x_sub_id, _consumer_id, _is_subconsumer
        from pgq.subscription s, pgq.consumer c, pgq.queue q
        where s.sub_queue = q.queue_id
          and s.sub_consumer = c.co_id
          and q.queue_name = x_queue_name
          and c.co_name = x_consumer_name
        for update of s, c;
    if not found then
        return 0;
    end if;

    -- consumer + subconsumer count
    select count(*) into _sub_id_cnt
        from pgq.subscription
       where sub_id = x_sub_id;

    -- delete only one subconsumer
    if _sub_id_cnt > 1 and _is_subconsumer then
        delete from pgq.subscription
              where sub_id = x_sub_id
                and sub_consumer = _consumer_id;
        perform pgq._forget_consumer(_consumer_id);
        return 1;
    else
        -- delete main consumer (including possible subconsumers)

        -- retry events
        delete from pgq.retry_queue
            where ev_owner = x_sub_id;

        -- this will drop subconsumers too
        delete from pgq.subscription
            where sub_id = x_sub_id;

        perform pgq._forget_consumer(_consumer_id);
        perform pgq._forget_consumer(co_id)
           from pgq.consumer
          where left(co_name, length(x_consumer_name) + 1) = x_consumer_name || '.';

        return _sub_id_cnt;
    end if;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq._forget_consumer(i_consumer_id integer)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._forget_consumer(1)
--
--      Internal: drop a consumer's name row once no queue refers to it.
-- ----------------------------------------------------------------------
begin
    delete from pgq.consumer c
     where c.co_id = i_consumer_id
       and not exists (select 1 from pgq.subscription s
                        where s.sub_consumer = c.co_id);
end;
$$ language plpgsql;
