create or replace function londiste.get_table_pending_fkeys(i_table_name text)
returns setof londiste.pending_fkeys as $$
-- ----------------------------------------------------------------------
-- Function: londiste.get_table_pending_fkeys(1)
--
--      The dropped foreign keys from or to a table.
--
-- Parameters:
--      i_table_name - table name (schema.name)
--
-- Returns:
--      rows of londiste.pending_fkeys
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return query
        select f.*
          from londiste.pending_fkeys f
         where i_table_name in (f.from_table, f.to_table)
         order by 1, 2, 3;
end;
$$ language plpgsql strict stable;
