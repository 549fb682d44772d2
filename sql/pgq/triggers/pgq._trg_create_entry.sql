create or replace function pgq._trg_create_entry(i_kind text)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_create_entry(1)
--
--      Internal, run by the installer: create one of the capture trigger
--      functions pgq.logutriga(), pgq.sqltriga() and pgq.jsontriga().
--      The three differ only in the event format, which is their name,
--      so they come from the one body below with the name filled in:
--      each stays a trigger function of its own, with no call in between
--      (a shared PL/pgSQL function taking NEW and OLD would cost a call
--      and two row copies per row).
--
-- Parameters:
--      i_kind - 'logutriga', 'sqltriga' or 'jsontriga'
--
-- Returns:
--      Nothing.
--
-- Tables directly manipulated:
--      None
-- ----------------------------------------------------------------------
declare
    fmt     text;
begin
    fmt := case i_kind
        when 'logutriga' then
            E'the row as url-encoded key=value pairs (ev_type I:<keys>, U:<keys>,\n'
            '--      D:<keys>).  TRUNCATE (FOR EACH STATEMENT) gives an event of type R.'
        when 'sqltriga' then
            E'the change as partial SQL (ev_type I, U, D).  TRUNCATE (FOR EACH\n'
            '--      STATEMENT) gives an event of type R.'
        when 'jsontriga' then
            E'the row as a JSON object (ev_type a JSON object with op, table and\n'
            '--      pkey).  TRUNCATE (FOR EACH STATEMENT) gives an event with op TRUNCATE.'
        end;
    if fmt is null then
        raise exception 'pgq._trg_create_entry: no capture trigger %', i_kind;
    end if;
    execute pg_catalog.format($fn$create or replace function pgq.%1$I()
returns trigger as $body$
-- ----------------------------------------------------------------------
-- Function: pgq.%1$s(0)
--
--      Capture trigger: log each row change to a queue, with
--      %2$s
--
--          create trigger <name> after insert or update or delete on <table>
--          for each row execute procedure pgq.%1$s('<queue>' [, option ...]);
--
-- Parameters:
--      TG_ARGV[0] - queue name
--      options    - SKIP, ignore=col,..., pkey=col,..., backup, deny,
--                   when=EXPR, ev_type=EXPR, ev_data=EXPR, ev_extra1..4=EXPR
--
-- Returns:
--      NULL after the event; a BEFORE trigger returns the row, or NULL
--      with SKIP so the row change is not done.
--
-- Events:
--      ev_extra1 is schema.table; ev_extra2 the old row with backup.
--
-- Tables directly manipulated:
--      insert - the queue's current event table (pgq.insert_event(7))
--
--      Created by pgq._trg_create_entry().  Kept to three cheap statements
--      per row: pgq._trg_event() resolves, when this trigger's plan is
--      made, to the overload generated for the table's row type, which
--      the planner inlines (see pgq._trg_refresh).
-- ----------------------------------------------------------------------
declare
    ev_id   bigint;
begin
    if TG_LEVEL = 'ROW' and TG_NARGS > 0 then
        ev_id := pgq._trg_event(%3$L, TG_NARGS, TG_ARGV, TG_OP, TG_WHEN, NEW, OLD,
                                TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_RELID);
        if TG_WHEN = 'AFTER' or pgq._trg_skip(TG_NARGS, TG_ARGV) then
            return null;
        end if;
    else
        perform pgq._trg_statement(%3$L, TG_OP, TG_LEVEL, TG_WHEN, TG_NARGS, TG_ARGV,
                                   TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_RELID);
        if TG_LEVEL = 'STATEMENT' or TG_WHEN = 'AFTER' then
            return null;
        end if;
    end if;
    if TG_OP = 'DELETE' then
        return OLD;
    end if;
    return NEW;
end;
$body$ language plpgsql$fn$, i_kind, fmt, i_kind);
end;
$$ language plpgsql;
