create or replace function pgq._trg_text(i_value anyelement)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_text(1)
--
--      Internal: a value as its type's output text (what the C triggers
--      got from SPI_getvalue), for ev_type=/ev_data=/ev_extra*= results:
--      booleans give t/f, where a cast to text would give true/false.
--
-- Parameters:
--      i_value - any value
--
-- Returns:
--      Output text, NULL for NULL.
-- ----------------------------------------------------------------------
begin
    return pg_catalog.format('%s', i_value);
end;
$$ language plpgsql stable strict;

create or replace function pgq._trg_text(i_value text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_text(1)
--
--      Internal: text and string literals pass through; this overload is
--      also what an untyped literal (ev_type='x') resolves to.
-- ----------------------------------------------------------------------
    select i_value;
$$ language sql immutable;
