create or replace function londiste.version()
returns text as $$
-- ----------------------------------------------------------------------
-- Function: londiste.version(0)
--
--      Version of the installed Londiste code: the Londiste release whose
--      API this one provides.
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
    return '3.8';
end;
$$ language plpgsql;
