create or replace function pgq._grant_perms_from(
    src_schema text, src_table text, dst_schema text, dst_table text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._grant_perms_from(4)
--
--      Give a table the privileges another table has (CREATE TABLE LIKE
--      copies no grants): each grantee gets the same privileges, with
--      GRANT OPTION where the source has it.  Kept for the original's
--      callers; pgq.grant_perms sets the event tables' rights itself.
--
-- Parameters:
--      src_schema, src_table - the table whose grants are copied
--      dst_schema, dst_table - the table that gets them
--
-- Returns:
--      1
--
-- Tables directly manipulated:
--      none (GRANT on dst)
-- ----------------------------------------------------------------------
declare
    g record;
begin
    for g in
        select case when a.grantee = 0 then 'public'
                    else pg_catalog.quote_ident(r.rolname) end as grantee,
               a.privilege_type, a.is_grantable
          from pg_catalog.pg_class c
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         cross join lateral pg_catalog.aclexplode(c.relacl) a
          left join pg_catalog.pg_roles r on r.oid = a.grantee
         where n.nspname = src_schema and c.relname = src_table
    loop
        execute pg_catalog.format('grant %s on %I.%I to %s%s',
            g.privilege_type, dst_schema, dst_table, g.grantee,
            case when g.is_grantable then ' with grant option' else '' end);
    end loop;
    return 1;
end;
$$ language plpgsql strict set search_path = pg_catalog, pg_temp;
