create or replace function pgq._trg_fields(
    i_kind text, i_nargs integer, i_argv text[], i_op text, i_when text,
    i_new anyelement, i_old anyelement, i_schema text, i_table text, i_relid oid)
returns text[] as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_fields(10)
--
--      Internal: the event for one row change as fields, for the
--      statement-level capture triggers (pgq._trg_capture_statement),
--      which insert a whole statement's events at once.  Like
--      pgq._trg_event(): tables with such triggers get a generated
--      overload for their row type, inlined into the bulk query; this
--      polymorphic version is the slow path.
--
-- Parameters:
--      as pgq._trg_event(); i_argv is (queue, options ...), numbered from 0
--
-- Returns:
--      ev_type, ev_data, ev_extra1 .. ev_extra4; NULL if no event is due.
-- ----------------------------------------------------------------------
    select pgq._trg_generic_fields(i_kind, i_nargs, i_argv, i_op, i_when,
                                   i_new, i_old, i_schema, i_table, i_relid);
$$ language sql;
