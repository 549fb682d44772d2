create or replace function pgq._trg_columns(i_relid oid, i_cached boolean default false)
returns table (
    name text, typid oid, typmod integer, collid oid, nondeterministic boolean,
    outfn text, urlclass "char", jsonclass "char", eqtype oid, eqcast "char")
as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_columns(2)
--
--      Internal: a table's columns and how the capture triggers encode and
--      compare each (pgq._trg_type_class).  Used by both paths: the code
--      generator (pgq._trg_build) and the slow path (pgq._trg_generic),
--      so they cannot disagree.
--
--      Values are the type's output text, as the original took them from
--      SPI_getvalue.  A ::text cast gives that, except where the cast to
--      text is a function (boolean gives true, char(n) drops its padding,
--      inet adds a netmask); for those outfn names the output function.
--
-- Parameters:
--      i_relid  - table
--      i_cached - keep type classes for the session (in settings named
--                 pgq.trg_type_<oid>): the slow path runs this per row
--
-- Returns:
--      one row per column, in order:
--      outfn  - qualified output function to call, NULL if ::text is exact
--      urlclass  - 's' never needs escaping (integers, numeric, boolean, uuid),
--               'f' only '+' (floats: 1e+300), 'p' url-encode text that
--               has punctuation (date and time types), 'u' url-encode
--      jsonclass - 'n' number (int2/4/8), 'b' true/false, 't' to_json() of
--               the value (timestamp, timestamptz, date), 's' JSON string
--      eqtype - type whose default equality decides "unchanged": the
--               column's own type, or a binary-coercible one to cast to
--               (xml compares as text); NULL: compare output texts
--               (arrays, composites, types without equality)
--      eqcast - for the slow path, which has output texts: 'x' equal text
--               is equal value; 't' the same unless the collation is
--               nondeterministic; 'c' read back and compare values
--               (numeric 1.0 = 1.00, float -0 = 0, 1 day = 24:00:00)
-- ----------------------------------------------------------------------
declare
    a       record;
    cls     text[];
    setting text;
begin
    for a in
        select t.attname::text as attname, t.atttypid, t.atttypmod, t.attcollation
          from pg_catalog.pg_attribute t
         where t.attrelid = i_relid and t.attnum > 0 and not t.attisdropped
         order by t.attnum
    loop
        setting := 'pgq.trg_type_' || a.atttypid::text;
        cls := null;
        if i_cached then
            cls := pg_catalog.string_to_array(pg_catalog.current_setting(setting, true),
                                              pg_catalog.chr(31));
        end if;
        if cls is null or pg_catalog.cardinality(cls) <> 5 then
            cls := pg_catalog.string_to_array(pgq._trg_type_class(a.atttypid), pg_catalog.chr(31));
            if i_cached then
                perform pg_catalog.set_config(setting, pg_catalog.array_to_string(cls, pg_catalog.chr(31)),
                                              false);
            end if;
        end if;
        name := a.attname;
        typid := a.atttypid;
        typmod := a.atttypmod;
        collid := a.attcollation;
        nondeterministic := a.attcollation not in (0, 100, 950, 951)      -- default "C" "POSIX"
            and not coalesce((select l.collisdeterministic from pg_catalog.pg_collation l
                               where l.oid = a.attcollation), true);
        outfn := nullif(cls[1], '');
        urlclass := cls[2];
        jsonclass := cls[3];
        eqtype := case cls[4] when '' then null when 'same' then a.atttypid else cls[4]::oid end;
        eqcast := nullif(cls[5], '');
        return next;
    end loop;
end;
$$ language plpgsql stable;
