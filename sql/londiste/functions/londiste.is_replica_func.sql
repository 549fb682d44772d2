create or replace function londiste.is_replica_func(func_oid oid)
returns boolean as $$
-- ----------------------------------------------------------------------
-- Function: londiste.is_replica_func(1)
--
--      Whether a function is one of PgQ's capture triggers (logutriga,
--      sqltriga, jsontriga, and the statement-level ones,
--      pgq._trg_capture_statement and the per-table pgq._trg_capture_<oid>):
--      the triggers Londiste makes and drops.
--
-- Parameters:
--      func_oid - pg_proc oid
--
-- Returns:
--      true or false
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
    select exists (
        select 1
          from pg_catalog.pg_proc p
          join pg_catalog.pg_namespace n on n.oid = p.pronamespace
         where p.oid = $1
           and n.nspname = 'pgq'
           and (p.proname in ('logutriga', 'sqltriga', 'jsontriga', '_trg_capture_statement')
                or p.proname operator(pg_catalog.~) '^_trg_capture_[0-9]+$'));
$$ language sql strict stable;
