create or replace function pgq._trg_generic(
    i_kind text, i_nargs integer, i_argv text[], i_op text, i_when text,
    i_new anyelement, i_old anyelement, i_schema text, i_table text, i_relid oid)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_generic(10)
--
--      Internal: slow path of the capture triggers: the event from
--      pgq._trg_generic_fields(), inserted.
--
-- Parameters:
--      as pgq._trg_event()
--
-- Returns:
--      Event id, NULL if no event was inserted.
-- ----------------------------------------------------------------------
declare
    f   text[];
begin
    f := pgq._trg_generic_fields(i_kind, i_nargs, i_argv, i_op, i_when,
                                 i_new, i_old, i_schema, i_table, i_relid);
    if f is null then
        return null;
    end if;
    return pgq.insert_event(i_argv[0], f[1], f[2], f[3], f[4], f[5], f[6]);
end;
$$ language plpgsql;
