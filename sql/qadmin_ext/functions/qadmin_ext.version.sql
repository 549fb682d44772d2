create or replace function qadmin_ext.version()
returns text as $$
-- ----------------------------------------------------------------------
-- Function: qadmin_ext.version(0)
--
--      Version of the installed qadmin_ext code.
--
-- Parameters:
--      None
--
-- Returns:
--      Version string.
--
-- Tables directly manipulated:
--      None
-- ----------------------------------------------------------------------
    select '3.6.0'::text;
$$ language sql immutable;
