create or replace function pgq._trg_build(
    i_relid oid, i_kind text, i_args text[], i_fields boolean default false)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_build(4)
--
--      Internal: the SQL expression that captures one row change for one
--      kind of trigger with one set of options on one table: the code of
--      the fast path.  The generated per-table overloads of
--      pgq._trg_event() and pgq._trg_fields() embed it, and the planner
--      inlines them into the trigger's cached plan.  The slow path,
--      pgq._trg_generic_fields(), follows the same rules at run time with
--      the same per-type encodings (pgq._trg_columns); tests compare the
--      two, and both with the original.
--
--      The expression uses these parameters:
--          $1 kind     $2 TG_NARGS   $3 TG_ARGV  $4 TG_OP    $5 TG_WHEN
--          $6 NEW      $7 OLD        $8 schema   $9 table    $10 TG_RELID
--      and returns the new event id, or NULL when no event is due; with
--      i_fields it inserts nothing and returns the event's fields as
--      text[] (ev_type, ev_data, ev_extra1 .. ev_extra4) for a bulk
--      insert (statement-level capture, pgq._trg_capture_statement).
--
--      Rules follow the original C triggers: ev_extra1 is schema.table;
--      UPDATE/DELETE need key columns; a changed key is an error; an
--      UPDATE that changed only ignored (or magic) columns gives no event;
--      magic columns _pgq_ev_* override event fields, then ev_*=
--      expressions, then when= decides.  Two deliberate differences: a
--      changed key column is always an error (the original could miss it
--      when ignore= was given and an earlier column changed), and key
--      names come from the table, not from the pkey index (stale after a
--      column rename).
--
-- Parameters:
--      i_relid - table
--      i_kind  - 'logutriga', 'sqltriga' or 'jsontriga'
--      i_args  - trigger arguments after the queue name, NULL for none
--      i_fields - return the fields instead of inserting the event
--
-- Returns:
--      SQL expression text.
-- ----------------------------------------------------------------------
declare
    opt         record;
    col         record;
    snip        record;     -- the column of NEW, compared with OLD
    osnip       record;     -- the column of OLD
    pkeys       text;       -- key column list as the ev_type shows it
    nsp         text;
    rel         text;
    pkey_json   text;
    cols        text[];
    magic_err   text;
    -- per row variable: 1 = NEW ($6), 2 = OLD ($7)
    rowsql      text[] := array['$6', '$7'];
    urlrow      text[] := array['', ''];
    jsonrow     text[] := array['', ''];
    mslot       integer[] := '{}';  -- magic columns: event field number
    mcol        text[] := '{}';     -- and column name
    magic_sql   text;
    ins_cols    text := '';
    ins_vals    text := '';
    set_items   text[] := '{}'; -- sqltriga SET: one CASE per logged column
    set_sql     text;
    first_key   text;
    where_sql   text := '';
    key_chg     text := '';
    keep_chg    text := '';     -- logged non-key columns changed
    skip_chg    text := '';     -- ignored or magic non-key columns changed
    sep         text;
    fields      text[];
    res         text;
    op          text;
    r           integer;
    body        text;
    checks      text;
    null_key    text := 'pgq._trg_error(''logtriga: Unexpected NULL key value'', null::pg_catalog.text)';
    rtype       text := case when i_fields then 'null::pg_catalog.text[]' else 'null::pg_catalog.int8' end;
