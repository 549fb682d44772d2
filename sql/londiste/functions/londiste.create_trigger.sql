create or replace function londiste.create_trigger(
    in i_queue_name text,
    in i_table_name text,
    in i_trg_args text[],
    in i_dest_table text,
    in i_node_type text,
    out ret_code int4,
    out ret_note text,
    out trigger_name text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.create_trigger(5)
--
--      Create (or replace when its arguments changed) the capture
--      triggers of a replicated table: a row trigger
--      _londiste_<queue> calling pgq.logutriga(<queue>, args...) and a
--      statement trigger _londiste_<queue>_truncate AFTER TRUNCATE calling
--      pgq.sqltriga(<queue>) that sends TRUNCATE as an event of type R.
--
--      With tgflags T (ours, not the original's), where they give the
--      same events in the same order, AFTER statement-level triggers
--      _londiste_<queue>_ins, _upd and _del take the row trigger's place
--      (as pgq.create_statement_capture makes them:
--      pgq._trg_capture_<oid>('logutriga', <queue>, args...)), which
--      capture a statement's rows with one INSERT ... SELECT instead of
--      one insert per row: see the conditions below.  Opt-in, as it
--      costs about twice the row trigger's capture on one-row statements
--      (the transition tables and two query start-ups) and pays from
--      statements of some tens of rows on: bulk loads, batch jobs.
--      On a leaf node the triggers get the 'deny' argument: changes by
--      anything but the replay are refused.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_table_name - table name in the queue (schema.name)
--      i_trg_args   - add-table arguments; for the trigger:
--                     tgflags=<BAQLJIUDST> (B before, A after, Q sqltriga,
--                     L logutriga, J jsontriga, I/U/D the events, S skip,
--                     T statement-level capture where it is equivalent),
--                     skip, no_triggers, virtual_table, and any other
--                     argument is passed to the trigger function (the
--                     add-table flags expect_sync, skip_truncate,
--                     merge_all, no_merge are not)
--      i_dest_table - the table the triggers go on
--      i_node_type  - root, branch or leaf
--
-- Returns:
--      200 - OK
--      201 - Trigger not created (no_triggers, or a leaf without PgQ)
--      403 - AFTER trigger cannot work with SKIP trigger(s)
--      405 - Multiple SKIP triggers
--      trigger_name - name of the row trigger (of the first statement
--                     trigger with statement-level capture)
--
-- Tables directly manipulated:
--      none (creates triggers on i_dest_table)
-- ----------------------------------------------------------------------
declare
    c_skip_prefix constant text := 'zzz_';
    v_flags     text := '';
    v_func      text := 'pgq.logutriga';
    v_when      text := 'after';
    v_events    text[] := '{}';
    v_args      text[] := array[pg_catalog.quote_literal(i_queue_name)];
    v_extra     text[] := '{}';
    v_skip      boolean := false;
    v_no_trg    boolean := false;
    v_extra1    boolean := false;
    v_arg       text;
    v_oid       oid := londiste.find_table_oid(i_dest_table);
    v_qtable    text := londiste.quote_fqname(i_dest_table);
    v_skip_cnt  integer;
    v_skip_name text;
    v_trunc     text := '_londiste_' || i_queue_name || '_truncate';
    v_stmt      boolean;
    v_fn        text;
    v_ref       text;
begin
    foreach v_arg in array coalesce(i_trg_args, '{}') loop
        if v_arg like 'tgflags=%' then
            v_flags := v_flags || pg_catalog.upper(pg_catalog.substr(v_arg, 9));
        elsif v_arg in ('no_triggers', 'virtual_table') then
            v_no_trg := true;
        elsif pg_catalog.lower(v_arg) = 'skip' then
            v_skip := true;
        elsif v_arg not in ('expect_sync', 'skip_truncate', 'merge_all', 'no_merge') then
            v_extra1 := v_extra1 or v_arg like 'ev_extra1=%';
            v_args := v_args || pg_catalog.quote_literal(v_arg);
        end if;
    end loop;
    if v_no_trg then
        select 201, 'Trigger not created' into ret_code, ret_note;
        return;
    end if;

    -- events of another table name carry the queue's name in extra1
    if i_dest_table <> i_table_name and not v_extra1 then
        v_args := v_args || pg_catalog.quote_literal(
                                'ev_extra1=' || pg_catalog.quote_literal(i_table_name));
    end if;

    -- the flags, later ones of a pair winning as in the original: A over B,
    -- J over L over Q
    if pg_catalog.strpos(v_flags, 'B') > 0 then v_when := 'before'; end if;
    if pg_catalog.strpos(v_flags, 'A') > 0 then v_when := 'after'; end if;
    if pg_catalog.strpos(v_flags, 'Q') > 0 then v_func := 'pgq.sqltriga'; end if;
    if pg_catalog.strpos(v_flags, 'L') > 0 then v_func := 'pgq.logutriga'; end if;
    if pg_catalog.strpos(v_flags, 'J') > 0 then v_func := 'pgq.jsontriga'; end if;
    if pg_catalog.strpos(v_flags, 'I') > 0 then v_events := v_events || 'insert'::text; end if;
    if pg_catalog.strpos(v_flags, 'U') > 0 then v_events := v_events || 'update'::text; end if;
    if pg_catalog.strpos(v_flags, 'D') > 0 then v_events := v_events || 'delete'::text; end if;
    if pg_catalog.strpos(v_flags, 'S') > 0 then v_skip := true; end if;
    if pg_catalog.cardinality(v_events) = 0 then
        v_events := array['insert', 'update', 'delete'];
    end if;

    if i_node_type = 'leaf' then
        -- a leaf only guards its tables, with PgQ's triggers if it has them
        perform 1 from pg_catalog.pg_proc p
          join pg_catalog.pg_namespace n on n.oid = p.pronamespace
         where n.nspname = 'pgq' and p.proname in ('logutriga', 'sqltriga', 'jsontriga');
        if not found then
            select 201, 'Trigger not created' into ret_code, ret_note;
            return;
        end if;
        v_extra := array[pg_catalog.quote_literal('deny')];
    end if;

    trigger_name := '_londiste_' || i_queue_name;
    if v_skip or v_when = 'after' then
        select pg_catalog.count(*), min(t.tgname)
          into v_skip_cnt, v_skip_name
          from pg_catalog.pg_trigger t
         where t.tgrelid = v_oid
           and position('\x00534b495000'::bytea in t.tgargs) > 0;
    end if;
    if v_when = 'after' and v_skip_cnt > 0 then
        select 403, 'AFTER trigger cannot work with SKIP trigger(s)' into ret_code, ret_note;
        return;
    end if;
    if v_skip then
        if v_skip_cnt = 0 then
            -- a SKIP trigger fires last: after every other BEFORE trigger
            trigger_name := c_skip_prefix || trigger_name;
            v_args := v_args || pg_catalog.quote_literal('SKIP');
        elsif v_skip_cnt = 1 then
            if pg_catalog.strpos(v_skip_name, c_skip_prefix) <> 1 then
                execute pg_catalog.format('alter trigger %I on %s rename to %I',
                                          v_skip_name, v_qtable, c_skip_prefix || v_skip_name);
            end if;
        else
            select 405, 'Multiple SKIP triggers' into ret_code, ret_note;
            return;
        end if;
    end if;

    -- statement-level capture (pgq.create_statement_capture's triggers,
    -- one per event, each with its transition table) where it gives the
    -- row trigger's events in the row trigger's order: AFTER, no SKIP, a
    -- plain table (a partitioned one would name the parent in ev_extra1),
    -- no user AFTER ROW trigger (changes it makes to the table would be
    -- captured before the statement's own), and the table's own static
    -- capture function (the generic one plans a query per statement)
    v_stmt := pg_catalog.strpos(v_flags, 'T') > 0
        and v_when = 'after' and not v_skip and i_node_type <> 'leaf'
        and (select c.relkind from pg_catalog.pg_class c where c.oid = v_oid) = 'r'
        and not exists (
            select 1 from pg_catalog.pg_trigger g
             where g.tgrelid = v_oid
               and not g.tgisinternal
               and (g.tgtype & 3) = 1                      -- ROW, not BEFORE
               and pg_catalog.substr(g.tgname, 1, 10) <> '_londiste_'
               and not londiste.is_replica_func(g.tgfoid));

    -- (re)create the capture triggers: their arguments may have changed
    execute pg_catalog.format('drop trigger if exists %I on %s', trigger_name, v_qtable);
    foreach v_arg in array array['insert', 'update', 'delete'] loop
        execute pg_catalog.format('drop trigger if exists %I on %s',
                                  '_londiste_' || i_queue_name || '_' || pg_catalog.left(v_arg, 3), v_qtable);
    end loop;
    -- (after the drops: the DDL event trigger drops a capture function no
    -- trigger calls)
    if v_stmt then
        v_fn := pgq._trg_capture_function(v_oid::regclass);
        v_stmt := v_fn <> '_trg_capture_statement';
    end if;
    if v_stmt then
        foreach v_arg in array v_events loop
            if v_arg = 'insert' then
                v_ref := 'new table as pgq_new';
            elsif v_arg = 'update' then
                v_ref := 'old table as pgq_old new table as pgq_new';
            else
                v_ref := 'old table as pgq_old';
            end if;
            execute pg_catalog.format(
                'create trigger %I after %s on %s referencing %s for each statement execute procedure pgq.%I(%s)',
                '_londiste_' || i_queue_name || '_' || pg_catalog.left(v_arg, 3), v_arg, v_qtable, v_ref,
                v_fn, pg_catalog.array_to_string(
                          pg_catalog.quote_literal(pg_catalog.substr(v_func, 5)) || v_args || v_extra, ', '));
        end loop;
        -- static code for these options (the DDL event trigger, when
        -- installed, has done it already)
        execute pgq._trg_capture_source(v_oid, v_fn);
        trigger_name := '_londiste_' || i_queue_name || '_' || pg_catalog.left(v_events[1], 3);
    else
        execute pg_catalog.format('create trigger %I %s %s on %s for each row execute procedure %s(%s)',
                                  trigger_name, v_when, pg_catalog.array_to_string(v_events, ' or '),
                                  v_qtable, v_func,
                                  pg_catalog.array_to_string(v_args || v_extra, ', '));
    end if;

    -- TRUNCATE goes into the queue as an event of type R
    perform 1 from pg_catalog.pg_trigger t where t.tgrelid = v_oid and t.tgname = v_trunc;
    if not found then
        execute pg_catalog.format(
            'create trigger %I after truncate on %s for each statement execute procedure pgq.sqltriga(%s)',
            v_trunc, v_qtable,
            pg_catalog.array_to_string(pg_catalog.quote_literal(i_queue_name) || v_extra, ', '));
    end if;
    select 200, 'OK' into ret_code, ret_note;
    return;
end;
$$ language plpgsql;
