-- before 3.6 it took no argument, then one: those would make calls ambiguous
drop function if exists pgq._refresh_insert_code();
drop function if exists pgq._refresh_insert_code(boolean);
create or replace function pgq._refresh_insert_code(
    i_install boolean default false, i_buckets integer[] default null)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._refresh_insert_code(2)
--
--      Internal: regenerate the insert functions, insert_event_raw(11)
--      and insert_event(3) and (7).  Static SQL keeps a cached plan per
--      table, twice as fast as EXECUTE, and knowing the queues in the
--      code saves the lookup of the queue row on every insert; but code
--      for every queue in one function would cost every create (and
--      every session's first insert, which compiles it) more with every
--      queue.  So the queues are spread over 64 buckets by a hash of
--      their names (pgq._insert_bucket): each bucket in use has its own
--      three functions (pgq._insert_raw_bNN, pgq._insert_7_bNN,
--      pgq._insert_3_bNN, made by pgq._insert_function_sql) with a
--      static INSERT per data table of its queues, and the functions
--      writers call pick the bucket by the hash and call its function
--      (pgq._insert_dispatch_sql).  A queue that comes, goes or changes
--      its name regenerates its bucket only (the trigger on pgq.queue
--      passes it), and the three functions above when a bucket gets its
--      first queue or loses its last; a function whose text would not
--      change is left alone, so sessions keep its compiled code.  With
--      few queues (8 at most) the functions writers call hold the code of
--      every queue themselves, as the bucket functions do, which saves
--      the call to the bucket's function: both shapes are cheap to make
--      there.  The generated text is not checked again when it is
--      created (check_function_bodies off here): it is made by tested
--      code, and checking a bucket's function costs more than making it.
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
--      i_buckets - the buckets to regenerate; NULL for all of them
--
-- Returns:
--      Nothing.
--
-- Tables directly manipulated:
--      select - pgq.queue
--      create - pgq.insert_event_raw(11), pgq.insert_event(3), pgq.insert_event(7),
--               pgq._insert_raw_bNN(11), pgq._insert_7_bNN(7), pgq._insert_3_bNN(3)
--      drop   - the bucket functions of buckets without queues
-- ----------------------------------------------------------------------
declare
    sig_raw text := 'pgq.insert_event_raw(text, bigint, timestamptz, integer, integer,'
                    ' text, text, text, text, text, text)';
    sig_7   text := 'pgq.insert_event(text, text, text, text, text, text, text)';
    sig_3   text := 'pgq.insert_event(text, text, text)';
    val_raw text[] := array['$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', '$10', '$11'];
    val_7   text[] := array['null', 'pg_catalog.now()', 'null', 'null',
                            '$2', '$3', '$4', '$5', '$6', '$7'];
    val_3   text[] := array['null', 'pg_catalog.now()', 'null', 'null',
                            '$2', '$3', 'null', 'null', 'null', 'null'];
    own_raw boolean;
    own_7   boolean;
    own_3   boolean;
    fn      text;
    live    integer[];
    todo    integer[];
    b       integer;
    queues  pgq.queue[];
    v       record;
    few     constant integer := 8;
    inline  boolean;
    every   pgq.queue[];
    doc     text;
    doc_7   text := $doc$
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
--      Event id.$doc$;
    doc_3   text := $doc$
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
--      Event id.$doc$;
begin
    -- one regeneration at a time: concurrent CREATE OR REPLACE would fail
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgq._refresh_insert_code'));

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

    live := array(select distinct pgq._insert_bucket(q.queue_name) from pgq.queue q order by 1);
    every := array(select q from pgq.queue q order by q.queue_name collate "C" limit few + 1);
    inline := coalesce(pg_catalog.array_length(every, 1), 0) <= few;
    if i_buckets is null then
        -- every bucket in use, and every one whose functions are left over
        todo := array(
            select live[i] from generate_subscripts(live, 1) i
             union
            select pg_catalog.right(p.proname, 2)::integer
              from pg_catalog.pg_proc p
             where p.pronamespace = 'pgq'::regnamespace
               and p.proname ~ '^_insert_(raw|7|3)_b[0-9][0-9]$'
             order by 1);
    else
        todo := i_buckets;
    end if;

    -- the buckets' functions first: the ones above call them
    foreach b in array todo loop
        queues := array(select q from pgq.queue q
                         where pgq._insert_bucket(q.queue_name) = b
                         order by q.queue_name collate "C");
        for v in
            select x.name, x.args, x.vals, x.grantee, x.target
              from (values
                ('raw', 'text, bigint, timestamptz, integer, integer,'
                        ' text, text, text, text, text, text', val_raw, 'pgq_admin',
                 'pgq.insert_event_raw(11)'),
                ('7', 'text, text, text, text, text, text, text', val_7, null,
                 'pgq.insert_event(7)'),
                ('3', 'text, text, text', val_3, null, 'pgq.insert_event(3)')
              ) x(name, args, vals, grantee, target)
        loop
            fn := 'pgq._insert_' || v.name || '_b' || pg_catalog.lpad(b::text, 2, '0')
                || '(' || v.args || ')';
            if b = any(live) then
                perform pgq._insert_code_put(fn, pgq._insert_function_sql(queues, fn, $doc$
-- ----------------------------------------------------------------------
-- Function: $doc$ || pg_catalog.split_part(fn, '(', 1) || $doc$
--
--      Internal: what $doc$ || v.target || $doc$ runs for the queues of
--      bucket $doc$ || b || $doc$ (see pgq._insert_bucket, pgq._refresh_insert_code).
--      Runs with its caller's rights, which are the owner's but for
--      insert_event_raw; executable by the owner (and for raw pgq_admin).
--
-- Parameters:
--      as $doc$ || v.target || $doc$
--
-- Returns:
--      Event id.$doc$, v.vals), v.grantee);
            elsif pg_catalog.to_regprocedure(fn) is not null then
                execute 'drop function ' || pg_catalog.to_regprocedure(fn)::text;
            end if;
        end loop;
    end loop;

    if own_raw then
        fn := $sig$pgq.insert_event_raw(
    queue_name text, ev_id bigint, ev_time timestamptz,
    ev_owner integer, ev_retry integer, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)$sig$;
        doc := $doc$
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
--      Event id.$doc$;
        perform pgq._insert_code_put(sig_raw, case
            when inline then pgq._insert_function_sql(every, fn, doc, val_raw)
            else pgq._insert_dispatch_sql(live, fn, doc, 'pgq._insert_raw_b', 11, val_raw)
            end, 'pgq_admin');
    else
        perform pgq._insert_code_kept(sig_raw);
    end if;

    if own_7 then
        -- with a user's insert_event_raw in place, hand over to it, as the original
        fn := $sig$pgq.insert_event(
    queue_name text, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)$sig$;
        perform pgq._insert_code_put(sig_7, case
            when own_raw and inline then pgq._insert_function_sql(every, fn, doc_7, val_7, null, true)
            when own_raw then pgq._insert_dispatch_sql(live, fn, doc_7, 'pgq._insert_7_b', 7, val_7, true)
            else pgq._insert_function_sql(null, fn, doc_7, val_7,
                'pgq.insert_event_raw($1, null, pg_catalog.now(), null, null,'
                ' $2, $3, $4, $5, $6, $7)', true)
            end, 'pgq_writer');
    else
        perform pgq._insert_code_kept(sig_7);
    end if;

    if own_3 then
        -- with a user's insert_event(7) (or raw) in place, hand over to it
        fn := $sig$pgq.insert_event(
    queue_name text, ev_type text, ev_data text)$sig$;
        perform pgq._insert_code_put(sig_3, case
            when own_raw and own_7 and inline then
                pgq._insert_function_sql(every, fn, doc_3, val_3, null, true)
            when own_raw and own_7 then
                pgq._insert_dispatch_sql(live, fn, doc_3, 'pgq._insert_3_b', 3, val_3, true)
            else pgq._insert_function_sql(null, fn, doc_3, val_3,
                'pgq.insert_event($1, $2, $3, null, null, null, null)', true)
            end, 'pgq_writer');
    else
        perform pgq._insert_code_kept(sig_3);
    end if;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp
    set check_function_bodies = off;
