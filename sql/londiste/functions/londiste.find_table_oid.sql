create or replace function londiste.find_table_oid(tbl text)
returns oid as $$
-- ----------------------------------------------------------------------
-- Function: londiste.find_table_oid(1)
--
--      The oid of an ordinary table by name.
--
-- Parameters:
--      tbl - schema.name (public when no schema), not quoted
--
-- Returns:
--      oid, or NULL
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return londiste.find_rel_oid(tbl, 'r');
end;
$$ language plpgsql strict stable;
