create or replace function pgq._trg_column_sql(
    i_col record, i_new text, i_old text,
    out outtext text, out urlenc text, out jsonval text, out literal text, out changed text)
as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_column_sql(3)
--
--      Internal: SQL snippets that encode one column in the generated
--      capture code, by the column's type class (pgq._trg_columns).
--
-- Parameters:
--      i_col - a row of pgq._trg_columns()
--      i_new - SQL for the row that is encoded, e.g. '$6'
--      i_old - SQL for the other row, for change detection (or NULL)
--
-- Returns:
--      outtext - output text, NULL for NULL
--      urlenc  - url-encoded output text, NULL for NULL
--      jsonval - JSON value, NULL for NULL
--      literal - quoted SQL literal, NULL for NULL
--      changed - boolean SQL: does the column differ between the rows
--                (NULL without i_old)
-- ----------------------------------------------------------------------
declare
    ref     text := '(' || i_new || ').' || pg_catalog.quote_ident(i_col.name);
    oref    text := '(' || i_old || ').' || pg_catalog.quote_ident(i_col.name);
    otext   text;
    eqname  text;
begin
    if i_col.outfn is null then
        outtext := '(' || ref || ')::pg_catalog.text';
        otext := '(' || oref || ')::pg_catalog.text';
    else
        outtext := 'pg_catalog.textin(' || i_col.outfn || '(' || ref || '))';
        otext := 'pg_catalog.textin(' || i_col.outfn || '(' || oref || '))';
    end if;

    urlenc := case i_col.urlclass
        when 's' then outtext
        when 'f' then 'pg_catalog.replace(' || outtext || ', ''+'', ''%2b'')'
        when 'p' then 'pgq._urlencode_punct(' || outtext || ')'
        else 'pgq._urlencode(' || outtext || ')' end;

    jsonval := case i_col.jsonclass
        when 'n' then outtext
        when 'b' then 'case ' || ref || ' when true then ''true'' when false then ''false'' end'
        when 't' then 'pg_catalog.to_json(' || ref || ')::pg_catalog.text'
        else 'pg_catalog.to_json(' || outtext || ')::pg_catalog.text' end;

    literal := 'pg_catalog.quote_literal(' || outtext || ')';

    if i_old is not null then
        if i_col.eqtype is null then
            changed := '(' || otext || ' is distinct from ' || outtext || ')';
        elsif i_col.eqtype = i_col.typid then
            changed := '(' || oref || ' is distinct from ' || ref || ')';
        else
            -- a binary-coercible opclass type (xml compares as text)
            eqname := pg_catalog.format_type(i_col.eqtype, null);
            changed := '((' || oref || ')::' || eqname || ' is distinct from (' || ref || ')::'
                || eqname || ')';
        end if;
    end if;
end;
$$ language plpgsql stable;
