create or replace function londiste.periodic_maintenance()
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: londiste.periodic_maintenance(0)
--
--      Forget EXECUTE'd files older than three months (pgqd runs it).
--
-- Parameters:
--      none
--
-- Returns:
--      0
--
-- Tables directly manipulated:
--      delete - londiste.applied_execute
-- ----------------------------------------------------------------------
begin
    delete from londiste.applied_execute a
     where a.execute_time < pg_catalog.now() - interval '3 months';
    return 0;
end;
$$ language plpgsql;
