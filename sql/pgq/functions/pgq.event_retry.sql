create or replace function pgq.event_retry(
    x_batch_id bigint,
    x_event_id bigint,
    x_retry_time timestamptz)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.event_retry(3a)
--
--      Put an event of the batch into the retry queue: it comes back to
--      this consumer (only) in a later batch, after x_retry_time.
--
-- Parameters:
--      x_batch_id   - id of the open batch
--      x_event_id   - id of an event of the batch
--      x_retry_time - when to re-insert it
--
-- Returns:
--      1 if queued for retry, 0 if it was queued already.
--
-- Tables directly manipulated:
--      insert - pgq.retry_queue
-- ----------------------------------------------------------------------
declare
    n   integer;
begin
    n := pgq._retry_batch_events(x_batch_id, array[x_event_id], x_retry_time);
    if n = 0 then
        perform 1 from pgq.retry_queue r, pgq.subscription s
          where s.sub_batch = x_batch_id
            and r.ev_owner = s.sub_id
            and r.ev_id = x_event_id;
        if not found then
            raise exception 'event not found: batch %, event %', x_batch_id, x_event_id;
        end if;
    end if;
    return n;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq.event_retry(
    x_batch_id bigint,
    x_event_id bigint,
    x_retry_seconds integer)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.event_retry(3b)
--
--      Put an event of the batch into the retry queue, to come back
--      after x_retry_seconds.
--
-- Parameters:
--      x_batch_id      - id of the open batch
--      x_event_id      - id of an event of the batch
--      x_retry_seconds - delay in seconds
--
-- Returns:
--      1 if queued for retry, 0 if it was queued already.
-- ----------------------------------------------------------------------
    select pgq.event_retry(x_batch_id, x_event_id,
        now() + x_retry_seconds * '1 second'::interval);
$$ language sql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq.event_retry(
    x_batch_id bigint,
    x_event_ids bigint[],
    x_retry_seconds integer)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.event_retry(3c)
--
--      Put several events of the batch into the retry queue with one
--      pass over the batch, instead of one pass per event.
--
-- Parameters:
--      x_batch_id      - id of the open batch
--      x_event_ids     - ids of events of the batch
--      x_retry_seconds - delay in seconds
--
-- Returns:
--      Number of events queued (ids queued already are not counted).
-- ----------------------------------------------------------------------
begin
    perform 1 from pgq.subscription where sub_batch = x_batch_id;
    if not found then
        raise exception 'batch not found: %', x_batch_id;
    end if;
    return pgq._retry_batch_events(x_batch_id, x_event_ids,
        now() + x_retry_seconds * '1 second'::interval);
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq._retry_batch_events(
    i_batch_id bigint,
    i_event_ids bigint[],
    i_retry_after timestamptz)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._retry_batch_events(3)
--
--      Internal: copy events of a batch into pgq.retry_queue for the
--      batch's consumer, with ev_retry counted up; NULL ids mean every
--      event of the batch.  Events already queued are skipped.
--
-- Returns:
--      Number of events queued.
-- ----------------------------------------------------------------------
declare
    sub     record;
    n       integer;
    filter  text := '';
begin
    select sub_queue, sub_id into sub
      from pgq.subscription where sub_batch = i_batch_id;
    if not found then
        raise exception 'batch not found: %', i_batch_id;
    end if;
    if i_event_ids is not null then
        filter := ' where b.ev_id = any ($4)';
    end if;
    execute 'insert into pgq.retry_queue (ev_retry_after, ev_queue,'
        || ' ev_id, ev_time, ev_txid, ev_owner, ev_retry, ev_type, ev_data,'
        || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
        || ' select $1, $2, b.ev_id, b.ev_time, NULL, $3, coalesce(b.ev_retry, 0) + 1,'
        || ' b.ev_type, b.ev_data, b.ev_extra1, b.ev_extra2, b.ev_extra3, b.ev_extra4'
        || ' from (' || pgq.batch_event_sql(i_batch_id) || ') b'
        || filter
        || ' on conflict do nothing'
        using i_retry_after, sub.sub_queue, sub.sub_id, i_event_ids;
    get diagnostics n = row_count;
    return n;
end;
$$ language plpgsql;
