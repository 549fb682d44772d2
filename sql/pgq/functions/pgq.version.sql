create or replace function pgq.version()
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq.version(0)
--
--      Version of the installed PgQ code.  pgqd and other clients check
--      that it starts with '3'; the suffix names this implementation.
--
-- Returns:
--      Version string.
-- ----------------------------------------------------------------------
    select '3.6.0'::text;
$$ language sql;
