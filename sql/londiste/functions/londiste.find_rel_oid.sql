create or replace function londiste.find_rel_oid(i_fqname text, i_kind text)
returns oid as $$
-- ----------------------------------------------------------------------
-- Function: londiste.find_rel_oid(2)
--
--      The oid of a relation of one kind, by its (unquoted) name.
--
-- Parameters:
--      i_fqname - schema.name (public when no schema)
--      i_kind   - pg_class.relkind: 'r' table, 'S' sequence
--
-- Returns:
--      oid, NULL when there is no such relation of that kind
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
declare
    v_parts record;
begin
    v_parts := londiste.split_fqname(i_fqname);
    return (select c.oid
              from pg_catalog.pg_class c
              join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             where n.nspname = v_parts.schema_part
               and c.relname = v_parts.name_part
               and c.relkind = i_kind);
end;
$$ language plpgsql strict stable;
