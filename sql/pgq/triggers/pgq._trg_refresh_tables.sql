create or replace function pgq._trg_refresh_tables(i_relids oid[])
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_refresh_tables(1)
--
--      Internal: pgq._trg_refresh() for tables and all their partitions
--      and inheritance children (ALTER TABLE on a parent changes them
--      too; CREATE TRIGGER on a partitioned table clones the trigger),
--      limited to those with a capture trigger or a generated overload.
--
--      Never fails: it runs inside users' DDL.  A table whose overload
--      cannot be built loses it (slow path, same events) and the DDL gets
--      a WARNING.
--
-- Parameters:
--      i_relids - tables
--
-- Returns:
--      Number of tables refreshed.
-- ----------------------------------------------------------------------
declare
    rel     oid;
    n       integer := 0;
    sig     text;
begin
    for rel in
        with recursive tree(relid) as (
            select r from pg_catalog.unnest(i_relids) r
            union
            select i.inhrelid from pg_catalog.pg_inherits i join tree on i.inhparent = tree.relid
        )
        select c.oid from tree join pg_catalog.pg_class c on c.oid = tree.relid
         where exists (select 1 from pg_catalog.pg_trigger t
                        where t.tgrelid = c.oid
                          and t.tgfoid in ('pgq.logutriga()'::regprocedure, 'pgq.sqltriga()'::regprocedure,
                                           'pgq.jsontriga()'::regprocedure,
                                           'pgq._trg_capture_statement()'::regprocedure))
            or exists (select 1 from pg_catalog.pg_proc p
                        where p.proname in ('_trg_event', '_trg_fields')
                          and p.pronamespace = 'pgq'::regnamespace
                          and p.proargtypes[5] = c.reltype)
    loop
        n := n + 1;
        begin
            perform pgq._trg_refresh(rel);
        exception when others then
            raise warning 'pgq: capture triggers of % take the slow path: %', rel::regclass, sqlerrm;
            -- never leave an overload that no longer matches the table
            begin
                for sig in
                    select p.oid::regprocedure::text
                      from pg_catalog.pg_proc p join pg_catalog.pg_class c on c.reltype = p.proargtypes[5]
                     where c.oid = rel and p.proname in ('_trg_event', '_trg_fields')
                       and p.pronamespace = 'pgq'::regnamespace
                loop
                    execute 'drop function ' || sig;
                end loop;
            exception when others then
                raise warning 'pgq: could not drop % either: %', sig, sqlerrm;
            end;
        end;
    end loop;
    return n;
end;
$$ language plpgsql;
