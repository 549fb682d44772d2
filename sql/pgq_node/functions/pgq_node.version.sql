create or replace function pgq_node.version()
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.version(0)
--
--      Version of the installed pgq_node code.
--
-- Parameters:
--      none
--
-- Returns:
--      Version string.
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return '3.6.0';
end;
$$ language plpgsql;
