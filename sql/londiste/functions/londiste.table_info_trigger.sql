create or replace function londiste.table_info_trigger()
returns trigger as $$
-- ----------------------------------------------------------------------
-- Function: londiste.table_info_trigger(0)
--
--      BEFORE DELETE on londiste.table_info: a table leaving the queue
--      loses its capture triggers (also when its node is dropped).
--
-- Parameters:
--      none (trigger)
--
-- Returns:
--      OLD
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    if TG_OP = 'DELETE' then
        perform londiste.drop_table_triggers(OLD.queue_name, OLD.table_name);
    end if;
    return OLD;
end;
$$ language plpgsql;
