create or replace function pgq._trg_generic_fields(
    i_kind text, i_nargs integer, i_argv text[], i_op text, i_when text,
    i_new anyelement, i_old anyelement, i_schema text, i_table text, i_relid oid)
returns text[] as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_generic_fields(10)
--
--      Internal: slow path of the capture triggers, for tables without a
--      generated overload of pgq._trg_event() (installed without superuser
--      rights; an overload that failed to build; option sets it does not
--      cover; sessions that planned the trigger before the overload was
--      made).  Reads the table's columns from the catalog and the values
--      from the row's text form on every call, and encodes them with the
--      same type classes and helpers as the generated code
--      (pgq._trg_columns, pgq._urlencode, to_json, quote_literal), so
--      the events are the same; tests compare the two paths.
--      when=/ev_*= expressions are run with EXECUTE.
--
--      Rules: see pgq._trg_build, the generator of the fast path.
--
-- Parameters:
--      as pgq._trg_event()
--
-- Returns:
--      ev_type, ev_data, ev_extra1 .. ev_extra4; NULL if no event is due.
-- ----------------------------------------------------------------------
declare
    opt         record;
    pk          record;
    c           record;
    names       text[] := '{}';
    nv          text[];         -- output texts of NEW
    ov          text[];         -- output texts of OLD
    rv          text[];         -- output texts of the logged row
    rjson       json;           -- jsontriga: row_to_json() of the logged row
    ojson       json;           -- and of OLD, for backup
    is_first    boolean := true;
    chg         boolean;
    eq          boolean;
    any_keep    boolean := false;   -- a logged non-key column changed
    any_skip    boolean := false;   -- an ignored or magic non-key column changed
    keyeq       text;
    url_new     text := '';
    url_old     text := '';
    json_new    text := '';
    json_old    text := '';
    ins_cols    text := '';
    ins_vals    text := '';
    set_part    text := '';
    first_key   text;
    where_part  text := '';
    magic_err   text;
    mslot       integer[] := '{}';
    mval        text[] := '{}';
    slot        integer;
    fields      text[];
    res         text;
