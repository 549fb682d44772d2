create or replace function pgq._trg_capture_statement()
returns trigger as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_capture_statement(0)
--
--      Statement-level capture trigger with transition tables, made by
--      pgq.create_statement_capture(): the same events as pgq.logutriga,
--      pgq.sqltriga or pgq.jsontriga FOR EACH ROW, computed for the
--      whole statement in one query over the transition tables and
--      inserted with one pgq.insert_event_bulk() call, which is much
--      cheaper than one insert per row.
--
--      Differences from the row-level triggers: AFTER only (no SKIP);
--      on a partitioned table the rows come as the parent's rows, so
--      ev_extra1 names the parent, not the partition.
--
-- Parameters:
--      TG_ARGV[0]  - 'logutriga', 'sqltriga' or 'jsontriga'
--      TG_ARGV[1]  - queue name
--      TG_ARGV[2:] - options, as for the row-level triggers
--      transition tables pgq_new (INSERT, UPDATE) and pgq_old (UPDATE,
--      DELETE)
-- ----------------------------------------------------------------------
declare
    argv    text[];
    rowtype text;
begin
    if pg_catalog.current_setting('session_replication_role') = 'local' then
        return null;
    end if;
    if TG_LEVEL <> 'STATEMENT' or TG_NARGS < 2
       or TG_ARGV[0] not in ('logutriga', 'sqltriga', 'jsontriga') then
        raise exception 'pgq._trg_capture_statement: create it with pgq.create_statement_capture()';
    end if;
    -- (queue, options ...) numbered from 0, as TG_ARGV of the row-level triggers
    argv := ('[0:' || (TG_NARGS - 2) || ']=' || TG_ARGV[1:TG_NARGS - 1]::text)::text[];
    select c.reltype::regtype::text into rowtype from pg_catalog.pg_class c where c.oid = TG_RELID;

    execute pgq._trg_capture_sql(TG_OP, rowtype)
      using TG_ARGV[0], TG_NARGS - 1, argv, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_RELID, TG_ARGV[1];
    return null;
end;
$$ language plpgsql
   -- the bulk query looks expensive to the planner: JIT would cost more
   -- than it saves, and a merge join would sort both transition tables
   set jit = off
   set enable_mergejoin = off;