begin
    if i_kind not in ('logutriga', 'sqltriga', 'jsontriga') then
        raise exception 'pgq._trg_build: unknown trigger kind %', i_kind;
    end if;
    opt := pgq._trg_options(i_args, false);
    select n.nspname, c.relname into nsp, rel
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.oid = i_relid;

    -- key columns: pkey= as written, else the primary key in index order
    select k.pkeys, k.pkey_json into pkeys, pkey_json from pgq._trg_pkeys(i_relid, opt.pkey_list) k;

    select pg_catalog.array_agg(a.attname::pg_catalog.text order by a.attnum) into cols
      from pg_catalog.pg_attribute a
     where a.attrelid = i_relid and a.attnum > 0 and not a.attisdropped;
    cols := coalesce(cols, '{}');

    for col in select * from pgq._trg_columns(i_relid) loop
        snip := pgq._trg_column_sql(col, '$6', '$7');
        osnip := pgq._trg_column_sql(col, '$7', null);
        if col.name like '\_pgq\_ev\_%' then
            -- field index in ev_type, ev_data, ev_extra1..4
            r := pg_catalog.array_position(array['_pgq_ev_type', '_pgq_ev_data', '_pgq_ev_extra1',
                    '_pgq_ev_extra2', '_pgq_ev_extra3', '_pgq_ev_extra4'], col.name);
            if r is null then
                magic_err := coalesce(magic_err, 'Unknown magic column: ' || col.name);
            else
                mslot := mslot || r;
                mcol := mcol || col.name;
            end if;
            skip_chg := skip_chg || ' or ' || snip.changed;
            continue;
        end if;
        if pgq._trg_strlist_contains(pkeys, col.name) then
            key_chg := key_chg || ' or ' || snip.changed;
            where_sql := where_sql || case when where_sql = '' then '' else ' || '' and '' || ' end
                || pg_catalog.quote_literal(pg_catalog.quote_ident(col.name) || '=')
                || ' || coalesce(' || osnip.literal || ', ' || null_key || ')';
            if first_key is null then
                first_key := pg_catalog.quote_literal(pg_catalog.quote_ident(col.name) || '=')
                    || ' || coalesce(' || osnip.literal || ', ' || null_key || ')';
            end if;
            if pgq._trg_strlist_contains(opt.ignore_list, col.name) then
                continue;
            end if;
        elsif pgq._trg_strlist_contains(opt.ignore_list, col.name) then
            skip_chg := skip_chg || ' or ' || snip.changed;
            continue;
        else
            keep_chg := keep_chg || ' or ' || snip.changed;
            set_items := set_items || ('case when ' || snip.changed || ' then '
                || pg_catalog.quote_literal(pg_catalog.quote_ident(col.name) || '=')
                || ' || coalesce(' || snip.literal || ', ''NULL'') end');
        end if;

        -- a logged column: urlencoded, JSON and INSERT forms for both rows
        sep := case when ins_cols = '' then '' else ',' end;
        ins_cols := ins_cols || sep || pg_catalog.quote_ident(col.name);
        ins_vals := ins_vals || case when sep = '' then '' else ' || '','' || ' end
            || 'coalesce(' || snip.literal || ', ''null'')';
        for r in 1 .. 2 loop
            urlrow[r] := urlrow[r] || case when urlrow[r] = '' then '' else ' || ' end
                || pg_catalog.quote_literal(case when sep = '' then '' else '&' end
                                            || pgq._urlencode(col.name))
                || ' || coalesce(''='' || '
                || case when r = 1 then snip.urlenc else osnip.urlenc end || ', '''')';
            jsonrow[r] := jsonrow[r] || ' || ' || pg_catalog.quote_literal(sep
                || pg_catalog.to_json(col.name)::pg_catalog.text || ':')
                || ' || coalesce(' || case when r = 1 then snip.jsonval else osnip.jsonval end
                || ', ''null'')';
        end loop;
    end loop;
    for r in 1 .. 2 loop
        if urlrow[r] = '' then
            urlrow[r] := '''''';
        end if;
        jsonrow[r] := '''{''' || jsonrow[r] || ' || ''}''';
    end loop;

    -- the changed columns joined with commas; concat_ws() takes at most
    -- 100 arguments, so wide tables join groups of 90 (empty ones dropped)
    if pg_catalog.cardinality(set_items) > 0 then
        select case when pg_catalog.count(*) = 1 then pg_catalog.min(g)
                    else 'pg_catalog.concat_ws('','', '
                         || pg_catalog.string_agg('nullif(' || g || ', '''')', ', ' order by k) || ')' end
          into set_sql
          from (select k, 'pg_catalog.concat_ws('','', '
                          || pg_catalog.array_to_string(set_items[k * 90 + 1:k * 90 + 90], ', ') || ')' as g
                  from pg_catalog.generate_series(0, (pg_catalog.cardinality(set_items) - 1) / 90) k) x;
    end if;

    res := 'case $4';
    foreach op in array array['INSERT', 'UPDATE', 'DELETE'] loop
        r := case when op = 'DELETE' then 2 else 1 end;
        -- ev_type, ev_data, ev_extra1 .. ev_extra4
        fields := array[null, null, '$8 || ''.'' || $9', 'null', 'null', 'null'];
        if i_kind = 'logutriga' then
            fields[1] := pg_catalog.quote_literal(pg_catalog.left(op, 1) || ':' || pkeys);
            fields[2] := urlrow[r];
        elsif i_kind = 'sqltriga' then
            fields[1] := pg_catalog.quote_literal(pg_catalog.left(op, 1));
            if op = 'INSERT' then
                fields[2] := pg_catalog.quote_literal('(' || ins_cols || ') values (')
                    || case when ins_vals = '' then '' else ' || ' || ins_vals end || ' || '')''';
            elsif op = 'UPDATE' then
                fields[2] := case when set_sql is null then coalesce(first_key, null_key)
                    else 'coalesce(nullif(' || set_sql || ', ''''), '
                         || coalesce(first_key, null_key) || ')' end
                    || ' || '' where '''
                    || case when where_sql = '' then '' else ' || ' || where_sql end;
            else
                fields[2] := case when where_sql = '' then '''''' else where_sql end;
            end if;
        else
            -- the table's name as generated, or as it is now if it was
            -- renamed since (ALTER SCHEMA RENAME does not regenerate)
            fields[1] := 'case when $8 = ' || pg_catalog.quote_literal(nsp) || ' and $9 = '
                || pg_catalog.quote_literal(rel) || ' then '
                || pg_catalog.quote_literal('{"op":"' || op || '","table":['
                       || pg_catalog.to_json(nsp)::pg_catalog.text || ','
                       || pg_catalog.to_json(rel)::pg_catalog.text || '],"pkey":[' || pkey_json || ']}')
                || ' else ' || pg_catalog.quote_literal('{"op":"' || op || '","table":[')
                || ' || pg_catalog.to_json($8)::pg_catalog.text || '','' || pg_catalog.to_json($9)::pg_catalog.text || '
                || pg_catalog.quote_literal('],"pkey":[' || pkey_json || ']}') || ' end';
            fields[2] := jsonrow[r];
        end if;
        if op = 'UPDATE' and opt.backup then
            fields[4] := case when i_kind = 'jsontriga' then jsonrow[2] else urlrow[2] end;
        end if;

        -- magic columns, then ev_*= expressions override fields
        for i in 1 .. coalesce(pg_catalog.array_length(mslot, 1), 0) loop
            select (pgq._trg_column_sql(c, rowsql[r], null)).outtext into magic_sql
              from pgq._trg_columns(i_relid) c where c.name = mcol[i];
            fields[mslot[i]] := magic_sql;
        end loop;
        for i in 1 .. 6 loop
            if opt.exprs[i] is not null then
                fields[i] := 'pgq._trg_text(' || pgq._trg_expr(opt.exprs[i], cols, rowsql[r]) || ')';
            end if;
        end loop;

        if magic_err is not null then
            body := 'pgq._trg_error(' || pg_catalog.quote_literal(magic_err) || ', ' || rtype || ')';
        else
            if i_fields then
                body := 'array[' || pg_catalog.array_to_string(fields, ', ') || ']::pg_catalog.text[]';
            else
                -- through insert_event(7), as the original: a user's
                -- replacement of it sees every captured event
                body := 'pgq.insert_event($3[0], '
                    || pg_catalog.array_to_string(fields, ', ') || ')';
            end if;
        end if;
        if opt.exprs[7] is not null then
            body := 'case pgq._trg_when(' || pgq._trg_expr(opt.exprs[7], cols, rowsql[r]) || ')'
                || ' when true then ' || body || ' when false then ' || rtype
                || ' else pgq._trg_error(''when= should not be NULL'', ' || rtype || ') end';
        end if;

        -- checks, in the original's order
        checks := '';
        if op <> 'INSERT' and pkeys = '' then
            checks := checks || ' when true then pgq._trg_error(''Update/Delete on table without pkey'', ' || rtype || ')';
        end if;
        if opt.skip then
            checks := checks || ' when $5 = ''AFTER'' then pgq._trg_error(''SKIP does not work in AFTER trigger.'', ' || rtype || ')';
        end if;
        if opt.deny then
            checks := checks || ' when true then pgq._trg_error(pg_catalog.format('
                || '''Table ''''%s.%s'''' to queue ''''%s'''': change not allowed (%s)'', $8, $9, $3[0], $4), ' || rtype || ')';
        end if;
        if op = 'UPDATE' then
            if key_chg <> '' then
                checks := checks || ' when ' || substr(key_chg, 5)
                    || ' then pgq._trg_error(''primary key update not allowed'', ' || rtype || ')';
            end if;
            -- an UPDATE of only ignored columns is no event; the url/JSON
            -- triggers count magic columns as ignored only with ignore=
            if skip_chg <> '' and (i_kind = 'sqltriga' or opt.ignore_list is not null) then
                checks := checks || ' when (' || substr(skip_chg, 5) || ')'
                    || case when keep_chg = '' then '' else ' and not (' || substr(keep_chg, 5) || ')' end
                    || ' then ' || rtype;
            end if;
        end if;
        if checks <> '' then
            body := 'case' || checks || ' else ' || body || ' end';
        end if;
        res := res || E'\n when ' || pg_catalog.quote_literal(op) || ' then ' || body;
    end loop;
    return res || E'\n end';
end;
$$ language plpgsql stable;
