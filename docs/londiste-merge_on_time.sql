-- merge_on_time: the apply function of Londiste's multimaster handler, in PL/pgSQL.
--
-- The original's merge_on_time is a PL/Python function of the admin's (it calls
-- skytools.plpy_applyrow.ts_conflict_handler); this one has the same arguments and
-- rules, for nodes without PL/Python.  Install it on each node whose tables use
-- the multimaster handler:  psql -f docs/londiste-merge_on_time.sql
--
-- Rules (the original's): fn_conf is urlencoded, timefield=COLUMN required.  The
-- row with the event's key is looked for (and locked); if it exists and its time
-- column is not older than the event's, the event is ignored ('IGN: ...').
-- Otherwise an insert of an existing row is an update, an update of a missing
-- row is an insert, a delete deletes.  Values are cast by the columns' types.
-- Not done (the original's conf keys altpk, fkey_*): they raise an error.

create or replace function public.merge_on_time_unquote(i_text text)
returns text as $$
    -- one urlencoded value ('+' is a space, %XX a byte of UTF-8)
    select pg_catalog.convert_from(coalesce(
               string_agg(case when r.m[1] is not null
                               then pg_catalog.decode(pg_catalog.substr(r.m[1], 2), 'hex')
                               else pg_catalog.convert_to(r.m[2], 'UTF8') end,
                          ''::bytea order by r.o),
               ''::bytea), 'UTF8')
      from pg_catalog.regexp_matches(pg_catalog.replace(i_text, '+', ' '),
                                     '(%[0-9a-fA-F]{2})|([^%]+|%)', 'g')
           with ordinality as r(m, o)
$$ language sql immutable strict;

create or replace function public.merge_on_time_urldecode(i_data text)
returns jsonb as $$
    -- a urlencoded row: key=value&key2 (key2 is NULL)
    select coalesce(jsonb_object_agg(
               public.merge_on_time_unquote(pg_catalog.split_part(p, '=', 1)),
               case when pg_catalog.strpos(p, '=') > 0
                    then public.merge_on_time_unquote(
                             pg_catalog.substr(p, pg_catalog.strpos(p, '=') + 1)) end),
           '{}'::jsonb)
      from pg_catalog.unnest(pg_catalog.string_to_array(coalesce(i_data, ''), '&')) p
     where p <> ''
$$ language sql immutable;

create or replace function public.merge_on_time(
    fn_conf text, cur_tick text, ev_id text, ev_time text, ev_txid text, ev_retry text,
    ev_type text, ev_data text, ev_extra1 text, ev_extra2 text, ev_extra3 text,
    ev_extra4 text)
returns text as $$
declare
    v_conf   jsonb := public.merge_on_time_urldecode(fn_conf);
    v_row    jsonb := public.merge_on_time_urldecode(ev_data);
    v_time   text := v_conf->>'timefield';
    v_cmd    text := pg_catalog.split_part(ev_type, ':', 1);
    v_pkeys  text[];
    v_schema text := pg_catalog.split_part(ev_extra1, '.', 1);
    v_name   text := pg_catalog.split_part(ev_extra1, '.', 2);
    v_tbl    text;
    v_match  text;
    v_cols   text;
    v_set    text;
    v_newer  boolean;
    v_n      bigint;
begin
    if v_time is null then
        raise exception 'merge_on_time: timefield missing from conf %', fn_conf;
    end if;
    if v_conf ? 'altpk' or v_conf ? 'fkey_ref_table' then
        raise exception 'merge_on_time: altpk and fkey_* are not supported here';
    end if;
    if v_cmd not in ('I', 'U', 'D') or pg_catalog.strpos(ev_type, ':') = 0 then
        raise exception 'merge_on_time: unsupported ev_type %', ev_type;
    end if;
    v_pkeys := pg_catalog.string_to_array(
                   pg_catalog.substr(ev_type, pg_catalog.strpos(ev_type, ':') + 1), ',');
    if v_name = '' then
        v_name := v_schema;
        v_schema := 'public';
    end if;
    v_tbl := pg_catalog.format('%I.%I', v_schema, v_name);
    select string_agg(pg_catalog.format('t.%1$I is not distinct from n.%1$I', k), ' and ')
      into v_match from pg_catalog.unnest(v_pkeys) k;
    if v_match is null then
        raise exception 'merge_on_time: no pkey in event %', ev_id;
    end if;

    execute pg_catalog.format(
        'select t.%1$I >= n.%1$I from only %2$s t, jsonb_populate_record(null::%2$s, $1) n'
        ' where %3$s for update of t', v_time, v_tbl, v_match)
        into v_newer using v_row;
    get diagnostics v_n = row_count;  -- (EXECUTE does not set FOUND)
    if v_n > 0 then
        if coalesce(v_newer, false) then
            return 'IGN: data ok, old row, current row more up-to-date';
        end if;
        if v_cmd = 'I' then
            v_cmd := 'U';
        end if;
    elsif v_cmd = 'U' then
        v_cmd := 'I';
    end if;

    select string_agg(pg_catalog.format('%I', k), ', ') into v_cols
      from jsonb_object_keys(v_row) k;
    if v_cmd = 'I' then
        execute pg_catalog.format(
            'insert into %1$s (%2$s) select %2$s from jsonb_populate_record(null::%1$s, $1)',
            v_tbl, v_cols) using v_row;
    elsif v_cmd = 'U' then
        select string_agg(pg_catalog.format('%1$I = n.%1$I', k), ', ') into v_set
          from jsonb_object_keys(v_row) k where k <> all (v_pkeys);
        if v_set is not null then
            execute pg_catalog.format(
                'update only %1$s t set %2$s from jsonb_populate_record(null::%1$s, $1) n'
                ' where %3$s', v_tbl, v_set, v_match) using v_row;
        end if;
    else
        execute pg_catalog.format(
            'delete from only %1$s t using jsonb_populate_record(null::%1$s, $1) n where %2$s',
            v_tbl, v_match) using v_row;
    end if;
    get diagnostics v_n = row_count;
    return 'data ok, ' || v_cmd || ' ' || v_n || ' row(s)';
end;
$$ language plpgsql;
