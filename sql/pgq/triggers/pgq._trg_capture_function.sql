create or replace function pgq._trg_capture_function(i_table regclass)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_capture_function(1)
--
--      Internal: the trigger function a new statement-level capture
--      trigger on a table should call: the table's own
--      pgq._trg_capture_<oid>(), made here if missing (with only the
--      generic fallback: pgq._trg_capture_source fills in the static code
--      once the triggers exist), when the caller may create functions in
--      schema pgq; else the generic pgq._trg_capture_statement().
--
-- Parameters:
--      i_table - table
--
-- Returns:
--      Function name in schema pgq.
-- ----------------------------------------------------------------------
declare
    fname   text := '_trg_capture_' || i_table::oid::text;
begin
    if pg_catalog.to_regprocedure('pgq.' || fname || '()') is not null then
        return fname;
    end if;
    if not pg_catalog.has_schema_privilege('pgq', 'CREATE') then
        return '_trg_capture_statement';
    end if;
    execute pgq._trg_capture_source(i_table, fname);
    return fname;
end;
$$ language plpgsql;
