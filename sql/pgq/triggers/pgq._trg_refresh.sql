create or replace function pgq._trg_refresh(i_relid oid)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_refresh(1)
--
--      Internal: (re)generate the fast path of one table, the overload
--
--          pgq._trg_event(text, int4, text[], text, text, <table>, <table>,
--                         text, text, oid)
--
--      a one-expression SQL function with a branch per trigger kind and
--      option set of the table's pgq capture triggers (pgq._trg_build);
--      anything else falls through to pgq._trg_generic.  Drops the
--      overload when the table has no capture trigger left.
--
--      Tables with statement-level capture triggers (pgq.create_statement_
--      capture) get the same for pgq._trg_fields(), which returns the
--      event's fields for a bulk insert instead of inserting it, and
--      their own trigger function pgq._trg_capture_<oid>() is made again
--      (pgq._trg_capture_source).
--
--      Run by the DDL event triggers after every change of the table and
--      by pgq._trg_setup at install; needs superuser.  CREATE OR REPLACE
--      invalidates every cached plan that inlined the old version, so
--      the new code is used from the next row on, in all sessions.  The
--      overload depends on the table's row type, so a DROP of the table
--      would refuse to go on: pgq._trg_before_drop drops it first.
--
--      Branches with when=/ev_*= expressions are built with the rest; if
--      the function does not compile (an expression that names a function
--      outside pg_catalog, say) it is built again without them and those
--      triggers take the slow path.
--
-- Parameters:
--      i_relid - table
--
-- Returns:
--      What happened to each overload: 'created', 'dropped', 'none'
--      (nothing to do), or 'created (N option sets on the slow path)';
--      for both, joined with ', ' (e.g. 'created, none').
-- ----------------------------------------------------------------------
declare
    -- pg_trigger.tgtype bit of FOR EACH ROW triggers (TRIGGER_TYPE_ROW)
    tgtype_row  constant integer := 1;
    rowtype     oid;
    target      text;
    sig         text;
    fn          regprocedure;
    tg          record;
    branch      text;
    branches    text[];
    xbranches   text[];
    slow        integer;
    attempt     integer;
    status      text[] := '{}';
    fname       name;
