create or replace function pgq._insert_state(i_queue_id integer)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_state(1)
--
--      Internal: what the insert code needs to know about a queue, read
--      once per transaction and remembered in a transaction-local
--      setting (pgq.q<id>): the current table number plus flags
--      2^20 = disable_insert, 2^21 = notify, 2^22 = per_tx_limit.
--
--      Reading it once per transaction is what a REPEATABLE READ producer
--      of the original does: a transaction that inserted before a
--      rotation goes on filling the previous table, and rotation keeps
--      that table (step 2 waits for a later transaction id), so no event
--      is lost.  Changes of the queue row reset the memo of the changing
--      session (pgq._queue_changed).
--
-- Parameters:
--      i_queue_id - queue id
--
-- Returns:
--      State code; raises if the queue is gone.
-- ----------------------------------------------------------------------
declare
    c   integer;
begin
    select q.queue_cur_table
           + case when q.queue_disable_insert then 1048576 else 0 end
           + case when q.queue_notify then 2097152 else 0 end
           + case when q.queue_per_tx_limit is not null then 4194304 else 0 end
      into c
      from pgq.queue q
     where q.queue_id = i_queue_id;
    if not found then
        raise exception 'No such event queue: id %', i_queue_id;
    end if;
    perform pg_catalog.set_config('pgq.q' || i_queue_id::text, c::text, true);
    return c;
end;
$$ language plpgsql;

create or replace function pgq._insert_checks(i_queue_id integer, i_queue_name text, i_state integer)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_checks(3)
--
--      Internal: the rare parts of an insert, for queues whose state code
--      has flags: refuse when insert is disabled (unless in replica
--      role), count against per_tx_limit, send NOTIFY pgq_insert.
-- ----------------------------------------------------------------------
declare
    v_limit integer;
begin
    if i_state & 1048576 <> 0
       and pg_catalog.current_setting('session_replication_role') <> 'replica'
    then
        raise exception 'Insert into queue disallowed'
            using detail = 'queue "' || i_queue_name || '" has disable_insert set';
    end if;
    if i_state & 4194304 <> 0 then
        select queue_per_tx_limit into v_limit from pgq.queue where queue_id = i_queue_id;
        if v_limit is not null then
            perform pgq._count_tx_events(i_queue_id, i_queue_name, v_limit, 1);
        end if;
    end if;
    if i_state & 2097152 <> 0 then
        -- delivered once per transaction: NOTIFY folds duplicates
        perform pg_catalog.pg_notify('pgq_insert', i_queue_name);
    end if;
end;
$$ language plpgsql;

create or replace function pgq._insert_code_tree(i_queues pgq.queue[], i_values text[])
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_code_tree(2)
--
--      Internal: PL/pgSQL text that inserts one event into queue $1: a
--      binary search over queue names (byte order) down to a branch per
--      queue with its id, sequence and a static INSERT per data table as
--      constants, so there is no lookup of the queue row beyond the
--      first insert of a transaction and every statement keeps a cached
--      plan.  Queues missing from the tree fall through to the caller's
--      generic code.  No RETURNING: writers need no SELECT privilege on
--      event tables.
--
-- Parameters:
--      i_queues - queues sorted by queue_name collate "C"
--      i_values - expressions for ev_id (NULL: next from the sequence),
--                 ev_time, ev_owner, ev_retry, ev_type, ev_data,
--                 ev_extra1 .. ev_extra4
--
-- Returns:
--      Code fragment; an empty string for no queues.
-- ----------------------------------------------------------------------
declare
    n       integer := coalesce(array_length(i_queues, 1), 0);
    mid     integer;
    q       pgq.queue;
    code    text := '';
    memo    text;
    id_expr text;
