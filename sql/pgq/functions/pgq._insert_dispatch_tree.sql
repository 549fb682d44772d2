create or replace function pgq._insert_dispatch_tree(
    i_buckets integer[], i_target text, i_args text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_dispatch_tree(3)
--
--      Internal: PL/pgSQL text that hands an insert over to the code of
--      bucket b (see pgq._insert_bucket): a binary search over bucket
--      numbers down to a call of that bucket's function, so an insert
--      makes at most six comparisons before the call.  Qualified
--      throughout: it runs on the caller's search_path.
--
-- Parameters:
--      i_buckets - bucket numbers, ascending
--      i_target  - bucket function name without its number
--                  (e.g. pgq._insert_7_b, called as pgq._insert_7_b07)
--      i_args    - argument list of the call
--
-- Returns:
--      Code fragment; an empty string for no buckets.
--
-- Tables directly manipulated:
--      None
-- ----------------------------------------------------------------------
declare
    n       integer := coalesce(pg_catalog.array_length(i_buckets, 1), 0);
    mid     integer;
    k       integer;
    code    text := '';
begin
    if n > 4 then
        mid := (n + 1) / 2;
        return E'\nif b operator(pg_catalog.<=) ' || i_buckets[mid] || ' then '
            || pgq._insert_dispatch_tree(i_buckets[1:mid], i_target, i_args) || E'\n'
            || 'else ' || pgq._insert_dispatch_tree(i_buckets[mid + 1:n], i_target, i_args)
            || E'\nend if;';
    end if;
    foreach k in array coalesce(i_buckets, '{}') loop
        code := code || E'\nif b operator(pg_catalog.=) ' || k || ' then'
            || E'\n    return ' || i_target || pg_catalog.lpad(k::text, 2, '0')
            || '(' || i_args || E');\nend if;';
    end loop;
    return code;
end;
$$ language plpgsql immutable set search_path = pg_catalog, pg_temp;
