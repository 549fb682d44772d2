create or replace function londiste.create_partition(
    i_table text,
    i_part text,
    i_pkeys text,
    i_part_field text,
    i_part_time timestamptz,
    i_part_period text)
returns int as $$
-- ----------------------------------------------------------------------
-- Function: londiste.create_partition(6)
--
--      Create a partition of a table for the dispatch/part handlers: a
--      table like the parent (columns, defaults, indexes, constraints)
--      inheriting from it, owned by the parent's owner, with the parent's
--      grants, triggers (in the same enabled state) and rules, and a
--      CHECK on the partition field for its period.
--
-- Parameters:
--      i_table       - parent table (schema.name, public by default)
--      i_part        - partition name
--      i_pkeys       - key columns (unused: the keys come with the indexes)
--      i_part_field  - the time column, '' for no CHECK
--      i_part_time   - a time inside the partition's period
--      i_part_period - date_trunc() unit: hour, day, month, year, ...
--
-- Returns:
--      1 when created, 0 when the partition exists already
--
-- Tables directly manipulated:
--      none (creates the partition; locks londiste.table_info against
--      concurrent creators)
-- ----------------------------------------------------------------------
declare
    v_parent   record := londiste.split_fqname(i_table);
    v_part     record := londiste.split_fqname(i_part);
    v_qparent  text;
    v_qpart    text;
    v_oid      oid;
    v_owner    name;
    v_start    timestamptz;
    v_grant    record;
    v_trg      record;
    v_rule     record;
    v_sql      text;
    v_state    text;
    v_head     text;
    v_old      text;
begin
    if i_table is null or i_part is null then
        raise exception 'need table and part';
    end if;
    v_qparent := pg_catalog.quote_ident(v_parent.schema_part) || '.'
                 || pg_catalog.quote_ident(v_parent.name_part);
    v_qpart := pg_catalog.quote_ident(v_part.schema_part) || '.'
               || pg_catalog.quote_ident(v_part.name_part);

    -- one creator at a time
    lock table londiste.table_info in share update exclusive mode;
    v_oid := v_qparent::regclass::oid;
    perform 1 from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = v_part.schema_part and c.relname = v_part.name_part;
    if found then
        return 0;
    end if;

    execute pg_catalog.format('create table %s (like %s including all) inherits (%s)',
                              v_qpart, v_qparent, v_qparent);
    select c.relowner::regrole::name into v_owner from pg_catalog.pg_class c where c.oid = v_oid;
    if v_owner <> current_user then
        execute pg_catalog.format('alter table %s owner to %I', v_qpart, v_owner);
    end if;

    if i_part_field <> '' then
        v_start := pg_catalog.date_trunc(i_part_period, i_part_time);
        execute pg_catalog.format('alter table %s add check (%I >= %L and %I < %L)',
            v_qpart,
            i_part_field, pg_catalog.to_char(v_start, 'YYYY-MM-DD HH24:MI:SS'),
            i_part_field, pg_catalog.to_char(v_start + ('1 ' || i_part_period)::interval,
                                             'YYYY-MM-DD HH24:MI:SS'));
    end if;

    -- the parent's grants
    for v_grant in
        select p.grantee, p.privilege_type, p.is_grantable
          from information_schema.table_privileges p
         where p.table_schema = v_parent.schema_part and p.table_name = v_parent.name_part
    loop
        execute pg_catalog.format('grant %s on %s to %s%s', v_grant.privilege_type, v_qpart,
            case when v_grant.grantee = 'PUBLIC' then 'public'
                 else pg_catalog.quote_ident(v_grant.grantee) end,
            case when v_grant.is_grantable = 'YES' then ' with grant option' else '' end);
    end loop;

    -- the parent's triggers, in the same state
    for v_trg in
        select t.tgname, t.tgenabled, pg_catalog.pg_get_triggerdef(t.oid) as def
          from pg_catalog.pg_trigger t
         where t.tgrelid = v_oid and not t.tgisinternal
    loop
        v_sql := pg_catalog.regexp_replace(v_trg.def, E' ON ([[:alnum:]_.]+|"([^"]|"")+")+ ',
                                           ' ON ' || v_qpart || ' ');
        if v_sql = v_trg.def then
            raise exception 'Failed to reconstruct the trigger: %', v_sql;
        end if;
        execute v_sql;
        v_state := case v_trg.tgenabled
                       when 'O' then null
                       when 'D' then ' DISABLE TRIGGER '
                       when 'A' then ' ENABLE ALWAYS TRIGGER '
                       when 'R' then ' ENABLE REPLICA TRIGGER '
                   end;
        if v_trg.tgenabled not in ('O', 'D', 'A', 'R') then
            raise exception 'Unknown trigger mode: %', v_trg.tgenabled;
        end if;
        if v_state is not null then
            execute 'ALTER TABLE ' || v_qpart || v_state || pg_catalog.quote_ident(v_trg.tgname);
        end if;
    end loop;

    -- the parent's rules, in the same state
    for v_rule in
        select r.rulename, r.ev_enabled, pg_catalog.pg_get_ruledef(r.oid) as def
          from pg_catalog.pg_rewrite r
         where r.ev_class = v_oid and r.rulename <> '_RETURN'
    loop
        v_head := 'CREATE RULE ' || pg_catalog.quote_ident(v_rule.rulename) || ' AS';
        if pg_catalog.substr(v_rule.def, 1, pg_catalog.length(v_head)) <> v_head then
            raise exception 'failed to match rule name';
        end if;
        v_old := substring(pg_catalog.substr(v_rule.def, pg_catalog.length(v_head))
                                      from ' TO (([[:alnum:]_.]+|"([^"]+|"")+")+)[[:space:]]');
        if coalesce(v_old, '') = '' then
            raise exception 'failed to find original table name';
        end if;
        execute pg_catalog.replace(v_rule.def, v_old, v_qpart);
        if v_rule.ev_enabled not in ('O', 'D', 'A', 'R') then
            raise exception 'unknown rule option: %', v_rule.ev_enabled;
        end if;
        v_state := case v_rule.ev_enabled
                       when 'R' then ' ENABLE REPLICA RULE '
                       when 'A' then ' ENABLE ALWAYS RULE '
                       when 'D' then ' DISABLE RULE '
                   end;
        if v_state is not null then
            execute 'ALTER TABLE ' || v_qpart || v_state || pg_catalog.quote_ident(v_rule.rulename);
        end if;
    end loop;
    return 1;
end;
$$ language plpgsql;
