create or replace function londiste.drop_table_fkey(i_from_table text, i_fkey_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: londiste.drop_table_fkey(2)
--
--      Drop a foreign key for a copy, keeping its definition in
--      londiste.pending_fkeys to restore it later.
--
-- Parameters:
--      i_from_table - table that has the key (schema.name)
--      i_fkey_name  - constraint name
--
-- Returns:
--      1 when dropped, 0 when there is no such foreign key
--
-- Tables directly manipulated:
--      insert - londiste.pending_fkeys
-- ----------------------------------------------------------------------
declare
    v_fkey record;
begin
    select k.* into v_fkey
      from londiste.find_table_fkeys(i_from_table) k
     where k.fkey_name = i_fkey_name and k.from_table = i_from_table;
    if not found then
        return 0;
    end if;
    insert into londiste.pending_fkeys (from_table, to_table, fkey_name, fkey_def)
    values (v_fkey.from_table, v_fkey.to_table, i_fkey_name, v_fkey.fkey_def);
    execute pg_catalog.format('alter table only %s drop constraint %I',
                              londiste.quote_fqname(v_fkey.from_table), i_fkey_name);
    return 1;
end;
$$ language plpgsql strict;
