create or replace function pgq._trg_strlist_contains(i_list text, i_name text)
returns boolean as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_strlist_contains(2)
--
--      Internal: is a column named in an ignore=/pkey= list?  Same rule as
--      the original triggers: the name must occur in the list with a comma,
--      whitespace or the list's end on both sides ("a, b" names a and b).
--
-- Parameters:
--      i_list - the list as written in the trigger argument
--      i_name - column name
--
-- Returns:
--      true if listed; NULL list gives false.
-- ----------------------------------------------------------------------
    select coalesce((i_list collate "C") operator(pg_catalog.~) ('(^|[[:space:],])'
        || pg_catalog.regexp_replace(i_name collate "C", '([!-/:-@[-`{-~])', '\\\1', 'g')
        || '($|[[:space:],])'), false);
$$ language sql immutable;