begin
    if n = 0 then
        return '';
    end if;
    if n > 4 then
        mid := (n + 1) / 2;
        return E'\nif $1 collate "C" <= ' || quote_literal(i_queues[mid].queue_name) || ' then '
            || pgq._insert_code_tree(i_queues[1:mid], i_values) || E'\n'
            || 'else ' || pgq._insert_code_tree(i_queues[mid + 1:n], i_values) || E'\n'
            || 'end if;';
    end if;
    foreach q in array i_queues loop
        memo := quote_literal('pgq.q' || q.queue_id::text);
        id_expr := 'nextval(' || quote_literal(pgq.quote_fqname(q.queue_event_seq))
            || '::regclass)';
        if i_values[1] <> 'null' then
            id_expr := 'coalesce(' || i_values[1] || ', ' || id_expr || ')';
        end if;
        code := code || E'\nif $1 = ' || quote_literal(q.queue_name) || ' then'
            || E'\n    m := pg_catalog.current_setting(' || memo || ', true);'
            || E'\n    if m is null or m = '''' then'
            || E'\n        c := pgq._insert_state(' || q.queue_id || ');'
            || E'\n    else'
            || E'\n        c := m::integer;'
            || E'\n    end if;'
            || E'\n    if c >= 1048576 then'
            || E'\n        perform pgq._insert_checks(' || q.queue_id || ', $1, c);'
            || E'\n        c := c & 1048575;'
            || E'\n    end if;'
            || E'\n    res := ' || id_expr || ';';
        for i in 0 .. q.queue_ntables - 1 loop
            code := code || E'\n    ' || case when i = 0 then 'if' else 'elsif' end
                || ' c = ' || i || ' then'
                || E'\n        insert into ' || pgq.quote_fqname(q.queue_data_pfx || '_' || i)
                || ' (ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,'
                || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
                || E'\n        values (res, ' || array_to_string(i_values[2:10], ', ') || ');';
        end loop;
        code := code || E'\n    else raise exception ''PgQ corruption: queue % has no table %'', $1, c;'
            || E'\n    end if;'
            || E'\n    return res;'
            || E'\nend if;';
    end loop;
    return code;
end;
$$ language plpgsql immutable;

create or replace function pgq._insert_function_sql(
    i_queues pgq.queue[], i_signature text, i_doc text, i_values text[])
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_function_sql(4)
--
--      Internal: CREATE OR REPLACE text for one insert function: the
--      static insert tree, then generic code for queues the tree does
--      not know (created by a transaction that committed after this
--      session compiled the code).
--
-- Parameters:
--      i_queues    - queues sorted by queue_name collate "C"
--      i_signature - function name and parameters
--      i_doc       - header comment lines
--      i_values    - column expressions, see pgq._insert_code_tree()
-- ----------------------------------------------------------------------
declare
    id_expr text;
begin
    id_expr := 'nextval(pgq.quote_fqname(qseq)::regclass)';
    if i_values[1] <> 'null' then
        id_expr := 'coalesce(' || i_values[1] || ', ' || id_expr || ')';
    end if;
    return 'create or replace function ' || i_signature || E'\nreturns bigint as $body$\n'
        || i_doc || $fn$
--
--      Generated by pgq._refresh_insert_code() whenever queues are
--      created, dropped or renamed: the tree below holds a static INSERT
--      for every data table of every queue.  With the queue's notify
--      setting on, sends NOTIFY pgq_insert (payload: the queue name),
--      once per transaction.
-- ----------------------------------------------------------------------
#variable_conflict use_column
declare
    c           integer;
    m           text;
    qid         integer;
    qpfx        text;
    qseq        text;
    res         int8;
begin
$fn$ || pgq._insert_code_tree(i_queues, i_values) || $fn$
    -- a queue this code does not know yet: look it up
    select q.queue_id, q.queue_data_pfx, q.queue_event_seq into qid, qpfx, qseq
      from pgq.queue q where q.queue_name = $1;
    if not found then
        raise exception 'No such event queue: %', $1;
    end if;
    c := pgq._insert_state(qid);
    if c >= 1048576 then
        perform pgq._insert_checks(qid, $1, c);
        c := c & 1048575;
    end if;
    res := $fn$ || id_expr || $fn$;
    execute 'insert into ' || pgq.quote_fqname(qpfx || '_' || c)
        || ' (ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,'
        || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
        || ' values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)'
        using res, $fn$ || array_to_string(i_values[2:10], ', ') || $fn$;
    return res;
end;
$body$ language plpgsql;
$fn$;
end;
$$ language plpgsql immutable;

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

create or replace function pgq._queue_changed()
returns trigger as $$
-- ----------------------------------------------------------------------
-- Function: pgq._queue_changed(0)
--
--      Internal: statement trigger on pgq.queue.  Queues that come, go
--      or change names regenerate the insert code; a change of the
--      current table or of an insert setting forgets this session's
--      per-transaction insert state, so its next insert reads it again.
--      (Other sessions read it at their next transaction.)
-- ----------------------------------------------------------------------
begin
    if TG_ARGV[0] = 'code' then
        perform pgq._refresh_insert_code();
    end if;
    perform pg_catalog.set_config('pgq.q' || q.queue_id::text, '', true)
       from pgq.queue q;
    return null;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
