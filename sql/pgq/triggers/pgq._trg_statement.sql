create or replace function pgq._trg_statement(
    i_kind text, i_op text, i_level text, i_when text, i_nargs integer, i_argv text[],
    i_schema text, i_table text, i_relid oid)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_statement(9)
--
--      Internal: the capture triggers fired FOR EACH STATEMENT, or without
--      a queue name.  TRUNCATE (statement level) gives an event of type R
--      (jsontriga: op TRUNCATE) with empty data; misdeclared triggers
--      raise the original's errors.
--
-- Parameters:
--      i_kind - 'logutriga', 'sqltriga' or 'jsontriga'
--      i_op, i_level, i_when, i_nargs, i_argv - TG_OP, TG_LEVEL, TG_WHEN,
--          TG_NARGS, TG_ARGV
--      i_schema, i_table, i_relid - TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_RELID
-- ----------------------------------------------------------------------
declare
    opt     record;
    ev_type text;
    pkeys   text;
    ev_id   bigint;
begin
    if pg_catalog.current_setting('session_replication_role') = 'local' then
        return;
    end if;
    if i_op = 'TRUNCATE' then
        if i_level <> 'STATEMENT' then
            raise exception 'pgq tRuncate trigger must be fired FOR EACH STATEMENT';
        end if;
    elsif i_level <> 'ROW' then
        raise exception 'pgq Ins/Upd/Del trigger must be fired FOR EACH ROW';
    end if;
    if i_nargs < 1 then
        raise exception 'pgq trigger must have destination queue as argument';
    end if;
    if i_op <> 'TRUNCATE' then
        raise exception 'pgq._trg_statement: unexpected %', i_op;
    end if;

    opt := pgq._trg_options(case when i_nargs > 1 then i_argv[1:i_nargs - 1] end, true);
    if opt.skip and i_when = 'AFTER' then
        raise exception 'SKIP does not work in AFTER trigger.';
    end if;
    if opt.deny then
        raise exception 'Table ''%.%'' to queue ''%'': change not allowed (%)',
            i_schema, i_table, i_argv[0], i_op;
    end if;

    if i_kind = 'jsontriga' then
        pkeys := (pgq._trg_pkeys(i_relid, null)).pkey_json;
        ev_type := '{"op":"TRUNCATE","table":[' || pg_catalog.to_json(i_schema)::text || ','
            || pg_catalog.to_json(i_table)::text || '],"pkey":[' || coalesce(pkeys, '') || ']}';
        ev_id := pgq.insert_event(i_argv[0], ev_type, '{}', i_schema || '.' || i_table,
                                  null, null, null);
    else
        ev_id := pgq.insert_event(i_argv[0], 'R', '', i_schema || '.' || i_table,
                                  null, null, null);
    end if;
end;
$$ language plpgsql;
