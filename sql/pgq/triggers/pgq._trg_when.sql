create or replace function pgq._trg_when(i_value boolean)
returns boolean as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_when(1)
--
--      Internal: the result of a when= expression.  Booleans pass through
--      (inlined, free); other types hit the polymorphic overload, which
--      raises the original's error.
-- ----------------------------------------------------------------------
    select i_value;
$$ language sql immutable;

create or replace function pgq._trg_when(i_value anyelement)
returns boolean as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_when(1)
--
--      Internal: a when= expression that is not boolean is an error.
-- ----------------------------------------------------------------------
begin
    raise exception 'when= query result must be boolean, got=%',
        pg_catalog.pg_typeof(i_value)::oid;
end;
$$ language plpgsql volatile;
