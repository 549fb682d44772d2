create or replace function pgq.delete_event(
    i_queue_name    text,
    i_event_id      bigint)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.delete_event(2)
--
--      Remove an event from a queue, e.g. a poison event that makes its
--      consumers fail: every copy of it, in the event tables (a retried
--      event comes back there with the same id) and in the retry queue.
--
--      Refused while a consumer has a batch open that contains the
--      event: that consumer may be processing it right now.  The
--      subscriptions are locked meanwhile, so no batch can open on the
--      queue between the check and the delete.
--
-- Parameters:
--      i_queue_name - name of the queue
--      i_event_id   - ev_id of the event
--
-- Returns:
--      Number of rows deleted (at least 1).
--
-- Tables directly manipulated:
--      delete - pgq.event_N_*, pgq.retry_queue
-- ----------------------------------------------------------------------
declare
    v_queue     record;
    v_table     text;
    v_holders   text;
    v_events    integer;
    v_retries   integer;
begin
    if i_queue_name is null or i_event_id is null then
        raise exception 'Invalid NULL value';
    end if;

    select queue_id, queue_data_pfx into v_queue
      from pgq.queue where queue_name = i_queue_name;
    if not found then
        raise exception 'No such event queue: %', i_queue_name;
    end if;
    v_table := pgq.quote_fqname(v_queue.queue_data_pfx);

    perform 1 from pgq.subscription where sub_queue = v_queue.queue_id for update;

    -- open batches that contain a copy of the event (the batch rule:
    -- visible in the end tick's snapshot, not in the start tick's, and
    -- owned by nobody or by that subscription)
    execute format($sql$
        select string_agg(format('batch %%s of consumer "%%s"', s.sub_batch, c.co_name),
                          ', ' order by s.sub_batch)
          from %s ev
          join pgq.subscription s
            on s.sub_queue = $1 and s.sub_batch is not null
           and (ev.ev_owner is null or ev.ev_owner = s.sub_id)
          join pgq.consumer c on c.co_id = s.sub_consumer
          join pgq.tick t_last
            on t_last.tick_queue = s.sub_queue and t_last.tick_id = s.sub_last_tick
          join pgq.tick t_next
            on t_next.tick_queue = s.sub_queue and t_next.tick_id = s.sub_next_tick
         where ev.ev_id = $2
           and txid_visible_in_snapshot(ev.ev_txid, t_next.tick_snapshot)
           and not txid_visible_in_snapshot(ev.ev_txid, t_last.tick_snapshot)
        $sql$, v_table)
      into v_holders
      using v_queue.queue_id, i_event_id;
    if v_holders is not null then
        raise exception 'event % is in an open batch: %', i_event_id, v_holders
            using hint = 'wait until the batch is finished (or unregister the consumer), then delete the event';
    end if;

    execute format('delete from %s where ev_id = $1', v_table) using i_event_id;
    get diagnostics v_events = row_count;
    delete from pgq.retry_queue
     where ev_queue = v_queue.queue_id and ev_id = i_event_id;
    get diagnostics v_retries = row_count;

    if v_events + v_retries = 0 then
        raise exception 'event % not found in queue "%"', i_event_id, i_queue_name;
    end if;
    return v_events + v_retries;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
