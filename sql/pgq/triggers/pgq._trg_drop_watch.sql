create or replace function pgq._trg_drop_watch()
returns event_trigger as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_drop_watch(0)
--
--      Event trigger on sql_drop: a dropped column, constraint or trigger
--      (also by DROP ... CASCADE of a type or domain) changes what the
--      capture code of its table must do, so regenerate it (or drop it
--      with the table's last capture trigger), and drop the per-table
--      statement-level capture functions no trigger calls any more.  Overloads of tables
--      being dropped were dropped before (pgq._trg_before_drop).
--
--      Security definer, like pgq._trg_ddl_watch.
-- ----------------------------------------------------------------------
declare
    rels    oid[];
    fn      regprocedure;
begin
    select pg_catalog.array_agg(distinct r) into rels from (
        select pg_catalog.to_regclass(pg_catalog.quote_ident(o.address_names[1]) || '.'
                                      || pg_catalog.quote_ident(o.address_names[2])) as r
          from pg_catalog.pg_event_trigger_dropped_objects() o
         where o.object_type in ('table column', 'table constraint', 'trigger')
           and pg_catalog.cardinality(o.address_names) >= 3
    ) s where r is not null;
    if rels is not null then
        perform pgq._trg_refresh_tables(rels);
    end if;
    -- a table's own statement-level capture function, once no trigger
    -- calls it (its table or triggers dropped)
    for fn in
        select p.oid::pg_catalog.regprocedure
          from pg_catalog.pg_proc p
         where p.pronamespace = 'pgq'::regnamespace
           and p.proname operator(pg_catalog.~) '^_trg_capture_[0-9]+$'
           and not exists (select 1 from pg_catalog.pg_trigger t where t.tgfoid = p.oid)
    loop
        execute 'drop function ' || fn::pg_catalog.text;
    end loop;
exception when others then
    raise warning 'pgq: capture trigger refresh failed: %', sqlerrm;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
