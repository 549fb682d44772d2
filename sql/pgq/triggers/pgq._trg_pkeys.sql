create or replace function pgq._trg_pkeys(
    i_relid oid, i_pkey_list text, out pkeys text, out pkey_json text)
as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_pkeys(2)
--
--      Internal: the key columns of a capture trigger as logutriga's
--      ev_type shows them (comma-separated) and as jsontriga's "pkey" list.
--
--      With pkey= the list is used as written (jsontriga splits it at
--      commas); otherwise the primary key's columns in index order.  Names
--      come from the table: the pkey index keeps a column's old name after
--      RENAME COLUMN, and the original showed that stale name.
--
-- Parameters:
--      i_relid     - table
--      i_pkey_list - text of the pkey= argument, NULL if none
--
-- Returns:
--      pkeys     - e.g. 'a,b' ('' when the table has no primary key)
--      pkey_json - e.g. '"a","b"'
-- ----------------------------------------------------------------------
begin
    if i_pkey_list is not null then
        pkeys := i_pkey_list;
        select pg_catalog.string_agg(pg_catalog.to_json(k)::pg_catalog.text, ',' order by n)
          into pkey_json
          from pg_catalog.unnest(pg_catalog.string_to_array(i_pkey_list, ',')) with ordinality as x(k, n);
    else
        select pg_catalog.string_agg(a.attname::pg_catalog.text, ',' order by k.n),
               pg_catalog.string_agg(pg_catalog.to_json(a.attname::pg_catalog.text)::pg_catalog.text,
                                     ',' order by k.n)
          into pkeys, pkey_json
          from pg_catalog.pg_index i
         cross join lateral pg_catalog.unnest((i.indkey::pg_catalog.int2[])[0:i.indnkeyatts - 1])
               with ordinality as k(attnum, n)
          join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
         where i.indrelid = i_relid and i.indisprimary;
    end if;
    pkeys := coalesce(pkeys, '');
    pkey_json := coalesce(pkey_json, '');
end;
$$ language plpgsql stable;
