create or replace function pgq._event_seq_position(i_seq_name text)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq._event_seq_position(1)
--
--      Internal: the last event id handed out by a queue's event
--      sequence, 0 before the first one.  pgq.seq_getval() returns the
--      sequence's last_value, which is 1 both before and after the first
--      nextval(); ticks record this position instead, so the very first
--      event of a queue counts as new (for ticker_max_count, ev_new and
--      pending_events) like every other.
--
-- Parameters:
--      i_seq_name - name as 'schema.seq'
--
-- Returns:
--      Position, or NULL for a NULL name.
-- ----------------------------------------------------------------------
declare
    res     bigint;
begin
    execute 'select case when is_called then last_value else last_value - 1 end from '
        || pgq.quote_fqname(i_seq_name) into res;
    return res;
end;
$$ language plpgsql strict;
