create or replace function pgq._insert_memo(
    i_queue_id integer, out setting text, out pos integer)
as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_memo(1)
--
--      Internal: where the insert code remembers a queue's state code
--      (pgq._insert_state) for the rest of a transaction: field pos of
--      the comma-separated list in the transaction-local setting named
--      here.  One setting holds 32 queues by id, so a session that
--      writes to 1,000 queues makes 32 settings, not 1,000: PostgreSQL
--      up to 15 sorts its whole list of settings each time a new one
--      appears, which made the first touch of many queues cost the
--      square of their number.
--      Queue ids never change, so neither does a queue's place (the
--      insert code of a bucket may be regenerated mid-transaction).
--      A place holds the state code as digits, or nothing when not read
--      yet.  Fields, not fixed-width places: split_part finds field 32 by
--      searching bytes for commas, where substr of a multibyte database
--      walked every character before the place (3 us per insert at place
--      32, 0.6 us with split_part).  PL/pgSQL, not SQL: an SQL function
--      returning a record is not inlined, and its text was parsed again
--      at the first insert of every transaction (pgq._insert_state).
--
-- Parameters:
--      i_queue_id - queue id
--
-- Returns:
--      setting - the setting's name (pgq.m<id / 32>)
--      pos     - the number of the queue's field in it (1 to 32)
--
-- Tables directly manipulated:
--      None
-- ----------------------------------------------------------------------
begin
    setting := 'pgq.m' operator(pg_catalog.||) (i_queue_id operator(pg_catalog./) 32)::pg_catalog.text;
    pos := (i_queue_id operator(pg_catalog.%) 32) operator(pg_catalog.+) 1;
end;
$$ language plpgsql immutable strict;
