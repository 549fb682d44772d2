create or replace function pgq._refresh_insert_code()
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._refresh_insert_code(0)
--
--      Internal: regenerate the insert functions, insert_event_raw(11)
--      and insert_event(3) and (7), with a static INSERT for every data
--      table of every queue.  Static SQL keeps a cached plan per table,
--      twice as fast as EXECUTE, knowing the queues in the code saves
--      the lookup of the queue row on every insert, and generating each
--      function whole saves a call from one to the other.  Run by the
--      trigger on pgq.queue when queues come, go or change names, and by
--      the installer.
--
-- Parameters:
--      None
--
-- Returns:
--      Nothing.
--
-- Tables directly manipulated:
--      select - pgq.queue
--      create - pgq.insert_event_raw(11), pgq.insert_event(3), pgq.insert_event(7)
-- ----------------------------------------------------------------------
declare
    queues  pgq.queue[];
begin
    -- one regeneration at a time: concurrent CREATE OR REPLACE would fail
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgq._refresh_insert_code'));

    queues := array(select q from pgq.queue q order by q.queue_name collate "C");

    execute pgq._insert_function_sql(queues, $sig$pgq.insert_event_raw(
    queue_name text, ev_id bigint, ev_time timestamptz,
    ev_owner integer, ev_retry integer, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)$sig$, $doc$
-- ----------------------------------------------------------------------
-- Function: pgq.insert_event_raw(11)
--
--      Insert an event into a queue's current data table, all fields given.
--
-- Parameters:
--      queue_name - name of the queue
--      ev_id      - event id, NULL for a new one from the queue's sequence
--      ev_time    - event time
--      ev_owner   - subscription id for retry events, else NULL
--      ev_retry   - retry count, NULL for new events
--      ev_type, ev_data, ev_extra1 .. ev_extra4 - event payload
--
-- Returns:
--      Event id.$doc$,
        array['$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', '$10', '$11']);

    execute pgq._insert_function_sql(queues, $sig$pgq.insert_event(
    queue_name text, ev_type text, ev_data text)$sig$, $doc$
-- ----------------------------------------------------------------------
-- Function: pgq.insert_event(3)
--
--      Insert an event into a queue.
--
-- Parameters:
--      queue_name - name of the queue
--      ev_type    - user-specified type for the event
--      ev_data    - user data for the event
--
-- Returns:
--      Event id.$doc$,
        array['null', 'now()', 'null', 'null', '$2', '$3', 'null', 'null', 'null', 'null']);

    execute pgq._insert_function_sql(queues, $sig$pgq.insert_event(
    queue_name text, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)$sig$, $doc$
-- ----------------------------------------------------------------------
-- Function: pgq.insert_event(7)
--
--      Insert an event into a queue, with all extra fields.
--
-- Parameters:
--      queue_name - name of the queue
--      ev_type    - user-specified type for the event
--      ev_data    - user data for the event
--      ev_extra1 .. ev_extra4 - extra data fields
--
-- Returns:
--      Event id.$doc$,
        array['null', 'now()', 'null', 'null', '$2', '$3', '$4', '$5', '$6', '$7']);
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