begin
    select c.reltype into rowtype from pg_catalog.pg_class c where c.oid = i_relid;
    if rowtype is null or rowtype = 0 then
        return 'none';
    end if;

    foreach target in array array['_trg_event', '_trg_fields'] loop
        sig := 'pgq.' || target || '(pg_catalog.text, pg_catalog.int4, pg_catalog.text[],'
            || ' pg_catalog.text, pg_catalog.text, ' || rowtype::regtype::text || ', '
            || rowtype::regtype::text || ', pg_catalog.text, pg_catalog.text, pg_catalog.oid)';
        fn := pg_catalog.to_regprocedure(sig);
        branches := '{}';
        xbranches := '{}';
        slow := 0;

        -- (kind, queue and options): the row-level trigger functions take
        -- (queue, options ...); the statement-level one (kind, queue, options ...)
        for tg in
            select distinct x.kind, x.args
              from pg_catalog.pg_trigger t
              join pg_catalog.pg_proc p on p.oid = t.tgfoid
             cross join lateral pgq._trg_tgargs(t.tgargs, t.tgnargs) a(v)
             cross join lateral (
                    select case when target = '_trg_event' then p.proname::text else a.v[1] end as kind,
                           case when target = '_trg_event' then a.v else a.v[2:] end as args) x
             where t.tgrelid = i_relid
               and p.pronamespace = 'pgq'::regnamespace
               and case when target = '_trg_event'
                        then p.proname in ('logutriga', 'sqltriga', 'jsontriga')
                             and t.tgtype & tgtype_row <> 0
                             and t.tgnargs > 0
                        else (p.proname = '_trg_capture_statement'
                              or p.proname operator(pg_catalog.~) '^_trg_capture_[0-9]+$')
                             and t.tgnargs > 1
                             and a.v[1] in ('logutriga', 'sqltriga', 'jsontriga') end
             order by 1, 2
        loop
            begin
                branch := pgq._trg_build(i_relid, tg.kind,
                    case when pg_catalog.cardinality(tg.args) > 1
                         then tg.args[2:pg_catalog.cardinality(tg.args)] end,
                    target = '_trg_fields');
            exception when others then
                -- bad arguments: the slow path raises the error when it fires
                raise warning 'pgq: % trigger % on %: %', tg.kind, tg.args, i_relid::regclass, sqlerrm;
                slow := slow + 1;
                continue;
            end;
            if pg_catalog.cardinality(tg.args) = 1 then
                branch := 'when $1 = ' || pg_catalog.quote_literal(tg.kind) || ' and $2 = 1 then ' || branch;
            else
                branch := 'when $1 = ' || pg_catalog.quote_literal(tg.kind) || ' and $3 = '
                    || pg_catalog.quote_literal('[0:' || (pg_catalog.cardinality(tg.args) - 1) || ']='
                                                || tg.args::text)
                    || '::pg_catalog.text[] then ' || branch;
            end if;
            if exists (select 1 from pg_catalog.unnest(tg.args[2:]) a
                        where a ~ '^(when|ev_type|ev_data|ev_extra[1-4])=') then
                xbranches := xbranches || branch;
            else
                branches := branches || branch;
            end if;
        end loop;

        if pg_catalog.cardinality(branches) + pg_catalog.cardinality(xbranches) = 0 then
            if fn is not null then
                execute 'drop function ' || fn::text;
                status := status || 'dropped'::text;
            else
                status := status || 'none'::text;
            end if;
            continue;
        end if;

        for attempt in 1 .. 2 loop
            begin
                execute 'create or replace function ' || sig || ' returns '
                    || case when target = '_trg_event' then 'pg_catalog.int8' else 'pg_catalog.text[]' end
                    || ' as ' || pg_catalog.quote_literal(
                           E'\n-- generated by pgq._trg_refresh() for table oid '
                           || i_relid::text || E', do not edit\nselect case'
                           || E'\n when pg_catalog.current_setting(''session_replication_role'') = ''local'''
                           || ' then null'
                           || E'\n' || pg_catalog.array_to_string(branches || xbranches, E'\n')
                           || E'\n else pgq.'
                           || case when target = '_trg_event' then '_trg_generic' else '_trg_generic_fields' end
                           || '($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) end')
                    || ' language sql volatile';
                exit;
            exception when others then
                if attempt = 2 or pg_catalog.cardinality(xbranches) = 0 then
                    raise;
                end if;
                slow := slow + pg_catalog.cardinality(xbranches);
                xbranches := '{}';
            end;
        end loop;

        fn := pg_catalog.to_regprocedure(sig);
        execute 'revoke all on function ' || fn::text || ' from public';
        if exists (select 1 from pg_catalog.pg_roles r where r.rolname = 'pgq_writer') then
            execute 'grant execute on function ' || fn::text || ' to pgq_writer';
        end if;
        status := status || case when slow > 0
                                 then 'created (' || slow || ' option sets on the slow path)'
                                 else 'created' end;
    end loop;

    -- the table's own statement-level capture functions (named for its
    -- oid when made, see pgq.create_statement_capture): static queries
    -- for its option sets as they are now
    for fname in
        select distinct p.proname
          from pg_catalog.pg_trigger t
          join pg_catalog.pg_proc p on p.oid = t.tgfoid
         where t.tgrelid = i_relid
           and p.pronamespace = 'pgq'::regnamespace
           and p.proname operator(pg_catalog.~) '^_trg_capture_[0-9]+$'
    loop
        execute pgq._trg_capture_source(i_relid, fname);
    end loop;
    return pg_catalog.array_to_string(status, ', ');
end;
$$ language plpgsql
   set check_function_bodies = on
   -- compile the same whoever runs it (the DDL event triggers pin this too)
   set search_path = pg_catalog, pg_temp;
