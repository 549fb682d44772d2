create or replace function londiste.find_column_types(tbl text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: londiste.find_column_types(1)
--
--      One letter per live column of a table, in column order: k for a
--      column of the primary key, v for the others.
--
-- Parameters:
--      tbl - table name
--
-- Returns:
--      e.g. 'kvv'; '' when the table does not exist
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
declare
    v_oid oid := londiste.find_table_oid(tbl);
begin
    return coalesce(
        (select pg_catalog.string_agg(
                    case when exists (select 1 from pg_catalog.pg_index i
                                       where i.indrelid = v_oid and i.indisprimary
                                         and a.attnum = any (i.indkey::int2[]))
                         then 'k' else 'v' end, '' order by a.attnum)
           from pg_catalog.pg_attribute a
          where a.attrelid = v_oid and a.attnum > 0 and not a.attisdropped),
        '');
end;
$$ language plpgsql strict stable;
