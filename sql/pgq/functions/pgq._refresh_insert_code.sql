-- before 3.6 it took no argument: that one would make calls ambiguous
drop function if exists pgq._refresh_insert_code();
create or replace function pgq._refresh_insert_code(i_install boolean default false)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._refresh_insert_code(1)
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
--      A function a user has replaced (pgq._insert_code_ours() says it is
--      not ours) is never overwritten: a NOTICE names it, and the
--      functions above it in the original's chain (insert_event(3) calls
--      (7), (7) calls insert_event_raw) are generated to call it.  Only
--      the installer replaces them (as an upgrade of the original's
--      extension does; a released Skytools layout has the C ones), with
--      a WARNING naming each.
--
-- Parameters:
--      i_install - true when run by the installer: replace every one
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
    sig_raw text := 'pgq.insert_event_raw(text, bigint, timestamptz, integer, integer,'
                    ' text, text, text, text, text, text)';
    sig_7   text := 'pgq.insert_event(text, text, text, text, text, text, text)';
    sig_3   text := 'pgq.insert_event(text, text, text)';
    own_raw boolean;
    own_7   boolean;
    own_3   boolean;
    made    text[];
    fn      text;
    grantee text;
begin
    -- one regeneration at a time: concurrent CREATE OR REPLACE would fail
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgq._refresh_insert_code'));

    queues := array(select q from pgq.queue q order by q.queue_name collate "C");
    own_raw := coalesce(pgq._insert_code_ours(sig_raw), true);
    own_7 := coalesce(pgq._insert_code_ours(sig_7), true);
    own_3 := coalesce(pgq._insert_code_ours(sig_3), true);
    if i_install then
        foreach fn in array array[sig_raw, sig_7, sig_3] loop
            if not pgq._insert_code_ours(fn) then
                raise warning 'pgq: replacing %, which was not the generated one',
                    pg_catalog.to_regprocedure(fn);
            end if;
        end loop;
        own_raw := true;
        own_7 := true;
        own_3 := true;
    end if;
    -- functions made new here (a fresh install, or one dropped) get their
    -- grants below: a new function is executable by public
    made := array(select s from unnest(array[sig_raw, sig_7, sig_3]) s
                   where pgq._insert_code_ours(s) is null);

    if own_raw then
        execute pgq._insert_function_sql(queues, $sig$pgq.insert_event_raw(
    queue_name text, ev_id bigint, ev_time timestamptz,
    ev_owner integer, ev_retry integer, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)$sig$, $doc$
-- ----------------------------------------------------------------------
-- Function: pgq.insert_event_raw(11)
--
--      Insert an event into a queue's current data table, all fields given.
--      For pgq_admin; writers call pgq.insert_event().
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
    else
        perform pgq._insert_code_kept(sig_raw);
    end if;

    if own_7 then
        -- with a user's insert_event_raw in place, hand over to it, as the original
        execute pgq._insert_function_sql(queues, $sig$pgq.insert_event(
    queue_name text, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)$sig$, $doc$
-- ----------------------------------------------------------------------
-- Function: pgq.insert_event(7)
--
--      Insert an event into a queue, with all extra fields.  The capture
--      triggers insert through this function.  Runs with the owner's
--      rights: writers have no rights on the event tables.
--
-- Parameters:
--      queue_name - name of the queue
--      ev_type    - user-specified type for the event
--      ev_data    - user data for the event
--      ev_extra1 .. ev_extra4 - extra data fields
--
-- Returns:
--      Event id.$doc$,
            array['null', 'pg_catalog.now()', 'null', 'null', '$2', '$3', '$4', '$5', '$6', '$7'],
            case when not own_raw
                 then 'pgq.insert_event_raw($1, null, pg_catalog.now(), null, null,'
                      ' $2, $3, $4, $5, $6, $7)' end,
            true);
    else
        perform pgq._insert_code_kept(sig_7);
    end if;

    if own_3 then
        -- with a user's insert_event(7) (or raw) in place, hand over to it
        execute pgq._insert_function_sql(queues, $sig$pgq.insert_event(
    queue_name text, ev_type text, ev_data text)$sig$, $doc$
-- ----------------------------------------------------------------------
-- Function: pgq.insert_event(3)
--
--      Insert an event into a queue.  Runs with the owner's rights:
--      writers have no rights on the event tables.
--
-- Parameters:
--      queue_name - name of the queue
--      ev_type    - user-specified type for the event
--      ev_data    - user data for the event
--
-- Returns:
--      Event id.$doc$,
            array['null', 'pg_catalog.now()', 'null', 'null', '$2', '$3', 'null', 'null', 'null', 'null'],
            case when not (own_raw and own_7)
                 then 'pgq.insert_event($1, $2, $3, null, null, null, null)' end,
            true);
    else
        perform pgq._insert_code_kept(sig_3);
    end if;

    foreach fn in array made loop
        execute 'revoke all on function ' || fn || ' from public';
        grantee := case when fn = sig_raw then 'pgq_admin' else 'pgq_writer' end;
        if exists (select 1 from pg_catalog.pg_roles r where r.rolname = grantee) then
            execute 'grant execute on function ' || fn || ' to ' || grantee;
        end if;
    end loop;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
