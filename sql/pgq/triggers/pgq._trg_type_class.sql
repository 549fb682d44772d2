create or replace function pgq._trg_type_class(i_typid oid)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_type_class(1)
--
--      Internal: how the capture triggers encode and compare values of a
--      type; the fields are described in pgq._trg_columns, which splits
--      them out.  Domains are encoded as their base type, except in JSON,
--      where the original looked at the column's own type.
--
-- Parameters:
--      i_typid - column type
--
-- Returns:
--      outfn, url, json, eqtype and eqcast joined with chr(31); eqtype is
--      'same' when the type's own equality applies.
-- ----------------------------------------------------------------------
declare
    base    oid := i_typid;
    btype   "char";
    bcat    "char";
    nextb   oid;
    outfn   text;
    eqtype  oid;
begin
    loop
        select t.typtype, t.typcategory, t.typbasetype into btype, bcat, nextb
          from pg_catalog.pg_type t where t.oid = base;
        exit when btype is distinct from 'd';
        base := nextb;
    end loop;

    -- a cast to text that is a function, not the output function
    if base not in (19, 18)                                             -- name "char"
       and exists (select 1 from pg_catalog.pg_cast c
                    where c.castsource = base and c.casttarget = 25 and c.castmethod = 'f') then
        select pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname)
          into outfn
          from pg_catalog.pg_type t
          join pg_catalog.pg_proc p on p.oid = t.typoutput
          join pg_catalog.pg_namespace n on n.oid = p.pronamespace
         where t.oid = base;
    end if;

    -- like the original's type cache: the type's default btree or hash
    -- opclass, a polymorphic one, or one of a binary-coercible type
    if btype not in ('c', 'p') and bcat <> 'A' then
        eqtype := coalesce(
            (select oc.opcintype from pg_catalog.pg_opclass oc
              where oc.opcintype = base and oc.opcdefault and oc.opcmethod in (403, 405)
              limit 1),
            (select oc.opcintype from pg_catalog.pg_opclass oc
              where oc.opcdefault and oc.opcmethod in (403, 405)
                and ((btype = 'e' and oc.opcintype = 3500)               -- anyenum
                     or (btype = 'r' and oc.opcintype = 3831))           -- anyrange
              limit 1),
            -- (varchar: text, the preferred type, not bpchar)
            (select oc.opcintype from pg_catalog.pg_opclass oc
               join pg_catalog.pg_cast c on c.castsource = base and c.casttarget = oc.opcintype
                                        and c.castmethod = 'b'
               join pg_catalog.pg_type ot on ot.oid = oc.opcintype
              where oc.opcdefault and oc.opcmethod in (403, 405)
              order by ot.typispreferred desc, oc.opcmethod limit 1));
    end if;

    return pg_catalog.concat_ws(pg_catalog.chr(31),
        coalesce(outfn, ''),
        case when base in (20, 21, 23, 26, 1700, 16, 2950) then 's'     -- int8 int2 int4 oid numeric bool uuid
             when base in (700, 701) then 'f'                           -- float4 float8
             when base in (1082, 1083, 1266, 1114, 1184, 1186) then 'p'  -- date time timetz
                                                                -- timestamp timestamptz interval
             else 'u' end,
        case when i_typid in (20, 21, 23) then 'n'
             when i_typid = 16 then 'b'
             when i_typid in (1114, 1184, 1082) then 't'                -- timestamp timestamptz date
             else 's' end,
        -- the opclass type when values must be cast to it to compare
        -- (binary-coercible types: xml as text), 'same' when not
        case when eqtype is null then ''
             when eqtype = base or eqtype in (3500, 3831) then 'same'
             else eqtype::text end,
        case when eqtype is null then ''
             when base in (20, 21, 23, 26, 16, 2950, 1082, 1083, 1266, 1114, 1184, 17, 19, 18,
                           790, 869, 650, 829, 142)
                 -- int8 int2 int4 oid bool uuid date time timetz timestamp timestamptz
                 -- bytea name char money inet cidr macaddr xml
                 then 'x'
             when base in (25, 1043) then 't'                           -- text varchar
             else 'c' end);
end;
$$ language plpgsql stable;
