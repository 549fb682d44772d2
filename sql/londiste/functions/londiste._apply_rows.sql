create or replace function londiste._apply_rows(
    in i_events regclass,
    in i_table_name text,
    in i_dest_table text,
    in i_first_id int8,
    in i_last_id int8,
    in i_snapshot text,
    in i_condition text,
    in i_encoding text,
    out events int8,
    out deleted int8,
    out updated int8,
    out inserted int8)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste._apply_rows(8)
--
--      Internal (ours): the set-based replay of one table's row events of
--      a batch, so that a batch costs a few statements per table instead
--      of one per event, and no event goes through the worker's Python.
--
--      The worker COPYs the batch's events from the provider into a
--      temporary table (ev_id, ev_txid, ev_type, ev_data, ev_extra1 at
--      least) and calls this for each table it replays.  The row events
--      of i_table_name (ev_extra1) with i_first_id <= ev_id < i_last_id
--      are decoded (pgq.logutriga's urlencoded rows), collapsed per
--      primary key in ev_id order (the last change wins; an insert after
--      a delete is a delete and an insert; an insert then a delete is
--      nothing) and applied with at most one DELETE, one UPDATE and one
--      INSERT on the destination table.
--
--      Decoding is set-based, with no loop over characters: '+' and the
--      %xx escapes of the ASCII characters seen in the first events are
--      replaced in each whole event with replace(); %25, %26 and %3D
--      wait until the row is split on '&' and '=', and the values that
--      still have a '%' then (those, other escapes, non-ASCII characters)
--      are decoded bytewise.  Columns are taken by position: a run of
--      events with the same columns in the same order (and the same key
--      in the event type) is applied at once; where the columns change
--      the next run starts, so the order of events is kept.
--
-- Parameters:
--      i_events      - the temporary table holding the batch's events
--      i_table_name  - the events' table (ev_extra1)
--      i_dest_table  - the table to change on this node
--      i_first_id    - first event id to apply (NULL: from the start)
--      i_last_id     - apply the events before this id (NULL: to the end)
--      i_snapshot    - txid snapshot of the table's copy: the events it
--                      saw are skipped (NULL: none)
--      i_condition   - SQL condition on the rows (the table's
--                      copy_condition): only matching rows are kept; an
--                      update replaces the old row by the new one if that
--                      matches, else the row goes (NULL: every row)
--      i_encoding    - encoding of the urlencoded bytes (the provider's;
--                      NULL: this database's)
--
-- Returns:
--      events  - row events applied
--      deleted, updated, inserted - rows changed by each statement
--
-- Tables directly manipulated:
--      i_dest_table (delete, update, insert); pg_temp.londiste_apply_keys,
--      its own work table (created when missing, used when a key comes back)

-- ----------------------------------------------------------------------
declare
    v_enc       text := coalesce(i_encoding, pg_catalog.getdatabaseencoding());
    v_rel       regclass;
    v_dest      text;
    v_cols      text[];     -- dest columns (not generated), and their types
    v_types     text[];
    v_dpkey     text[];     -- dest primary key
    v_where     text;       -- this call's events (params $1 .. $4)
    v_start     int8;
    v_next      int8;
    v_id        int8;
    v_type      text;
    v_data      text;
    v_raw       text[];     -- the run's columns as they are written
    v_keys      text[];     -- decoded
    v_ktypes    text[];     -- their dest types
    v_pkey      text[];
    v_pkpos     int[];      -- positions of the key in v_keys
    v_optypes   text[];     -- event types of the run
    v_check     text;
    v_chain     text;
    v_pe        text[] := '{}';     -- per column: its 'key=value', the value, decoded
    v_xe        text[] := '{}';
    v_ve        text[] := '{}';
    v_src_pk    text;               -- the run's events decoded, the key only ($6: ops)
    v_src       text;               -- and all columns
    v_dup       boolean;
    v_kexpr     text := '';
    v_wmatch    text := '';
    v_wset      text := '';
    v_wins      text := '';
    v_vals      text := '';
    v_match     text := '';
    v_set       text := '';
    v_ins       text := '';
    v_inscols   text := '';
    v_code      text;
    n           int8;
    ncol        int;
    i           int;
begin
    events := 0;
    deleted := 0;
    updated := 0;
    inserted := 0;

    v_where := 'e.ev_extra1 = $1'
        || ' and (pg_catalog.left(e.ev_type, 2) in (''I:'', ''U:'', ''D:'')'
        || '      or e.ev_type in (''I'', ''U'', ''D''))'
        || ' and ($2::int8 is null or e.ev_id >= $2)'
        || ' and ($3::int8 is null or e.ev_id < $3)'
        || ' and ($4::pg_catalog.txid_snapshot is null'
        || '      or not pg_catalog.txid_visible_in_snapshot(e.ev_txid,'
        || '                                                 $4::pg_catalog.txid_snapshot))';

    v_start := i_first_id;
    loop
        -- the run's first event
        v_id := null;
        execute format('select e.ev_id, e.ev_type, e.ev_data from %s e where %s'
                       ' order by e.ev_id limit 1', i_events, v_where)
            into v_id, v_type, v_data
            using i_table_name, v_start, i_last_id, i_snapshot;
        exit when v_id is null;

        if v_rel is null then
            v_rel := pg_catalog.to_regclass(londiste.quote_fqname(i_dest_table));
            if v_rel is null then
                raise exception 'table % does not exist on this node', i_dest_table;
            end if;
            v_dest := v_rel::text;
            select pg_catalog.array_agg(a.attname::text order by a.attnum),
                   pg_catalog.array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod)
                                        order by a.attnum)
              into v_cols, v_types
              from pg_catalog.pg_attribute a
             where a.attrelid = v_rel and a.attnum > 0 and not a.attisdropped
               and a.attgenerated = '';
            select pg_catalog.array_agg(a.attname::text order by a.attnum)
              into v_dpkey
              from pg_catalog.pg_index x
              join pg_catalog.pg_attribute a
                on a.attrelid = x.indrelid and a.attnum = any (x.indkey::int2[])
             where x.indrelid = v_rel and x.indisprimary;
            if pg_catalog.to_regclass('pg_temp.londiste_apply_keys') is null then
                create temp table londiste_apply_keys (act "char", v text[])

                    on commit delete rows;
            end if;
        end if;

        -- the run's layout: its columns as written and decoded, its key
        v_raw := array(
            select pg_catalog.split_part(u.p, '=', 1)
              from pg_catalog.unnest(pg_catalog.string_to_array(coalesce(v_data, ''), '&'))
                   with ordinality u(p, o)
             order by u.o);
        v_keys := array(
            select londiste._urldecode(pg_catalog.replace(r.k, '+', ' '), v_enc)
              from pg_catalog.unnest(v_raw) with ordinality r(k, o)
             order by r.o);
        ncol := pg_catalog.cardinality(v_keys);
        if pg_catalog.strpos(v_type, ':') > 0 then
            v_pkey := pg_catalog.string_to_array(pg_catalog.substr(v_type, 3), ',');
            v_optypes := array['I:' || pg_catalog.substr(v_type, 3),
                               'U:' || pg_catalog.substr(v_type, 3),
                               'D:' || pg_catalog.substr(v_type, 3)];
        else
            v_pkey := v_dpkey;
            v_optypes := array['I', 'U', 'D'];
        end if;
        if coalesce(pg_catalog.cardinality(v_pkey), 0) = 0 then
            raise exception 'table % has no primary key (event %)', i_dest_table, v_id;
        end if;
        v_ktypes := '{}';
        for i in 1 .. ncol loop
            if v_keys[i] is null or not v_keys[i] = any (v_cols) then
                raise exception 'column % of % missing in %', v_keys[i], i_table_name,
                    i_dest_table;
            end if;
            v_ktypes := v_ktypes || v_types[pg_catalog.array_position(v_cols, v_keys[i])];
        end loop;
        v_pkpos := '{}';
        for i in 1 .. pg_catalog.cardinality(v_pkey) loop
            if not v_pkey[i] = any (v_keys) then
                raise exception 'event % has no key column %', v_id, v_pkey[i];
            end if;
            v_pkpos := v_pkpos || pg_catalog.array_position(v_keys, v_pkey[i]);
        end loop;

        -- where the layout changes, the next run starts
        v_check := format('e.ev_type in (%L, %L, %L)'
                          ' and pg_catalog.split_part(e.ev_data, ''&'', %s) = ''''',
                          v_optypes[1], v_optypes[2], v_optypes[3], ncol + 1);
        for i in 1 .. ncol loop
            v_check := v_check || format(
                ' and pg_catalog.split_part(pg_catalog.split_part(e.ev_data, ''&'', %s),'
                ' ''='', 1) = %L', i, v_raw[i]);
        end loop;

        -- the escapes replaced in whole events: the ASCII ones of the first events
        v_chain := 'pg_catalog.replace(e.ev_data, ''+'', '' '')';
        for v_code in
            execute format(
                'select distinct m[1] from (select e.ev_data from %s e where %s'
                ' limit 20) e,'
                ' pg_catalog.regexp_matches(e.ev_data, ''(%%[0-7][0-9A-Fa-f])'', ''g'') m',
                i_events, v_where)
            using i_table_name, v_id, i_last_id, i_snapshot
        loop
            if pg_catalog.upper(v_code) not in ('%00', '%25', '%26', '%3D') then
                v_chain := format('pg_catalog.replace(%s, %L, %L)', v_chain, v_code,
                    pg_catalog.chr(('x' || pg_catalog.substr(v_code, 2))::bit(8)::int));
            end if;
        end loop;

        -- per column i: p<i> its 'key=value', x<i> the value (NULL without '='),
        -- v<i> decoded (bytewise where escapes are left)
        for i in 1 .. ncol loop
            v_pe := v_pe || format(', pg_catalog.split_part(d.d, ''&'', %s) as p%s', i, i);
            v_xe := v_xe || format(
                ', case when pg_catalog.strpos(p.p%1$s, ''='') > 0 then'
                ' pg_catalog.substr(p.p%1$s, pg_catalog.strpos(p.p%1$s, ''='') + 1) end as x%1$s',
                i);
            v_ve := v_ve || format(
                ', case when pg_catalog.strpos(x.x%1$s, ''%%'') = 0 then x.x%1$s'
                ' else londiste._urldecode(x.x%1$s, %2$L) end as v%1$s', i, v_enc);
            v_vals := v_vals || format(', v.v%s', i);
        end loop;
        -- the run's events (operations $6), decoded: all columns, or the key only
        v_src := format(
            '(select x.ev_id, x.op %s from (select p.ev_id, p.op %s from'
            ' (select d.ev_id, d.op %s from (select e.ev_id, pg_catalog.left(e.ev_type, 1) as op,'
            ' %s as d from %s e where %s and pg_catalog.left(e.ev_type, 1) = any ($6)'
            ' offset 0) d offset 0) p offset 0) x)',
            pg_catalog.array_to_string(v_ve, ''), pg_catalog.array_to_string(v_xe, ''),
            pg_catalog.array_to_string(v_pe, ''), v_chain, i_events, v_where);
        v_src_pk := format(
            '(select x.ev_id, x.op %s from (select p.ev_id, p.op %s from'
            ' (select d.ev_id, d.op %s from (select e.ev_id, pg_catalog.left(e.ev_type, 1) as op,'
            ' %s as d from %s e where %s and pg_catalog.left(e.ev_type, 1) = any ($6)'
            ' offset 0) d offset 0) p offset 0) x)',
            (select pg_catalog.string_agg(v_ve[k], '' order by o)
               from pg_catalog.unnest(v_pkpos) with ordinality u(k, o)),
            (select pg_catalog.string_agg(v_xe[k], '' order by o)
               from pg_catalog.unnest(v_pkpos) with ordinality u(k, o)),
            (select pg_catalog.string_agg(v_pe[k], '' order by o)
               from pg_catalog.unnest(v_pkpos) with ordinality u(k, o)),
            v_chain, i_events, v_where);
        for i in 1 .. pg_catalog.cardinality(v_pkey) loop
            v_kexpr := v_kexpr || format(', s.v%s::%s', v_pkpos[i], v_ktypes[v_pkpos[i]]);
            v_match := v_match || format(' and t.%I = s.v%s::%s', v_pkey[i], v_pkpos[i],
                                         v_ktypes[v_pkpos[i]]);
            v_wmatch := v_wmatch || format(' and t.%I = s.v[%s]::%s', v_pkey[i], v_pkpos[i],
                                           v_ktypes[v_pkpos[i]]);
        end loop;
        v_match := pg_catalog.substr(v_match, 6);
        v_wmatch := pg_catalog.substr(v_wmatch, 6);
        for i in 1 .. ncol loop
            if not i = any (v_pkpos) then
                v_set := v_set || format(', %I = s.v%s::%s', v_keys[i], i, v_ktypes[i]);
                v_wset := v_wset || format(', %I = s.v[%s]::%s', v_keys[i], i, v_ktypes[i]);
            end if;
            v_ins := v_ins || format(', s.v%s::%s as %I', i, v_ktypes[i], v_keys[i]);
            v_wins := v_wins || format(', s.v[%s]::%s as %I', i, v_ktypes[i], v_keys[i]);
            v_inscols := v_inscols || format(', %I', v_keys[i]);
        end loop;
        v_inscols := pg_catalog.substr(v_inscols, 3);

        -- in one scan: where the run ends (the first event of another layout), the
        -- number of events (the first time: all there are to apply) and whether a key
        -- comes back in the run: usually not, and then each event is a statement's row
        -- as it is, no collapse
        execute format(
            'select pg_catalog.min(s.ev_id) filter (where not s.ok), pg_catalog.count(*),'
            ' pg_catalog.count(*) filter (where s.ok)'
            '   <> pg_catalog.count(distinct (case when s.ok then (%s) end))'
            ' from (select x.ev_id, x.ok %s from (select p.ev_id, p.ok %s from'
            ' (select d.ev_id, d.ok %s from (select e.ev_id, (%s) is true as ok, %s as d'
            ' from %s e where %s offset 0) d offset 0) p offset 0) x) s',
            pg_catalog.substr(v_kexpr, 3),
            (select pg_catalog.string_agg(v_ve[k], '' order by o)
               from pg_catalog.unnest(v_pkpos) with ordinality u(k, o)),
            (select pg_catalog.string_agg(v_xe[k], '' order by o)
               from pg_catalog.unnest(v_pkpos) with ordinality u(k, o)),
            (select pg_catalog.string_agg(v_pe[k], '' order by o)
               from pg_catalog.unnest(v_pkpos) with ordinality u(k, o)),
            v_check, v_chain, i_events, v_where)
            into v_next, n, v_dup
            using i_table_name, v_id, i_last_id, i_snapshot;
        if events = 0 then
            events := n;
        end if;
        if v_next is not null then
            execute format(
                'select pg_catalog.count(*) <> pg_catalog.count(distinct (%s)) from %s s',
                pg_catalog.substr(v_kexpr, 3), v_src_pk)
                into v_dup
                using i_table_name, v_id, v_next, i_snapshot, null::boolean,
                      array['I', 'U', 'D'];
        end if;


        if not v_dup then
            -- with a condition an update is a delete and an insert (if it matches)
            execute format('delete from only %s t using %s s where %s', v_dest, v_src_pk, v_match)
                using i_table_name, v_id, coalesce(v_next, i_last_id), i_snapshot, null::boolean,
                      case when i_condition is null then array['D'] else array['D', 'U'] end;
            get diagnostics n = row_count;
            deleted := deleted + n;
            if i_condition is null and v_set <> '' then
                execute format('update only %s t set %s from %s s where %s',
                               v_dest, pg_catalog.substr(v_set, 3), v_src, v_match)
                    using i_table_name, v_id, coalesce(v_next, i_last_id), i_snapshot,
                          null::boolean, array['U'];
                get diagnostics n = row_count;
                updated := updated + n;
            end if;
            v_ins := format('select %s from %s s', pg_catalog.substr(v_ins, 3), v_src);
            if i_condition is not null then
                v_ins := format('select * from (%s) s where %s', v_ins, i_condition);
            end if;
            execute format('insert into %s (%s) %s', v_dest, v_inscols, v_ins)
                using i_table_name, v_id, coalesce(v_next, i_last_id), i_snapshot, null::boolean,
                      case when i_condition is null then array['I'] else array['I', 'U'] end;
            get diagnostics n = row_count;
            inserted := inserted + n;
        else
            -- collapse per key in event order into the work table: each key's last
            -- row, with its first and last operation and whether it was deleted
            delete from pg_temp.londiste_apply_keys;
            execute format(
                'insert into pg_temp.londiste_apply_keys (act, v)'
                ' select case when c.first_op = ''I'' then ''I'''
                '             when c.last_op = ''D'' then ''D'''
                '             when c.saw_d or $5 then ''X'' else ''U'' end::"char", c.v'
                ' from (select s.ev_id, array[%s]::text[] as v,'
                '         pg_catalog.max(s.ev_id) over w as last_id,'
                '         pg_catalog.first_value(s.op) over w as first_op,'
                '         pg_catalog.last_value(s.op) over w as last_op,'
                '         pg_catalog.bool_or(s.op = ''D'') over w as saw_d'
                '       from %s s'
                '       window w as (partition by %s order by s.ev_id'
                '                    rows between unbounded preceding and unbounded following)) c'
                ' where c.ev_id = c.last_id and not (c.first_op = ''I'' and c.last_op = ''D'')',
                pg_catalog.replace(pg_catalog.substr(v_vals, 3), 'v.v', 's.v'), v_src,
                pg_catalog.substr(v_kexpr, 3))
                using i_table_name, v_id, coalesce(v_next, i_last_id), i_snapshot,
                      i_condition is not null, array['I', 'U', 'D'];

            execute format('delete from only %s t using pg_temp.londiste_apply_keys s'
                           ' where s.act in (''D'', ''X'') and %s', v_dest, v_wmatch);
            get diagnostics n = row_count;
            deleted := deleted + n;
            if v_wset <> '' then
                execute format('update only %s t set %s from pg_temp.londiste_apply_keys s'
                               ' where s.act = ''U'' and %s',
                               v_dest, pg_catalog.substr(v_wset, 3), v_wmatch);
                get diagnostics n = row_count;
                updated := updated + n;
            end if;
            v_wins := format('select %s from pg_temp.londiste_apply_keys s'
                             ' where s.act in (''I'', ''X'')', pg_catalog.substr(v_wins, 3));
            if i_condition is not null then
                v_wins := format('select * from (%s) s where %s', v_wins, i_condition);
            end if;
            execute format('insert into %s (%s) %s', v_dest, v_inscols, v_wins);
            get diagnostics n = row_count;
            inserted := inserted + n;
        end if;

        exit when v_next is null;
        v_start := v_next;
        v_pe := '{}'; v_xe := '{}'; v_ve := '{}';
        v_vals := ''; v_kexpr := ''; v_match := ''; v_wmatch := ''; v_set := ''; v_wset := '';
        v_ins := ''; v_wins := ''; v_inscols := '';
    end loop;
    return;
end;
$$ language plpgsql
-- replication applies a batch to a few rows of a table: index lookups, never a scan of
-- the table for a hash (the temporary tables have no statistics to say so)
set enable_hashjoin = off
set enable_mergejoin = off;
