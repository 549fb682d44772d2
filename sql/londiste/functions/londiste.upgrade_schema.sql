create or replace function londiste.upgrade_schema()
returns int4 as $$
-- ----------------------------------------------------------------------
-- Function: londiste.upgrade_schema(0)
--
--      Bring the tables of an older install up to date (Londiste 3.x
--      structures) and create the roles londiste_writer (in pgq_admin) and
--      londiste_reader (in pgq_reader) when missing, unless the install
--      runs without roles (qadmin.no_roles) or they cannot be made.
--
-- Parameters:
--      none
--
-- Returns:
--      Number of changes made (0 on a current install).
--
-- Tables directly manipulated:
--      alter - londiste.table_info, londiste.applied_execute
-- ----------------------------------------------------------------------
declare
    v_cnt int4 := 0;
    v_role text;
begin
    -- the check allows dropped_ddl in catching-up too (3.2)
    perform 1 from pg_catalog.pg_constraint c
      where c.conrelid = 'londiste.table_info'::regclass
        and c.conname = 'table_info_check'
        and pg_catalog.strpos(pg_catalog.pg_get_constraintdef(c.oid), 'catching') = 0;
    if found then
        alter table londiste.table_info drop constraint table_info_check;
        alter table londiste.table_info add constraint table_info_check
            check (dropped_ddl is null or merge_state in ('in-copy', 'catching-up'));
        v_cnt := v_cnt + 1;
    end if;
    -- table_info.dest_table (3.2)
    perform 1 from pg_catalog.pg_attribute
      where attrelid = 'londiste.table_info'::regclass and attname = 'dest_table'
        and not attisdropped;
    if not found then
        alter table londiste.table_info add column dest_table text;
        v_cnt := v_cnt + 1;
    end if;
    -- applied_execute.execute_attrs (3.4)
    perform 1 from pg_catalog.pg_attribute
      where attrelid = 'londiste.applied_execute'::regclass and attname = 'execute_attrs'
        and not attisdropped;
    if not found then
        alter table londiste.applied_execute add column execute_attrs text;
        v_cnt := v_cnt + 1;
    end if;
    -- applied_execute: one row per file, whatever the queue (3.4)
    perform 1 from pg_catalog.pg_indexes
      where schemaname = 'londiste' and tablename = 'applied_execute'
        and indexname = 'applied_execute_pkey' and indexdef like '%queue_name%';
    if found then
        alter table londiste.applied_execute drop constraint applied_execute_pkey;
        alter table londiste.applied_execute add constraint applied_execute_pkey
            primary key (execute_file);
        v_cnt := v_cnt + 1;
    end if;
    perform 1 from pg_catalog.pg_constraint
      where conrelid = 'londiste.applied_execute'::regclass
        and conname = 'applied_execute_queue_name_fkey';
    if found then
        alter table londiste.applied_execute drop constraint applied_execute_queue_name_fkey;
        v_cnt := v_cnt + 1;
    end if;
    -- the roles of the grants
    if pg_catalog.lower(coalesce(pg_catalog.current_setting('qadmin.no_roles', true), ''))
       not in ('on', 'true', 'yes', '1') then
        foreach v_role in array array['londiste_writer', 'londiste_reader'] loop
            continue when exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role);
            -- each is a member of a PgQ role, which an install without roles lacks
            continue when not exists (
                select 1 from pg_catalog.pg_roles r
                 where r.rolname = case v_role when 'londiste_writer' then 'pgq_admin'
                                               else 'pgq_reader' end);
            if not exists (select 1 from pg_catalog.pg_roles r
                            where r.rolname = pg_catalog.current_user()
                              and (r.rolsuper or r.rolcreaterole)) then
                raise exception 'Londiste needs the role %, which does not exist, and role % may not create roles',
                        v_role, current_user
                    using errcode = 'insufficient_privilege',
                          detail = 'Ask an administrator to run: create role ' || v_role
                                   || case v_role when 'londiste_writer' then ' in role pgq_admin;'
                                                  else ' in role pgq_reader;' end,
                          hint = 'Or install without the roles: python -m engine.install --no-roles';
            end if;
            if v_role = 'londiste_writer' then
                create role londiste_writer in role pgq_admin;
            else
                create role londiste_reader in role pgq_reader;
            end if;
            v_cnt := v_cnt + 1;
        end loop;
    end if;
    return v_cnt;
end;
$$ language plpgsql;
