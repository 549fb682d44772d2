create or replace function pgq._trg_before_drop()
returns event_trigger as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_before_drop(0)
--
--      Event trigger on ddl_command_start of DROP TABLE, DROP VIEW, DROP
--      FOREIGN TABLE, DROP OWNED and DROP EXTENSION: drop the generated
--      fast path (the pgq._trg_event / pgq._trg_fields overloads) of the
--      tables the command may drop, so it does not stop the DROP.  The
--      overloads take the table's row type, so they depend on it, and a
--      plain DROP TABLE (RESTRICT) would refuse to go on; CASCADE forms,
--      DROP SCHEMA ... CASCADE included, would drop them anyway.
--
--      At the start of a command PostgreSQL does not say what it will
--      drop, so this takes every captured table that the command text
--      names (a whole word, case folded), with its partitions and
--      inheritance children: the text is current_query() for a command
--      sent by the client, or the statement of the innermost SPI call
--      (EXECUTE in a function, a DO block).  Where the text cannot be
--      known (a DROP inside an SQL function, DROP OWNED, DROP EXTENSION,
--      U&"" identifiers) it takes every captured table.  The tables
--      remembered in the transaction-local setting pgq.trg_dropping get
--      their fast path back at ddl_command_end if they still exist
--      (pgq._trg_ddl_watch), and an aborted DROP rolls back both.  Tables
--      the command does not drop only pay for one regeneration.
--
--      No catalog is written: the dependencies stay as CREATE FUNCTION
--      made them, so a dump restored elsewhere (with this event trigger)
--      behaves the same.
--
--      Security definer (superuser), like pgq._trg_ddl_watch; it reads
--      the command text and runs nothing from it.
--
-- Parameters:
--      None (event trigger)
--
-- Returns:
--      Nothing.
--
-- Tables directly manipulated:
--      drop - generated overloads pgq._trg_event(..., <table>, ...) and
--             pgq._trg_fields(..., <table>, ...)
-- ----------------------------------------------------------------------
declare
    ctx     text[];
    txt     text;
    every   boolean;
    rels    oid[];
    fn      regprocedure;
begin
    get diagnostics txt = pg_context;
    ctx := pg_catalog.string_to_array(txt, E'\n');
    -- ctx[1] is this function; ctx[2], if any, whoever ran the command
    if pg_catalog.cardinality(ctx) = 1 then
        txt := pg_catalog.current_query();
    elsif ctx[2] like 'SQL statement "%' then
        txt := ctx[2];
    else
        txt := null;
    end if;
    every := tg_tag in ('DROP OWNED', 'DROP EXTENSION') or txt is null
             or pg_catalog.strpos(pg_catalog.lower(txt), 'u&') > 0;
    txt := pg_catalog.lower(txt);

    -- captured tables, each with itself and its ancestors (a DROP of a
    -- partitioned table drops its partitions) and the names they go by in
    -- SQL text (a " doubled); materialized, so only these are matched
    with recursive captured(relid, anc) as (
        select c.oid, c.oid
          from pg_catalog.pg_proc p
          join pg_catalog.pg_class c on c.reltype = p.proargtypes[5]
         where p.proname in ('_trg_event', '_trg_fields')
           and p.pronamespace = 'pgq'::regnamespace
        union
        select captured.relid, i.inhparent
          from captured join pg_catalog.pg_inherits i on i.inhrelid = captured.anc
    ), named as materialized (
        select captured.relid,
               pg_catalog.lower(pg_catalog.replace(a.relname, '"', '""')) as name,
               pg_catalog.octet_length(a.relname) >= 63 as cut
          from captured join pg_catalog.pg_class a on a.oid = captured.anc
    )
    select pg_catalog.array_agg(distinct named.relid) into rels
      from named
     where every
        or case when pg_catalog.strpos(txt, named.name) = 0 then false  -- cheap test first
                else txt ~ ('(^|[^[:alnum:]_$])'
                            || pg_catalog.regexp_replace(named.name, '([^[:alnum:]_])', '\\\1', 'g')
                            -- a longer name in the text was cut to NAMEDATALEN - 1 bytes
                            || case when named.cut then '' else '($|[^[:alnum:]_$])' end) end;
    if rels is null then
        return;
    end if;

    for fn in
        select p.oid::regprocedure
          from pg_catalog.pg_proc p
          join pg_catalog.pg_class c on c.reltype = p.proargtypes[5]
         where p.proname in ('_trg_event', '_trg_fields')
           and p.pronamespace = 'pgq'::regnamespace
           and c.oid = any (rels)
    loop
        execute 'drop function ' || fn::text;
    end loop;
    perform pg_catalog.set_config('pgq.trg_dropping',
        pg_catalog.concat_ws(',', nullif(pg_catalog.current_setting('pgq.trg_dropping', true), ''),
                             pg_catalog.array_to_string(rels, ',')),
        true);
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
