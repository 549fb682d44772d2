create or replace function pgq.logutriga()
returns trigger as $$
-- ----------------------------------------------------------------------
-- Function: pgq.logutriga(0)
--
--      Capture trigger: log each row change to a queue, with
--      the row as url-encoded key=value pairs (ev_type I:<keys>, U:<keys>, D:<keys>).
--      TRUNCATE (FOR EACH STATEMENT) gives an event of type R.
--
--          create trigger <name> after insert or update or delete on <table>
--          for each row execute procedure pgq.logutriga('<queue>' [, option ...]);
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
--      Kept to three cheap statements per row: pgq._trg_event() resolves,
--      when this trigger's plan is made, to the overload generated for the
--      table's row type, which the planner inlines (see pgq._trg_refresh).
-- ----------------------------------------------------------------------
declare
    ev_id   bigint;
begin
    if TG_LEVEL = 'ROW' and TG_NARGS > 0 then
        ev_id := pgq._trg_event('logutriga', TG_NARGS, TG_ARGV, TG_OP, TG_WHEN, NEW, OLD,
                                TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_RELID);
        if TG_WHEN = 'AFTER' or pgq._trg_skip(TG_NARGS, TG_ARGV) then
            return null;
        end if;
    else
        perform pgq._trg_statement('logutriga', TG_OP, TG_LEVEL, TG_WHEN, TG_NARGS, TG_ARGV,
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
$$ language plpgsql;
