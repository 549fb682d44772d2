create or replace function pgq._trg_generic(
    i_kind text, i_nargs integer, i_argv text[], i_op text, i_when text,
    i_new anyelement, i_old anyelement, i_schema text, i_table text, i_relid oid)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_generic(10)
--
--      Internal: slow path of the capture triggers.  Builds the capture
--      expression for this table and these options from the catalog and
--      runs it with EXECUTE, every time.  Used when the table has no
--      generated overload of pgq._trg_event() (installed without
--      superuser rights, or the overload failed to build), for option
--      sets the overload does not cover, and in sessions that compiled
--      the trigger before the overload existed.  Same expression as the
--      fast path, so the same events.
--
-- Parameters:
--      as pgq._trg_event()
--
-- Returns:
--      Event id, NULL if no event was inserted.
-- ----------------------------------------------------------------------
declare
    ev_id   bigint;
begin
    if pg_catalog.current_setting('session_replication_role') = 'local' then
        return null;
    end if;
    execute 'select ' || pgq._trg_build(i_relid, i_kind,
                             case when i_nargs > 1 then i_argv[1:i_nargs - 1] end)
       into ev_id
      using i_kind, i_nargs, i_argv, i_op, i_when, i_new, i_old, i_schema, i_table, i_relid;
    return ev_id;
end;
$$ language plpgsql;
