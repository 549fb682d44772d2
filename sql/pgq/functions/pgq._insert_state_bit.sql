create or replace function pgq._insert_state_bit(i_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_state_bit(1)
--
--      Internal: the bits of the insert settings' flags, which the
--      generated insert code passes to pgq._insert_checks (see
--      pgq._insert_flags).  They sit above bit 20, where they were when
--      the flags shared an integer with the current table number.
--
--          disable_insert  queue_disable_insert is on
--          notify          queue_notify is on
--          per_tx_limit    queue_per_tx_limit is set
--
--      Immutable, so a call with a literal name is folded into a
--      constant when the calling statement is planned: the generated
--      insert code tests bits by name at the speed of a literal.
--
-- Parameters:
--      i_name - one of the names above
--
-- Returns:
--      The bit; raises for other names.
--
-- Tables directly manipulated:
--      None
-- ----------------------------------------------------------------------
begin
    case i_name
        when 'disable_insert' then return 1 << 20;
        when 'notify' then return 1 << 21;
        when 'per_tx_limit' then return 1 << 22;
        else raise exception 'pgq._insert_state_bit: unknown name %', i_name;
    end case;
end;
$$ language plpgsql immutable strict set search_path = pg_catalog, pg_temp;
