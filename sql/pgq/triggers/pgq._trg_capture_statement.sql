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
    rows    text;
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

    -- the transition tables hold anonymous records: make them the row
    -- type, so the table's generated overload of pgq._trg_fields() applies
    -- (row(n.*), as a column may be called n too)
    if TG_OP = 'INSERT' then
        rows := 'select pgq._trg_fields($1, $2, $3, ''INSERT'', ''AFTER'', row(n.*)::%1$s, null::%1$s,'
            || ' $4, $5, $6) as f, pg_catalog.row_number() over () as rn from pgq_new n';
    elsif TG_OP = 'DELETE' then
        rows := 'select pgq._trg_fields($1, $2, $3, ''DELETE'', ''AFTER'', null::%1$s, row(o.*)::%1$s,'
            || ' $4, $5, $6) as f, pg_catalog.row_number() over () as rn from pgq_old o';
    else
        -- old and new versions of a row are stored side by side, in order
        rows := 'select pgq._trg_fields($1, $2, $3, ''UPDATE'', ''AFTER'', n.r, o.r,'
            || ' $4, $5, $6) as f, n.rn'
            || ' from (select row(n.*)::%1$s as r, pg_catalog.row_number() over () as rn from pgq_new n) n'
            || ' join (select row(o.*)::%1$s as r, pg_catalog.row_number() over () as rn from pgq_old o) o'
            || ' using (rn)';
    end if;
    execute pg_catalog.format(
        'select pgq.insert_event_bulk($7, pg_catalog.array_agg(f[1] order by rn),'
        || ' pg_catalog.array_agg(f[2] order by rn), pg_catalog.array_agg(f[3] order by rn),'
        || ' pg_catalog.array_agg(f[4] order by rn), pg_catalog.array_agg(f[5] order by rn),'
        || ' pg_catalog.array_agg(f[6] order by rn))'
        || ' from (' || rows || ') s where f is not null', rowtype)
      using TG_ARGV[0], TG_NARGS - 1, argv, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_RELID, TG_ARGV[1];
    return null;
end;
$$ language plpgsql
   -- the bulk query looks expensive to the planner: JIT would cost more
   -- than it saves, and a merge join would sort both transition tables
   set jit = off
   set enable_mergejoin = off;
