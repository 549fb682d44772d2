create or replace function pgq_coop.unregister_subconsumer(
    i_queue_name text,
    i_consumer_name text,
    i_subconsumer_name text,
    i_batch_handling integer)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq_coop.unregister_subconsumer(4)
--
--      Remove a subconsumer.  If it has a batch open, i_batch_handling
--      decides: 1 drops the batch (its events are lost for this
--      consumer), anything else refuses.
--
-- Parameters:
--      i_queue_name        - name of the queue
--      i_consumer_name     - name of the main consumer
--      i_subconsumer_name  - name of the subconsumer
--      i_batch_handling    - 1 to drop an open batch, 0 to refuse
--
-- Returns:
--      1 if removed, 0 if it was not registered.
--
-- Tables directly manipulated:
--      delete - pgq.subscription
-- ----------------------------------------------------------------------
declare
    _current_batch bigint;
    _queue_id integer;
    _subcon_id integer;
begin
    select q.queue_id, c.co_id, sub_batch
        into _queue_id, _subcon_id, _current_batch
        from pgq.queue q, pgq.consumer c, pgq.subscription s
        where c.co_name = i_consumer_name || '.' || i_subconsumer_name
          and q.queue_name = i_queue_name
          and s.sub_queue = q.queue_id
          and s.sub_consumer = c.co_id
        for update of s;
    if not found then
        return 0;
    end if;

    if _current_batch is not null then
        if i_batch_handling = 1 then
            -- ignore active batch
        else
            raise exception 'subconsumer has active batch'
                using hint = 'finish the batch, or unregister with batch handling 1 to drop it';
        end if;
    end if;

    delete from pgq.subscription
        where sub_queue = _queue_id
          and sub_consumer = _subcon_id;

    perform pgq._forget_consumer(_subcon_id);

    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
