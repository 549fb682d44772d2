create or replace function pgq._trg_json_value(i_value text, i_class "char", i_json json)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_json_value(3)
--
--      Internal: a column's JSON value for the slow path, by its type
--      class (see pgq._trg_columns).  Dates and timestamps take the
--      column's to_json() form from row_to_json() of the row (reading
--      the output text back would not do: zone abbreviations such as LMT
--      do not read back as the same time).
--
-- Parameters:
--      i_value - the column's output text
--      i_class - JSON class of the column's type
--      i_json  - the column in row_to_json() of the row
--
-- Returns:
--      JSON text, NULL for NULL.
-- ----------------------------------------------------------------------
    select case i_class
        when 'n' then i_value
        when 'b' then case i_value when 't' then 'true' when 'f' then 'false' end
        when 't' then case when i_value is not null then i_json::pg_catalog.text end
        else pg_catalog.to_json(i_value)::pg_catalog.text end;
$$ language sql immutable;
