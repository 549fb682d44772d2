create or replace function pgq._trg_skip(i_nargs integer, i_argv text[])
returns boolean as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_skip(2)
--
--      Internal: should a BEFORE trigger return NULL, so the row change
--      itself is skipped?  Yes with the SKIP (or skip) argument, except
--      with session_replication_role = local, where the triggers do
--      nothing at all.
--
-- Parameters:
--      i_nargs, i_argv - TG_NARGS, TG_ARGV
--
-- Returns:
--      true to skip the row change.
-- ----------------------------------------------------------------------
    select i_nargs > 1
       and ('SKIP' = any (i_argv[1:i_nargs - 1]) or 'skip' = any (i_argv[1:i_nargs - 1]))
       and pg_catalog.current_setting('session_replication_role') <> 'local';
$$ language sql stable;
