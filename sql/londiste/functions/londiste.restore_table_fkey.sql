create or replace function londiste.restore_table_fkey(
    i_from_table text,
    i_fkey_name text,
    i_lazy boolean default false)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: londiste.restore_table_fkey(3)
--
--      Put back a dropped foreign key.  Lazily the caller does the long
--      part in its own transactions: the first call answers the statement
--      that adds the key NOT VALID, the next one the statement that
--      validates it, the last one (key valid) forgets it.
--
-- Parameters:
--      i_from_table - table that had the key (schema.name)
--      i_fkey_name  - constraint name
--      i_lazy       - hand out the statements instead of running them
--
-- Returns:
--      '' when done (or unknown key); lazily the next statement to run
--
-- Tables directly manipulated:
--      delete - londiste.pending_fkeys
-- ----------------------------------------------------------------------
declare
    v_fkey  record;
    v_valid boolean;
begin
    select f.* into v_fkey
      from londiste.pending_fkeys f
     where f.fkey_name = i_fkey_name and f.from_table = i_from_table
       for update;
    if not found then
        return '';
    end if;
    if i_lazy then
        select c.convalidated into v_valid
          from pg_catalog.pg_constraint c
         where c.contype = 'f'
           and c.conrelid = londiste.find_table_oid(i_from_table)
           and c.conname = i_fkey_name;
        if not found then
            return v_fkey.fkey_def || ' not valid';
        elsif not v_valid then
            return 'alter table only ' || londiste.quote_fqname(v_fkey.from_table)
                   || ' validate constraint ' || pg_catalog.quote_ident(v_fkey.fkey_name);
        end if;
    else
        execute v_fkey.fkey_def;
    end if;
    delete from londiste.pending_fkeys f
     where f.fkey_name = v_fkey.fkey_name and f.from_table = v_fkey.from_table;
    return '';
end;
$$ language plpgsql strict;
