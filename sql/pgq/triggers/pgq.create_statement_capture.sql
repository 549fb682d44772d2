create or replace function pgq.create_statement_capture(
    i_table regclass, i_name text, i_kind text, i_queue text, i_options text[] default '{}')
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.create_statement_capture(5)
--
--      Capture a table's changes with statement-level triggers that read
--      transition tables and insert each statement's events in bulk: the
--      same events as the row-level pgq.logutriga/sqltriga/jsontriga, at
--      several times their speed for statements that change many rows.
--      Creates <name>_ins, <name>_upd and <name>_del (AFTER ... FOR EACH
--      STATEMENT, see pgq._trg_capture_statement) and <name>_trunc (the
--      row-level function's TRUNCATE event).  Drop them with
--      DROP TRIGGER.
--
--      The triggers call the table's own function pgq._trg_capture_<oid>()
--      with a static query per option set (pgq._trg_capture_source) when
--      the caller may create functions in schema pgq, else the generic
--      pgq._trg_capture_statement(), which plans its query at every
--      statement: the same events, slower.
--
--      Not for BEFORE/SKIP use; on a partitioned table, create them on
--      the parent (events then name the parent in ev_extra1).
--
-- Parameters:
--      i_table   - table to capture
--      i_name    - trigger name prefix
--      i_kind    - 'logutriga', 'sqltriga' or 'jsontriga'
--      i_queue   - queue name
--      i_options - options as for the row-level triggers (ignore=...,
--                  pkey=..., backup, deny, when=..., ev_*=...)
--
-- Returns:
--      Number of triggers created (4).
-- ----------------------------------------------------------------------
declare
    args    text;
    targs   text;
    fname   text;
begin
    if i_kind is null or i_kind not in ('logutriga', 'sqltriga', 'jsontriga') then
        raise exception 'capture kind must be logutriga, sqltriga or jsontriga, not %',
            coalesce(i_kind, 'NULL');
    end if;
    if i_queue is null or i_name is null or i_table is null then
        raise exception 'table, trigger name and queue are required';
    end if;
    if not exists (select 1 from pgq.queue q where q.queue_name = i_queue) then
        raise exception 'No such event queue: %', i_queue;
    end if;
    -- bad options fail here rather than at the first change
    perform pgq._trg_options(i_options, false);
    select pg_catalog.string_agg(pg_catalog.quote_literal(a), ', ' order by n) into args
      from pg_catalog.unnest(array[i_kind, i_queue] || coalesce(i_options, '{}')) with ordinality x(a, n);
    -- TRUNCATE takes only the options that make sense for it
    select pg_catalog.string_agg(pg_catalog.quote_literal(a), ', ' order by n) into targs
      from pg_catalog.unnest(array[i_queue] || array(
               select o from pg_catalog.unnest(coalesce(i_options, '{}')) o where o = 'deny'))
           with ordinality x(a, n);

    fname := pgq._trg_capture_function(i_table);
    execute pg_catalog.format('create trigger %I after insert on %s referencing new table as pgq_new'
        || ' for each statement execute procedure pgq.%I(%s)',
        i_name || '_ins', i_table, fname, args);
    execute pg_catalog.format('create trigger %I after update on %s'
        || ' referencing old table as pgq_old new table as pgq_new'
        || ' for each statement execute procedure pgq.%I(%s)',
        i_name || '_upd', i_table, fname, args);
    execute pg_catalog.format('create trigger %I after delete on %s referencing old table as pgq_old'
        || ' for each statement execute procedure pgq.%I(%s)',
        i_name || '_del', i_table, fname, args);
    execute pg_catalog.format('create trigger %I after truncate on %s'
        || ' for each statement execute procedure pgq.%I(%s)',
        i_name || '_trunc', i_table, i_kind, targs);
    if fname <> '_trg_capture_statement' then
        -- static code for the new option set (the DDL event trigger,
        -- when installed, has done it already)
        execute pgq._trg_capture_source(i_table, fname);
    end if;
    return 4;
end;
$$ language plpgsql;
