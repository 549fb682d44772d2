create or replace function londiste.make_fqname(i_name text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: londiste.make_fqname(1)
--
--      The name with its schema: a name without a dot is in public.
--
-- Parameters:
--      i_name - table or sequence name, with or without schema
--
-- Returns:
--      schema.name (not quoted)
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    if pg_catalog.strpos(i_name, '.') > 0 then
        return i_name;
    end if;
    return 'public.' || i_name;
end;
$$ language plpgsql strict immutable;
