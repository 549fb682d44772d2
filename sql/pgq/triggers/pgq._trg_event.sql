create or replace function pgq._trg_event(
    i_kind text, i_nargs integer, i_argv text[], i_op text, i_when text,
    i_new anyelement, i_old anyelement, i_schema text, i_table text, i_relid oid)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_event(10)
--
--      Internal: capture one row change.  The trigger functions call it
--      with NEW and OLD, whose SQL type is the table's row type.  If the
--      table has a generated overload pgq._trg_event(..., <table>, <table>,
--      ...) (see pgq._trg_refresh) the planner picks it, an exact type
--      match beating this polymorphic one, and inlines it into the
--      trigger's cached plan: that is the fast path.  This version is
--      the fallback and hands over to pgq._trg_generic().
--
--      A session that compiled the trigger before the overload was made
--      keeps using this fallback until its plan is invalidated; events
--      are the same either way, only slower.
--
-- Parameters:
--      i_kind   - 'logutriga', 'sqltriga' or 'jsontriga'
--      i_nargs, i_argv, i_op, i_when - TG_NARGS, TG_ARGV, TG_OP, TG_WHEN
--      i_new, i_old - NEW and OLD
--      i_schema, i_table, i_relid - TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_RELID
--
-- Returns:
--      Event id, NULL if no event was inserted.
-- ----------------------------------------------------------------------
    select pgq._trg_generic(i_kind, i_nargs, i_argv, i_op, i_when,
                            i_new, i_old, i_schema, i_table, i_relid);
$$ language sql;
