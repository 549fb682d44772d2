create or replace function londiste.find_table_fkeys(i_table_name text)
returns setof londiste.pending_fkeys as $$
-- ----------------------------------------------------------------------
-- Function: londiste.find_table_fkeys(1)
--
--      The foreign keys from and to a table, each with the statement that
--      creates it again.
--
-- Parameters:
--      i_table_name - table name
--
-- Returns:
--      from_table, to_table, fkey_name, fkey_def, ordered by those
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
declare
    v_oid oid := londiste.find_table_oid(i_table_name);
begin
    return query
        select fn.nspname || '.' || f.relname,
               tn.nspname || '.' || t.relname,
               c.conname::text,
               'alter table only ' || pg_catalog.quote_ident(fn.nspname) || '.'
                 || pg_catalog.quote_ident(f.relname) || ' add constraint '
                 || pg_catalog.quote_ident(c.conname::text) || ' '
                 || pg_catalog.pg_get_constraintdef(c.oid)
          from pg_catalog.pg_constraint c
          join pg_catalog.pg_class f on f.oid = c.conrelid
          join pg_catalog.pg_namespace fn on fn.oid = f.relnamespace
          join pg_catalog.pg_class t on t.oid = c.confrelid
          join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
         where c.contype = 'f'
           and v_oid in (c.conrelid, c.confrelid)
         order by 1, 2, 3;
end;
$$ language plpgsql strict stable;
