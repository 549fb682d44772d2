create or replace function londiste.quote_fqname(i_name text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: londiste.quote_fqname(1)
--
--      The name quoted for SQL, with its schema (public by default).
--
-- Parameters:
--      i_name - name, with or without schema
--
-- Returns:
--      "schema"."name", each part quoted when it needs it
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
declare
    v_parts record;
begin
    v_parts := londiste.split_fqname(i_name);
    return pg_catalog.quote_ident(v_parts.schema_part) || '.'
           || pg_catalog.quote_ident(v_parts.name_part);
end;
$$ language plpgsql strict immutable;
