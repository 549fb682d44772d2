create or replace function pgq._insert_generic(
    i_queue_name text, i_ev_id bigint, i_ev_time timestamptz,
    i_ev_owner integer, i_ev_retry integer, i_ev_type text, i_ev_data text,
    i_ev_extra1 text, i_ev_extra2 text, i_ev_extra3 text, i_ev_extra4 text)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_generic(11)
--
--      Internal: the insert functions' path for a queue their generated
--      code does not know (created by a transaction that committed after
--      the calling session compiled the code): the queue row looked up,
--      the insert by EXECUTE.  The same rules as the generated code: the
--      event id is taken before the checks, so a refused insert uses one
--      up and a given id moves the sequence too, as in the original.
--
-- Parameters:
--      as pgq.insert_event_raw(11)
--
-- Returns:
--      Event id.
--
-- Tables directly manipulated:
--      insert - the queue's current data table (pgq.event_<id>_<n>)
-- ----------------------------------------------------------------------
declare
    q       pgq.queue;
    flags   integer;
    res     bigint;
begin
    select * into q from pgq.queue where queue_name = i_queue_name;
    if not found then
        raise exception 'No such event queue: %', i_queue_name;
    end if;
    res := nextval(pgq.quote_fqname(q.queue_event_seq)::regclass);
    flags := pgq._insert_flags(q);
    if flags <> 0 then
        perform pgq._insert_checks(q.queue_id, i_queue_name, flags);
    end if;
    res := coalesce(i_ev_id, res);
    execute 'insert into ' || pgq.quote_fqname(q.queue_data_pfx || '_' || q.queue_cur_table)
        || ' (ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,'
        || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
        || ' values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)'
        using res, i_ev_time, i_ev_owner, i_ev_retry, i_ev_type, i_ev_data,
              i_ev_extra1, i_ev_extra2, i_ev_extra3, i_ev_extra4;
    return res;
end;
$$ language plpgsql set search_path = pg_catalog, pg_temp;
