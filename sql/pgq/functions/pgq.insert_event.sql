create or replace function pgq.insert_event(queue_name text, ev_type text, ev_data text)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq.insert_event(3)
--
--      Insert an event into a queue.
--
--      A plain SQL wrapper, so the planner inlines it into the caller and
--      the event costs one PL/pgSQL call.
--
-- Parameters:
--      queue_name - name of the queue
--      ev_type    - user-specified type for the event
--      ev_data    - user data for the event
--
-- Returns:
--      Event id.
-- ----------------------------------------------------------------------
    select pgq.insert_event_raw($1, null, now(), null, null, $2, $3, null, null, null, null);
$$ language sql;

create or replace function pgq.insert_event(
    queue_name text, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)
returns bigint as $$
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
--      Event id.
-- ----------------------------------------------------------------------
    select pgq.insert_event_raw($1, null, now(), null, null, $2, $3, $4, $5, $6, $7);
$$ language sql;
