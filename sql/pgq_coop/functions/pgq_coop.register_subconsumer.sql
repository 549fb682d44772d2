create or replace function pgq_coop.register_subconsumer(
    i_queue_name text,
    i_consumer_name text,
    i_subconsumer_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq_coop.register_subconsumer(3)
--
--      Register a subconsumer of a cooperative consumer, and the main
--      consumer too if needed.
--
-- Parameters:
--      i_queue_name        - name of the queue
--      i_consumer_name     - name of the main consumer
--      i_subconsumer_name  - name of the subconsumer
--
-- Returns:
--      1 if newly registered, 0 if it was registered already.
--
-- Tables directly manipulated:
--      insert - pgq.subscription
-- ----------------------------------------------------------------------
declare
    _subcon_name text;
    _queue_id integer;
    _consumer_id integer;
    _subcon_id integer;
    _consumer_sub_id integer;
    _subcon_result integer;
    r record;
begin
    if i_queue_name is null or i_consumer_name is null or i_subconsumer_name is null then
        raise exception 'Invalid NULL value';
    end if;
    _subcon_name := i_consumer_name || '.' || i_subconsumer_name;

    -- make sure main consumer exists
    perform pgq.register_consumer(i_queue_name, i_consumer_name);

    -- just go and register the subconsumer as a regular consumer
    _subcon_result := pgq.register_consumer(i_queue_name, _subcon_name);

    -- if it is a new registration
    if _subcon_result = 1 then
        select q.queue_id, mainc.co_id as main_consumer_id,
               s.sub_id as main_consumer_sub_id,
               subc.co_id as sub_consumer_id
            into r
            from pgq.queue q, pgq.subscription s, pgq.consumer mainc, pgq.consumer subc
            where mainc.co_name = i_consumer_name
              and subc.co_name = _subcon_name
              and q.queue_name = i_queue_name
              and s.sub_queue = q.queue_id
              and s.sub_consumer = mainc.co_id;
        if not found then
            raise exception 'main consumer % not found on queue %',
                i_consumer_name, i_queue_name;
        end if;

        -- duplicate the sub_id of consumer to the subconsumer
        -- and reset the subconsumer's position
        update pgq.subscription s
            set sub_id = r.main_consumer_sub_id,
                sub_last_tick = null,
                sub_next_tick = null
            where sub_queue = r.queue_id
              and sub_consumer = r.sub_consumer_id;
    end if;

    return _subcon_result;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
