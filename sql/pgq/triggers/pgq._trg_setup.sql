create or replace function pgq._trg_setup()
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_setup(0)
--
--      Internal, run by the installer: create the event triggers that
--      keep the capture fast path in step with DDL and (re)generate it
--      for every table that has capture triggers.  Event triggers need
--      superuser; without it nothing is done and all capture triggers
--      take the slow path (same events, several times slower).
--
--      The event triggers are ENABLE ALWAYS: Londiste applies DDL with
--      session_replication_role = replica, and a missed ALTER TABLE
--      would leave code that no longer matches the table.
--
-- Returns:
--      What was done, for the installer's log.
-- ----------------------------------------------------------------------
declare
    n   integer;
begin
    if not coalesce((select r.rolsuper from pg_catalog.pg_roles r
                      where r.rolname = current_user), false) then
        return 'capture triggers: not superuser, slow path only';
    end if;
    drop event trigger if exists pgq_capture_ddl;
    drop event trigger if exists pgq_capture_drop;
    drop event trigger if exists pgq_capture_predrop;
    create event trigger pgq_capture_ddl on ddl_command_end
        when tag in ('CREATE TABLE', 'ALTER TABLE', 'CREATE TRIGGER', 'ALTER TYPE',
                     'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE',
                     'DROP TABLE', 'DROP VIEW', 'DROP FOREIGN TABLE', 'DROP OWNED',
                     'DROP EXTENSION')
        execute procedure pgq._trg_ddl_watch();
    create event trigger pgq_capture_drop on sql_drop
        execute procedure pgq._trg_drop_watch();
    create event trigger pgq_capture_predrop on ddl_command_start
        when tag in ('DROP TABLE', 'DROP VIEW', 'DROP FOREIGN TABLE', 'DROP OWNED',
                     'DROP EXTENSION')
        execute procedure pgq._trg_before_drop();
    alter event trigger pgq_capture_ddl enable always;
    alter event trigger pgq_capture_drop enable always;
    alter event trigger pgq_capture_predrop enable always;

    n := pgq._trg_refresh_tables(array(
        select t.tgrelid from pg_catalog.pg_trigger t
         where t.tgfoid in ('pgq.logutriga()'::regprocedure, 'pgq.sqltriga()'::regprocedure,
                            'pgq.jsontriga()'::regprocedure,
                            'pgq._trg_capture_statement()'::regprocedure)
        union
        select c.oid from pg_catalog.pg_proc p
          join pg_catalog.pg_class c on c.reltype = p.proargtypes[5]
         where p.proname in ('_trg_event', '_trg_fields')
           and p.pronamespace = 'pgq'::regnamespace));
    return 'capture triggers: fast path for ' || n || ' tables';
end;
$$ language plpgsql;
