create or replace function pgq.seq_getval(i_seq_name text)
returns bigint as $$
-- ----------------------------------------------------------------------
-- Function: pgq.seq_getval(1)
--
--      Read the last value of a sequence without advancing it.
--
-- Parameters:
--      i_seq_name - name as 'schema.seq' (schema defaults to public)
--
-- Returns:
--      The sequence's last_value.
-- ----------------------------------------------------------------------
declare
    res     bigint;
begin
    execute 'select last_value from ' || pgq.quote_fqname(i_seq_name) into res;
    return res;
end;
$$ language plpgsql strict;
