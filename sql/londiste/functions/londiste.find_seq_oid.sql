create or replace function londiste.find_seq_oid(seq text)
returns oid as $$
-- ----------------------------------------------------------------------
-- Function: londiste.find_seq_oid(1)
--
--      The oid of a sequence by name.
--
-- Parameters:
--      seq - schema.name (public when no schema), not quoted
--
-- Returns:
--      oid, or NULL
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return londiste.find_rel_oid(seq, 'S');
end;
$$ language plpgsql strict stable;
