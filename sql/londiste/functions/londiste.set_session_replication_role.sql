create or replace function londiste.set_session_replication_role(val text, is_local bool)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: londiste.set_session_replication_role(2)
--
--      Set session_replication_role (a superuser setting) for a worker
--      that is no superuser: runs as its owner.
--
-- Parameters:
--      val      - 'origin', 'replica' or 'local'
--      is_local - true: for the transaction only (SET LOCAL)
--
-- Returns:
--      nothing; an error for another value
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    if val is null or val not in ('origin', 'replica', 'local') then
        raise exception 'bad value for session_replication_role';
    end if;
    perform pg_catalog.set_config('session_replication_role', val, coalesce(is_local, false));
end;
$$ language plpgsql security definer set search_path = pg_catalog;
