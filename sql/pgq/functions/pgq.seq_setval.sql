create or replace function pgq.seq_setval(i_seq_name text, i_new_value int8)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq.seq_setval(2)
--
--      Move a sequence forward, never backwards.
--
--      Cascaded queues copy tick and event positions from their provider;
--      a sequence that is already further must not be moved back.
--
-- Parameters:
--      i_seq_name  - name as 'schema.seq' (schema defaults to public)
--      i_new_value - wanted value
--
-- Returns:
--      The resulting last_value.
-- ----------------------------------------------------------------------
declare
    fqname  text;
    curval  bigint;
begin
    fqname := pgq.quote_fqname(i_seq_name);
    curval := pgq.seq_getval(i_seq_name);
    if i_new_value > curval then
        perform pg_catalog.setval(fqname::regclass, i_new_value);
        return i_new_value;
    end if;
    return curval;
end;
$$ language plpgsql strict;
