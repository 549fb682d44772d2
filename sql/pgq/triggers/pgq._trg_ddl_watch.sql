create or replace function pgq._trg_ddl_watch()
returns event_trigger as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_ddl_watch(0)
--
--      Event trigger on ddl_command_end (CREATE/ALTER TABLE, CREATE
--      TRIGGER, ALTER TYPE, ...): regenerate the capture fast path of the
--      tables the command touched, so the inlined code always matches the
--      table's columns, key and trigger options.
--
--      After DROP TABLE and the like it gives back the fast path of the
--      tables pgq._trg_before_drop took it from that were not dropped.
--
--      Skipped while pgq.create_queue makes its event tables (it sets
--      pgq.trg_quiet): new tables without capture triggers, and the look
--      at the command's objects was the larger part of a create.
--
--      Security definer (superuser): it creates functions in schema pgq.
--      It only ever
--      writes generated code whose names are quoted and whose trigger
--      arguments are string literals or parsed expressions inside the
--      function body; nothing user-supplied is executed here.
-- ----------------------------------------------------------------------
declare
    rels    oid[];
begin
    -- pgq.create_queue making its event tables: nothing captured there
    if pg_catalog.current_setting('pgq.trg_quiet', true) = 'create_queue' then
        return;
    end if;
    select pg_catalog.array_agg(distinct r) into rels from (
        select c.objid as r from pg_catalog.pg_event_trigger_ddl_commands() c
         where c.classid = 'pg_catalog.pg_class'::regclass
        union all
        select t.tgrelid from pg_catalog.pg_event_trigger_ddl_commands() c
          join pg_catalog.pg_trigger t on t.oid = c.objid
         where c.classid = 'pg_catalog.pg_trigger'::regclass
        union all
        -- ALTER TYPE ... CASCADE changes typed tables (CREATE TABLE OF)
        select k.oid from pg_catalog.pg_event_trigger_ddl_commands() c
          join pg_catalog.pg_class k on k.reloftype = c.objid
         where c.classid = 'pg_catalog.pg_type'::regclass
        union all
        select k.oid from pg_catalog.pg_event_trigger_ddl_commands() c
          join pg_catalog.pg_class t on t.oid = c.objid and t.relkind = 'c'
          join pg_catalog.pg_class k on k.reloftype = t.reltype
         where c.classid = 'pg_catalog.pg_class'::regclass
        union all
        -- tables a DROP did not drop after all (see pgq._trg_before_drop)
        select c.oid from pg_catalog.pg_class c
         where c.oid = any (pg_catalog.string_to_array(
                   nullif(pg_catalog.current_setting('pgq.trg_dropping', true), ''),
                   ',')::oid[])
    ) s;
    perform pg_catalog.set_config('pgq.trg_dropping', '', true);
    if rels is not null then
        perform pgq._trg_refresh_tables(rels);
    end if;
exception when others then
    raise warning 'pgq: capture trigger refresh failed: %', sqlerrm;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
