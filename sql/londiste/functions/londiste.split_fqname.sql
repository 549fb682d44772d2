create or replace function londiste.split_fqname(
    in i_fqname text,
    out schema_part text,
    out name_part text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.split_fqname(1)
--
--      Schema and name of a name; without a dot the schema is public.
--      The first dot separates them.
--
-- Parameters:
--      i_fqname - name, with or without schema
--
-- Returns:
--      schema_part - the schema
--      name_part   - the rest
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
declare
    v_dot integer := pg_catalog.strpos(i_fqname, '.');
begin
    if v_dot = 0 then
        schema_part := 'public';
        name_part := i_fqname;
    else
        schema_part := pg_catalog.substr(i_fqname, 1, v_dot - 1);
        name_part := pg_catalog.substr(i_fqname, v_dot + 1);
    end if;
    return;
end;
$$ language plpgsql strict immutable;
