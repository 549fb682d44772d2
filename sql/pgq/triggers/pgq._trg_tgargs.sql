create or replace function pgq._trg_tgargs(i_tgargs bytea, i_nargs integer)
returns text[] as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_tgargs(2)
--
--      Internal: pg_trigger.tgargs (NUL-terminated strings) as text[].
--
-- Parameters:
--      i_tgargs - pg_trigger.tgargs
--      i_nargs  - pg_trigger.tgnargs
--
-- Returns:
--      The arguments, numbered from 1.
-- ----------------------------------------------------------------------
declare
    rest    bytea := i_tgargs;
    pos     integer;
    res     text[] := '{}';
begin
    for i in 1 .. i_nargs loop
        pos := pg_catalog.position(rest, '\x00'::bytea);
        res := res || pg_catalog.convert_from(pg_catalog.substr(rest, 1, pos - 1),
                                              pg_catalog.getdatabaseencoding());
        rest := pg_catalog.substr(rest, pos + 1);
    end loop;
    return res;
end;
$$ language plpgsql immutable strict;
