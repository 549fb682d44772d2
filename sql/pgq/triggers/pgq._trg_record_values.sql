create or replace function pgq._trg_record_values(i_record text)
returns text[] as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_record_values(1)
--
--      Internal: the field values of a row's text form, e.g. NEW::text,
--      which is each column's output text (what the original logged):
--      '(1,,"a ""b""","")' gives {1,NULL,'a "b"',''}.  A field is empty for
--      NULL and quoted, with " and \ doubled, when it needs to be.
--
-- Parameters:
--      i_record - output of record_out
--
-- Returns:
--      Values in column order (dropped columns are not in the text form).
--
--      PL/pgSQL only to keep the plan: the slow path calls this per row.
-- ----------------------------------------------------------------------
begin
    return (select pg_catalog.array_agg(case
               when m[1] like '"%' then pg_catalog.regexp_replace(
                   pg_catalog.substr(m[1], 2, pg_catalog.length(m[1]) - 2), '(["\\])\1', '\1', 'g')
               when m[1] = '' then null
               else m[1] end order by n)
      from pg_catalog.regexp_matches(
               pg_catalog.substr(i_record collate "C", 2, pg_catalog.length(i_record) - 2) || ',',
               '("(?:[^"\\]|""|\\\\)*"|[^,]*),', 'g') with ordinality as x(m, n));
end;
$$ language plpgsql immutable strict;
