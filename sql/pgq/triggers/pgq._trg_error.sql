create or replace function pgq._trg_error(i_message text, i_type anyelement)
returns anyelement as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_error(2)
--
--      Internal: raise an error from inside an SQL expression of the
--      generated capture code (a CASE branch).  Volatile, so the planner
--      never evaluates it ahead of time.
--
-- Parameters:
--      i_message - error message
--      i_type    - a NULL of the type the expression needs
--
-- Returns:
--      Never returns.
-- ----------------------------------------------------------------------
begin
    raise exception '%', i_message;
end;
$$ language plpgsql volatile;
