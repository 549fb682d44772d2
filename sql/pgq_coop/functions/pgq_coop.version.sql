create or replace function pgq_coop.version()
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq_coop.version(0)
--
--      Version of the installed pgq_coop code.
--
-- Returns:
--      Version string.
-- ----------------------------------------------------------------------
    select '3.6.0'::text;
$$ language sql immutable;
