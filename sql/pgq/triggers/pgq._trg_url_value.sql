create or replace function pgq._trg_url_value(i_value text, i_class "char")
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_url_value(2)
--
--      Internal: url-encode an output text by its type class (see
--      pgq._trg_columns), for the slow path.
-- ----------------------------------------------------------------------
    select case i_class
        when 's' then i_value
        when 'f' then pg_catalog.replace(i_value, '+', '%2b')
        when 'p' then pgq._urlencode_punct(i_value)
        else pgq._urlencode(i_value) end;
$$ language sql immutable;
