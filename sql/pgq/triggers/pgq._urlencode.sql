create or replace function pgq._urlencode_full(i_value text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._urlencode_full(1)
--
--      Internal: url-encode any string the way the capture triggers
--      write ev_data: bytes outside [-_.a-zA-Z0-9] become %xx (lower-case
--      hex of the bytes in the database encoding), space becomes '+'.
--
--      Works on distinct unsafe characters instead of on every
--      character: '%' is replaced first, so the %xx sequences added
--      later are never encoded twice, and space last, so the '+' it
--      produces is not taken for a literal '+'.
--
-- Parameters:
--      i_value - text to encode
--
-- Returns:
--      Encoded text, NULL for NULL.
-- ----------------------------------------------------------------------
declare
    -- "C": regexes and replace() refuse nondeterministic collations
    val     text collate "C" := i_value;
    res     text collate "C" := i_value;
    ch      text collate "C";
    enc     name := pg_catalog.getdatabaseencoding();
begin
    if pg_catalog.strpos(res, '%') > 0 then
        res := pg_catalog.replace(res, '%', '%25');
    end if;
    for ch in
        select distinct m[1]
          from pg_catalog.regexp_matches(val, '([^-_.a-zA-Z0-9 %])', 'g') as m
    loop
        res := pg_catalog.replace(res, ch, pg_catalog.regexp_replace(
            pg_catalog.encode(pg_catalog.convert_to(ch, enc), 'hex'), '(..)', '%\1', 'g'));
    end loop;
    return pg_catalog.replace(res, ' ', '+');
end;
$$ language plpgsql immutable strict;

create or replace function pgq._urlencode_punct(val text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._urlencode_punct(1)
--
--      Internal: url-encode a value made of word characters, spaces and
--      the punctuation of timestamps and lists (: + / , @) with replace(),
--      anything else with _urlencode_full.  Order of the replace() chain
--      matters: '+' is encoded before spaces become '+'.
--
--      The capture code calls it directly for date and time types, whose
--      text (2026-12-03 09:44:00.123+00) nearly always has such
--      punctuation: one regex test instead of pgq._urlencode's two (1.26
--      against 1.67 us a timestamptz).  The result is pgq._urlencode's
--      for any text (other DateStyles, infinity, BC included).
--
-- Parameters:
--      val - text to encode
--
-- Returns:
--      Encoded text, NULL for NULL.
-- ----------------------------------------------------------------------
    select case
        when (val collate "C") operator(pg_catalog.~) '^[-_.a-zA-Z0-9 :+/,@]*$'
            then pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
                 pg_catalog.replace(pg_catalog.replace(val collate "C",
                 ':', '%3a'), '+', '%2b'), '/', '%2f'), ',', '%2c'), '@', '%40'), ' ', '+')
        else pgq._urlencode_full(val collate "C")
    end;
$$ language sql immutable;

-- the parameter is named as in the original's PL-only variant, which can replace it
do $do$
begin
    if (select p.proargnames from pg_catalog.pg_proc p
         where p.oid = pg_catalog.to_regprocedure('pgq._urlencode(text)')) <> array['val'] then
        drop function pgq._urlencode(text);
    end if;
end;
$do$;
create or replace function pgq._urlencode(val text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._urlencode(1)
--
--      Internal: url-encode a value for logutriga (see _urlencode_full).
--
--      A one-expression SQL function, so the planner inlines it into the
--      generated per-table code: words with or without spaces (one regex
--      test and a replace(), which costs little when there is no space)
--      and strings with the characters of timestamps and lists (: + / , @)
--      are done with replace() (pgq._urlencode_punct); only other strings
--      pay for the call to _urlencode_full.
--
-- Parameters:
--      val - text to encode
--
-- Returns:
--      Encoded text, NULL for NULL.
-- ----------------------------------------------------------------------
    select case
        when (val collate "C") operator(pg_catalog.~) '^[-_.a-zA-Z0-9 ]*$'
            then pg_catalog.replace(val collate "C", ' ', '+')
        else pgq._urlencode_punct(val)
    end;
$$ language sql immutable;
