create or replace function pgq.drop_queue(x_queue_name text, x_force bool)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.drop_queue(2)
--
--      Drop a queue with its tables, sequences, ticks and retry events.
--
-- Parameters:
--      x_queue_name - name of the queue
--      x_force      - unregister attached consumers first; without it a
--                     queue with consumers is not dropped
--
-- Returns:
--      1 on success.
--
-- Tables directly manipulated:
--      delete - pgq.queue, pgq.tick, pgq.retry_queue
--      drop   - pgq.event_N and its data tables
-- ----------------------------------------------------------------------
declare
    tblname  text;
    q record;
    num integer;
begin
    -- check if exists
    select * into q from pgq.queue
        where queue_name = x_queue_name
        for update;
    if not found then
        raise exception 'No such event queue: %', x_queue_name;
    end if;

    if x_force then
        -- a subconsumer listed after its main consumer is already gone
        -- by then, and unregistering it again is a harmless no-op
        perform pgq.unregister_consumer(queue_name, consumer_name)
           from pgq.get_consumer_info(x_queue_name);
    else
        -- check if no consumers
        select count(*) into num from pgq.subscription
            where sub_queue = q.queue_id;
        if num > 0 then
            raise exception 'cannot drop queue %, consumers still attached', x_queue_name
                using hint = 'unregister the consumers, or drop with force';
        end if;
    end if;

    -- drop data tables
    for i in 0 .. (q.queue_ntables - 1) loop
        tblname := q.queue_data_pfx || '_' || i::text;
        execute 'DROP TABLE IF EXISTS ' || pgq.quote_fqname(tblname);
    end loop;
    execute 'DROP TABLE IF EXISTS ' || pgq.quote_fqname(q.queue_data_pfx);

    -- delete ticks and retry events
    delete from pgq.tick where tick_queue = q.queue_id;
    delete from pgq.retry_queue where ev_queue = q.queue_id;

    -- drop seqs
    execute 'DROP SEQUENCE IF EXISTS ' || pgq.quote_fqname(q.queue_tick_seq);
    execute 'DROP SEQUENCE IF EXISTS ' || pgq.quote_fqname(q.queue_event_seq);

    -- delete event
    delete from pgq.queue where queue_name = x_queue_name;

    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq.drop_queue(x_queue_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.drop_queue(1)
--
--      Drop a queue that has no consumers attached.
--
-- Parameters:
--      x_queue_name - name of the queue
--
-- Returns:
--      1 on success; NULL for a NULL name (strict, as the original).
-- ----------------------------------------------------------------------
    select pgq.drop_queue(x_queue_name, false);
$$ language sql strict;
