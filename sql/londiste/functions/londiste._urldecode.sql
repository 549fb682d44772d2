create or replace function londiste._urldecode(i_text text, i_encoding text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: londiste._urldecode(2)
--
--      Internal (ours): the %xx escapes of a urlencoded value decoded
--      bytewise ('+' is left alone: the caller replaced it first), the
--      bytes read in i_encoding.  Set-based (one unnest of the pieces
--      between '%'), for the values londiste._apply_rows cannot decode
--      with its replace() chain: non-ASCII characters, %25, %26, %3D.
--
-- Parameters:
--      i_text     - the value, with %xx escapes
--      i_encoding - the encoding of the escaped bytes
--
-- Returns:
--      The decoded text (an error for bytes invalid in i_encoding).
-- ----------------------------------------------------------------------
    select pg_catalog.convert_from(pg_catalog.string_agg(
               case when s.o = 1 then pg_catalog.convert_to(s.p, i_encoding)
                    else pg_catalog.decode(pg_catalog.left(s.p, 2), 'hex')
                         || pg_catalog.convert_to(pg_catalog.substr(s.p, 3), i_encoding)
               end, ''::bytea order by s.o), i_encoding)
      from pg_catalog.unnest(pg_catalog.string_to_array(i_text, '%')) with ordinality s(p, o);
$$ language sql immutable strict;
