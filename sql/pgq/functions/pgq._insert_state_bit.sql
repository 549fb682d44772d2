create or replace function pgq._insert_state_bit(i_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_state_bit(1)
--
--      Internal: the named parts of the insert state code that
--      pgq._insert_state() packs into one integer per queue: the
--      current table number in the low bits and one bit per insert
--      setting above them.
--
--          table_bits      bits that hold the current table number;
--                          a code above this has some flag set
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
--      The bit (or, for table_bits, the mask); raises for other names.
--
-- Tables directly manipulated:
--      None
-- ----------------------------------------------------------------------
begin
    case i_name
        when 'table_bits' then return (1 << 20) - 1;
        when 'disable_insert' then return 1 << 20;
        when 'notify' then return 1 << 21;
        when 'per_tx_limit' then return 1 << 22;
        else raise exception 'pgq._insert_state_bit: unknown name %', i_name;
    end case;
end;
$$ language plpgsql immutable strict set search_path = pg_catalog, pg_temp;
