create or replace function pgq.insert_event_bulk(
    queue_name text, ev_types text[], ev_datas text[],
    ev_extra1 text[] default null, ev_extra2 text[] default null,
    ev_extra3 text[] default null, ev_extra4 text[] default null)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq.insert_event_bulk(7)
--
--      Insert many events in one call: element i of every array makes
--      event i.  One round trip and one set-based INSERT instead of a
--      call per event.  Arrays shorter than the longest are padded with
--      NULLs; a NULL array is all NULLs.  Runs with the owner's rights,
--      like insert_event().  When a user has replaced insert_event(7)
--      (see pgq._insert_code_ours), the events go through it one by one,
--      as every other insert does, so the replacement sees them all.
--
-- Parameters:
--      queue_name - name of the queue
--      ev_types   - event types
--      ev_datas   - event payloads
--      ev_extra1 .. ev_extra4 - extra fields (optional)
--
-- Returns:
--      Number of events inserted.
-- ----------------------------------------------------------------------
declare
    q       record;
    n       bigint;
begin
    if not coalesce(pgq._insert_code_ours(
            'pgq.insert_event(text, text, text, text, text, text, text)'), true) then
        select count(pgq.insert_event($1, u.t, u.d, u.e1, u.e2, u.e3, u.e4)) into n
          from unnest(coalesce($2, '{}'), coalesce($3, '{}'), coalesce($4, '{}'),
                      coalesce($5, '{}'), coalesce($6, '{}'), coalesce($7, '{}'))
               as u (t, d, e1, e2, e3, e4);
        return n;
    end if;
    select queue_id, queue_cur_table, queue_disable_insert, queue_per_tx_limit,
           queue_data_pfx, queue_event_seq, queue_notify
      into q from pgq.queue where pgq.queue.queue_name = $1;
    if not found then
        raise exception 'No such event queue: %', $1;
    end if;
    if q.queue_disable_insert
       and pg_catalog.current_setting('session_replication_role') <> 'replica'
    then
        raise exception 'Insert into queue disallowed'
            using detail = 'queue "' || $1 || '" has disable_insert set';
    end if;
    n := greatest(coalesce(cardinality($2), 0), coalesce(cardinality($3), 0),
                  coalesce(cardinality($4), 0), coalesce(cardinality($5), 0),
                  coalesce(cardinality($6), 0), coalesce(cardinality($7), 0));
    if n = 0 then
        return 0;
    end if;
    if q.queue_per_tx_limit is not null then
        perform pgq._count_tx_events(q.queue_id, $1, q.queue_per_tx_limit, n::integer);
    end if;
    execute 'insert into ' || pgq.quote_fqname(q.queue_data_pfx || '_' || q.queue_cur_table)
        || ' (ev_time, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
        || ' select now(), u.t, u.d, u.e1, u.e2, u.e3, u.e4'
        || ' from unnest($1, $2, $3, $4, $5, $6) as u (t, d, e1, e2, e3, e4)'
        using coalesce($2, '{}'), coalesce($3, '{}'), coalesce($4, '{}'),
              coalesce($5, '{}'), coalesce($6, '{}'), coalesce($7, '{}');
    get diagnostics n = row_count;
    if q.queue_notify then
        perform pg_catalog.pg_notify('pgq_insert', $1);
    end if;
    return n;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
