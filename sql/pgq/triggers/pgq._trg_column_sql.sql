create or replace function pgq._trg_column_sql(
    i_attname text, i_typid oid, i_new text, i_old text,
    out outtext text, out urlenc text, out jsonval text, out literal text, out changed text)
as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_column_sql(4)
--
--      Internal: SQL snippets that encode one column for the generated
--      capture code, chosen by the column's type at generation time.
--
--      Values are the type's output text, as the original took them from
--      SPI_getvalue: a plain ::text cast is used except where the cast to
--      text is a function that differs from the output function (boolean
--      gives true, char(n) drops padding, inet adds a netmask); those
--      call the output function.  Integers, numeric, boolean and uuid
--      never need url escaping; floats only for '+' (1e+300).  Change
--      detection uses the type's default equality like the original
--      (numeric 1.0 = 1.00), or the output text for types without one
--      and for arrays and composites.
--
-- Parameters:
--      i_attname - column name
--      i_typid   - column type
--      i_new     - SQL for the row that is encoded, e.g. '$6'
--      i_old     - SQL for the other row for change detection (or NULL)
--
-- Returns:
--      outtext - output text, NULL for NULL
--      urlenc  - url-encoded output text, NULL for NULL
--      jsonval - JSON value, NULL for NULL
--      literal - quoted SQL literal, NULL for NULL
--      changed - boolean SQL: does the column differ between the rows
-- ----------------------------------------------------------------------
declare
    base        oid := i_typid;
    btype       "char";
    bcat        "char";
    nextbase    oid;
    outfn       text;
    method      "char";
    eqtype      oid;
    ref         text := '(' || i_new || ').' || quote_ident(i_attname);
    oref        text := '(' || i_old || ').' || quote_ident(i_attname);
    otext       text;
    pre         text := '(';
    post        text := ')::pg_catalog.text';
begin
    -- domains: encode as the base type (their output is the base's)
    loop
        select t.typtype, t.typcategory, t.typbasetype into btype, bcat, nextbase
          from pg_catalog.pg_type t where t.oid = base;
        exit when btype is distinct from 'd';
        base := nextbase;
    end loop;

    select c.castmethod into method from pg_catalog.pg_cast c
     where c.castsource = base and c.casttarget = 'pg_catalog.text'::pg_catalog.regtype;
    if method = 'f' and base not in ('pg_catalog.name'::pg_catalog.regtype,
                                     'pg_catalog."char"'::pg_catalog.regtype) then
        select pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname)
          into outfn
          from pg_catalog.pg_type t
          join pg_catalog.pg_proc p on p.oid = t.typoutput
          join pg_catalog.pg_namespace n on n.oid = p.pronamespace
         where t.oid = base;
        pre := 'pg_catalog.textin(' || outfn || '(';
        post := '))';
    end if;
    otext := pre || oref || post;
    outtext := pre || ref || post;

    if base in ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                'pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.oid'::pg_catalog.regtype,
                'pg_catalog.numeric'::pg_catalog.regtype, 'pg_catalog.bool'::pg_catalog.regtype,
                'pg_catalog.uuid'::pg_catalog.regtype) then
        urlenc := outtext;
    elsif base in ('pg_catalog.float4'::pg_catalog.regtype,
                   'pg_catalog.float8'::pg_catalog.regtype) then
        urlenc := 'pg_catalog.replace(' || outtext || ', ''+'', ''%2b'')';
    else
        urlenc := 'pgq._urlencode(' || outtext || ')';
    end if;

    -- JSON: the original looks at the column's own type, not the base type
    if i_typid in ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                   'pg_catalog.int8'::pg_catalog.regtype) then
        jsonval := outtext;
    elsif i_typid = 'pg_catalog.bool'::pg_catalog.regtype then
        jsonval := 'case ' || ref || ' when true then ''true'' when false then ''false'' end';
    elsif i_typid in ('pg_catalog.timestamp'::pg_catalog.regtype,
                      'pg_catalog.timestamptz'::pg_catalog.regtype,
                      'pg_catalog.date'::pg_catalog.regtype) then
        jsonval := 'pg_catalog.to_json(' || ref || ')::pg_catalog.text';
    else
        jsonval := 'pg_catalog.to_json(' || outtext || ')::pg_catalog.text';
    end if;

    literal := 'pg_catalog.quote_literal(' || outtext || ')';

    if i_old is not null then
        -- like the type cache: a default btree or hash opclass gives '=',
        -- arrays are compared as text
        -- opclass input type: the type itself, a polymorphic one, or a
        -- binary-coercible one (xml compares as text)
        if btype not in ('c', 'p') and bcat <> 'A' then
            select oc.opcintype into eqtype
              from pg_catalog.pg_opclass oc
              join pg_catalog.pg_am am on am.oid = oc.opcmethod
             where oc.opcdefault and am.amname in ('btree', 'hash')
               and (oc.opcintype = base
                    or (btype = 'e' and oc.opcintype = 'pg_catalog.anyenum'::pg_catalog.regtype)
                    or (btype = 'r' and oc.opcintype = 'pg_catalog.anyrange'::pg_catalog.regtype)
                    or exists (select 1 from pg_catalog.pg_cast c
                                where c.castsource = base and c.casttarget = oc.opcintype
                                  and c.castmethod = 'b'))
             order by oc.opcintype <> base, am.amname
             limit 1;
        end if;
        if eqtype = base or eqtype in ('pg_catalog.anyenum'::pg_catalog.regtype,
                                       'pg_catalog.anyrange'::pg_catalog.regtype) then
            changed := '(' || oref || ' is distinct from ' || ref || ')';
        elsif eqtype is not null then
            changed := '((' || oref || ')::' || eqtype::pg_catalog.regtype::text
                || ' is distinct from (' || ref || ')::' || eqtype::pg_catalog.regtype::text || ')';
        else
            changed := '(' || otext || ' is distinct from ' || outtext || ')';
        end if;
    end if;
end;
$$ language plpgsql stable;