begin
    if pg_catalog.current_setting('session_replication_role') = 'local' then
        return null;
    end if;
    opt := pgq._trg_options(case when i_nargs > 1 then i_argv[1:i_nargs - 1] end, false);
    pk := pgq._trg_pkeys(i_relid, opt.pkey_list);

    -- checks, in the original's order
    if i_op <> 'INSERT' and pk.pkeys = '' then
        raise exception 'Update/Delete on table without pkey';
    end if;
    if opt.skip and i_when = 'AFTER' then
        raise exception 'SKIP does not work in AFTER trigger.';
    end if;
    if opt.deny then
        raise exception 'Table ''%.%'' to queue ''%'': change not allowed (%)',
            i_schema, i_table, i_argv[0], i_op;
    end if;

    if i_op <> 'DELETE' then
        nv := pgq._trg_record_values(i_new::text);
    end if;
    if i_op <> 'INSERT' then
        ov := pgq._trg_record_values(i_old::text);
    end if;
    rv := case when i_op = 'DELETE' then ov else nv end;
    if i_kind = 'jsontriga' then
        rjson := pg_catalog.row_to_json(case when i_op = 'DELETE' then i_old else i_new end);
        if i_op = 'UPDATE' and opt.backup then
            ojson := pg_catalog.row_to_json(i_old);
        end if;
    end if;

    for c in
        select t.*, (pg_catalog.row_number() over ())::integer as i
          from pgq._trg_columns(i_relid, true) t
    loop
        names := names || c.name;

        -- did the column change?  Same test as the generated code, on
        -- output texts: equal texts are equal values; different texts of
        -- types like numeric (1.0 = 1.00) are compared as values.
        chg := false;
        if i_op = 'UPDATE' and ov[c.i] is distinct from nv[c.i] then
            chg := true;
            if ov[c.i] is not null and nv[c.i] is not null
               and (c.eqcast = 'c' or (c.eqcast = 't' and c.nondeterministic)) then
                execute pg_catalog.format('select $1::%1$s = $2::%1$s%2$s',
                    pg_catalog.format_type(c.typid, c.typmod),
                    coalesce((select ' collate ' || pg_catalog.quote_ident(ns.nspname) || '.'
                                     || pg_catalog.quote_ident(l.collname)
                                from pg_catalog.pg_collation l
                                join pg_catalog.pg_namespace ns on ns.oid = l.collnamespace
                               where l.oid = c.collid and c.nondeterministic), ''))
                   into eq using ov[c.i], nv[c.i];
                chg := not eq;
            end if;
        end if;

        if c.name like '\_pgq\_ev\_%' then
            slot := pg_catalog.array_position(array['_pgq_ev_type', '_pgq_ev_data', '_pgq_ev_extra1',
                    '_pgq_ev_extra2', '_pgq_ev_extra3', '_pgq_ev_extra4'], c.name);
            if slot is null then
                magic_err := coalesce(magic_err, 'Unknown magic column: ' || c.name);
            else
                mslot := mslot || slot;
                mval := mval || rv[c.i];
            end if;
            any_skip := any_skip or chg;
            continue;
        end if;

        if pgq._trg_strlist_contains(pk.pkeys, c.name) then
            if chg then
                raise exception 'primary key update not allowed';
            end if;
            if i_op <> 'INSERT' and i_kind = 'sqltriga' then
                keyeq := pg_catalog.quote_ident(c.name) || '='
                    || coalesce(pg_catalog.quote_literal(ov[c.i]),
                                pgq._trg_error('logtriga: Unexpected NULL key value', null::text));
                where_part := where_part || case when where_part = '' then '' else ' and ' end || keyeq;
                first_key := coalesce(first_key, keyeq);
            end if;
            if pgq._trg_strlist_contains(opt.ignore_list, c.name) then
                continue;
            end if;
        elsif pgq._trg_strlist_contains(opt.ignore_list, c.name) then
            any_skip := any_skip or chg;
            continue;
        else
            any_keep := any_keep or chg;
            if chg then
                set_part := set_part || case when set_part = '' then '' else ',' end
                    || pg_catalog.quote_ident(c.name) || '='
                    || coalesce(pg_catalog.quote_literal(nv[c.i]), 'NULL');
            end if;
        end if;

        -- a logged column
        if i_kind = 'jsontriga' then
            json_new := json_new || case when is_first then '' else ',' end
                || pg_catalog.to_json(c.name)::pg_catalog.text || ':'
                || coalesce(pgq._trg_json_value(rv[c.i], c.jsonclass, rjson -> c.name), 'null');
            if i_op = 'UPDATE' and opt.backup then
                json_old := json_old || case when is_first then '' else ',' end
                    || pg_catalog.to_json(c.name)::pg_catalog.text || ':'
                    || coalesce(pgq._trg_json_value(ov[c.i], c.jsonclass, ojson -> c.name), 'null');
            end if;
        else
            if i_kind = 'logutriga' then
                url_new := url_new || case when is_first then '' else '&' end
                    || pgq._urlencode(c.name)
                    || coalesce('=' || pgq._trg_url_value(rv[c.i], c.urlclass), '');
            else
                ins_cols := ins_cols || case when is_first then '' else ',' end
                    || pg_catalog.quote_ident(c.name);
                ins_vals := ins_vals || case when is_first then '' else ',' end
                    || coalesce(pg_catalog.quote_literal(rv[c.i]), 'null');
            end if;
            if i_op = 'UPDATE' and opt.backup then
                url_old := url_old || case when is_first then '' else '&' end
                    || pgq._urlencode(c.name)
                    || coalesce('=' || pgq._trg_url_value(ov[c.i], c.urlclass), '');
            end if;
        end if;
        is_first := false;
    end loop;

    -- an UPDATE of only ignored columns is no event; the url/JSON
    -- triggers count magic columns as ignored only with ignore=
    if i_op = 'UPDATE' and any_skip and not any_keep
       and (i_kind = 'sqltriga' or opt.ignore_list is not null) then
        return null;
    end if;

    -- ev_type, ev_data, ev_extra1 .. ev_extra4
    fields := array[null, null, i_schema || '.' || i_table, null, null, null];
    if i_kind = 'logutriga' then
        fields[1] := pg_catalog.left(i_op, 1) || ':' || pk.pkeys;
        fields[2] := url_new;
    elsif i_kind = 'sqltriga' then
        fields[1] := pg_catalog.left(i_op, 1);
        if i_op = 'INSERT' then
            fields[2] := '(' || ins_cols || ') values (' || ins_vals || ')';
        elsif i_op = 'UPDATE' then
            fields[2] := coalesce(nullif(set_part, ''), first_key,
                                  pgq._trg_error('logtriga: Unexpected NULL key value', null::text))
                || ' where ' || where_part;
        else
            fields[2] := where_part;
        end if;
    else
        fields[1] := '{"op":"' || i_op || '","table":[' || pg_catalog.to_json(i_schema)::pg_catalog.text
            || ',' || pg_catalog.to_json(i_table)::pg_catalog.text || '],"pkey":[' || pk.pkey_json || ']}';
        fields[2] := '{' || json_new || '}';
    end if;
    if i_op = 'UPDATE' and opt.backup then
        fields[4] := case when i_kind = 'jsontriga' then '{' || json_old || '}' else url_old end;
    end if;

    -- magic columns, then ev_*= expressions, then when=
    if magic_err is not null then
        raise exception '%', magic_err;
    end if;
    for i in 1 .. coalesce(pg_catalog.array_length(mslot, 1), 0) loop
        fields[mslot[i]] := mval[i];
    end loop;
    for i in 1 .. 6 loop
        if opt.exprs[i] is not null then
            execute 'select pgq._trg_text(' || pgq._trg_expr(opt.exprs[i], names, '$1') || ')'
               into res using case when i_op = 'DELETE' then i_old else i_new end;
            fields[i] := res;
        end if;
    end loop;
    if opt.exprs[7] is not null then
        execute 'select pgq._trg_when(' || pgq._trg_expr(opt.exprs[7], names, '$1') || ')'
           into eq using case when i_op = 'DELETE' then i_old else i_new end;
        if eq is null then
            raise exception 'when= should not be NULL';
        elsif not eq then
            return null;
        end if;
    end if;

    return fields;
end;
$$ language plpgsql;
