create or replace function pgq._trg_capture_sql(i_op text, i_rowtype text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_capture_sql(2)
--
--      Internal: the query a statement-level capture trigger runs with
--      EXECUTE when it has no static code for its table and options: the
--      events of the transition tables pgq_new / pgq_old, as the
--      row-level triggers would make them, inserted with one
--      pgq.insert_event_bulk() call.  Used by pgq._trg_capture_statement
--      and as the fallback of the generated per-table capture functions
--      (pgq._trg_capture_source).
--
--      The query's parameters: $1 kind, $2 number of arguments after the
--      kind, $3 (queue, options ...) numbered from 0, $4 schema, $5 table,
--      $6 table oid, $7 queue.
--
-- Parameters:
--      i_op      - TG_OP: 'INSERT', 'UPDATE' or 'DELETE'
--      i_rowtype - the table's row type, as SQL
--
-- Returns:
--      SQL text.
-- ----------------------------------------------------------------------
declare
    rows    text;
begin
    -- the transition tables hold anonymous records: make them the row
    -- type, so the table's generated overload of pgq._trg_fields() applies
    -- (row(n.*), as a column may be called n too)
    if i_op = 'INSERT' then
        rows := 'select pgq._trg_fields($1, $2, $3, ''INSERT'', ''AFTER'', row(n.*)::%1$s, null::%1$s,'
            || ' $4, $5, $6) as f, pg_catalog.row_number() over () as rn from pgq_new n';
    elsif i_op = 'DELETE' then
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
    return pg_catalog.format(
        'select pgq.insert_event_bulk($7, pg_catalog.array_agg(f[1] order by rn),'
        || ' pg_catalog.array_agg(f[2] order by rn), pg_catalog.array_agg(f[3] order by rn),'
        || ' pg_catalog.array_agg(f[4] order by rn), pg_catalog.array_agg(f[5] order by rn),'
        || ' pg_catalog.array_agg(f[6] order by rn))'
        || ' from (' || rows || ') s where f is not null', i_rowtype);
end;
$$ language plpgsql immutable;
