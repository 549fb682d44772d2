create or replace function pgq._create_roles()
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._create_roles(0)
--
--      Internal, run by the installer (and pgq.upgrade_schema): create
--      the roles the grants name, pgq_reader, pgq_writer and pgq_admin
--      (a member of both), those that do not exist yet.  Roles belong to
--      the cluster, so an administrator may have made them already: then
--      a database owner without CREATEROLE (managed PostgreSQL) installs
--      as well as a superuser.  When they are missing and the installing
--      role may not create roles, the error says which statements to ask
--      an administrator to run.
--
--      With the setting qadmin.no_roles on (python -m engine.install
--      --no-roles sets it) nothing is created: PgQ is installed without
--      the roles, usable by its owner, who may grant EXECUTE on its
--      functions to other roles.
--
-- Returns:
--      Number of roles created.
-- ----------------------------------------------------------------------
declare
    missing text[];
    stmts   text[] := '{}';
    stmt    text;
begin
    missing := array(select r.name
                       from unnest(array['pgq_reader', 'pgq_writer', 'pgq_admin'])
                            with ordinality as r(name, pos)
                      where not exists (select 1 from pg_catalog.pg_roles x
                                         where x.rolname = r.name)
                      order by r.pos);
    if pg_catalog.cardinality(missing) = 0 then
        return 0;
    end if;
    if pg_catalog.lower(coalesce(pg_catalog.current_setting('qadmin.no_roles', true), ''))
       in ('on', 'true', 'yes', '1') then
        raise notice 'pgq: installed without the roles %, as asked (qadmin.no_roles)',
            pg_catalog.array_to_string(missing, ', ');
        return 0;
    end if;
    if 'pgq_reader' = any (missing) then
        stmts := stmts || 'create role pgq_reader;'::text;
    end if;
    if 'pgq_writer' = any (missing) then
        stmts := stmts || 'create role pgq_writer;'::text;
    end if;
    if 'pgq_admin' = any (missing) then
        stmts := stmts || 'create role pgq_admin in role pgq_reader, pgq_writer;'::text;
    end if;
    if not coalesce((select r.rolsuper or r.rolcreaterole from pg_catalog.pg_roles r
                      where r.rolname = current_user), false) then
        raise exception 'PgQ needs the roles %, which do not exist, and role % may not create roles',
                pg_catalog.array_to_string(missing, ', '), current_user
            using errcode = 'insufficient_privilege',
                  detail = 'Ask an administrator (a superuser or a role with CREATEROLE) to run: '
                           || pg_catalog.array_to_string(stmts, ' '),
                  hint = 'Or install without the roles: python -m engine.install --no-roles'
                         || ' (with psql: PGOPTIONS=''-c qadmin.no_roles=on'').';
    end if;
    foreach stmt in array stmts loop
        execute stmt;
    end loop;
    return pg_catalog.cardinality(stmts);
end;
$$ language plpgsql;
