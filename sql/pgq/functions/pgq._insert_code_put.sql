create or replace function pgq._insert_code_put(
    i_signature text, i_sql text, i_grantee text default null)
returns boolean as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_code_put(3)
--
--      Internal: run a CREATE OR REPLACE FUNCTION statement made by
--      pgq._insert_function_sql() or pgq._insert_dispatch_sql(), unless
--      the function already has that text: an unchanged function is left
--      alone, so sessions keep its compiled code.  A function made new
--      is executable by nobody but its owner and i_grantee.
--
-- Parameters:
--      i_signature - the function, as regprocedure input text
--      i_sql       - the statement (its body between $body$ markers)
--      i_grantee   - role to grant EXECUTE on a new function, if it exists
--
-- Returns:
--      true if the function was made new, false if it existed.
--
-- Tables directly manipulated:
--      create - the function
-- ----------------------------------------------------------------------
declare
    old     text;
    fn      regprocedure := pg_catalog.to_regprocedure(i_signature);
begin
    if fn is not null then
        select p.prosrc into old from pg_catalog.pg_proc p where p.oid = fn;
        if old = pg_catalog.split_part(i_sql, '$body$', 2) then
            return false;
        end if;
    end if;
    execute i_sql;
    if fn is not null then
        return false;
    end if;
    fn := pg_catalog.to_regprocedure(i_signature);
    execute 'revoke all on function ' || fn::text || ' from public';
    if i_grantee is not null
       and exists (select 1 from pg_catalog.pg_roles r where r.rolname = i_grantee) then
        execute 'grant execute on function ' || fn::text || ' to ' || pg_catalog.quote_ident(i_grantee);
    end if;
    return true;
end;
$$ language plpgsql set search_path = pg_catalog, pg_temp;
