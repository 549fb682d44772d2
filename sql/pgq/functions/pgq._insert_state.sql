drop function if exists pgq._insert_state(integer);
create or replace function pgq._insert_state(
    i_queue_id integer, i_setting text, i_pos integer)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_state(3)
--
--      Internal: what the insert code needs to know about a queue, read
--      once per transaction and remembered in a transaction-local
--      setting (its place: pgq._insert_memo): the current table number.
--      Only that: the memo is a custom setting callers can write, so the
--      insert settings' flags live in the generated code instead
--      (pgq._insert_flags), where a writer cannot clear them.  A forged
--      table number only misplaces the forger's own events (or fails on
--      a table that does not exist).
--
--      Reading it once per transaction is what a REPEATABLE READ producer
--      of the original does: a transaction that inserted before a
--      rotation goes on filling the previous table, and rotation keeps
--      that table (step 2 waits for a later transaction id), so no event
--      is lost.  Changes of the queue row reset the memo of the changing
--      session (pgq._queue_changed).
--
--      Qualified throughout instead of SET search_path: it runs at the
--      first insert of every transaction, and a SET is a settings change
--      (and a search_path parse) per call, a sixth of what a one-event
--      transaction cost.  The memo's place comes from the caller (the
--      generated code has it as constants): a call of pgq._insert_memo,
--      a function returning a record, built that record's type at every
--      transaction's first insert (4 us of a one-event transaction).
--
-- Parameters:
--      i_queue_id - queue id
--      i_setting  - its memo setting (pgq._insert_memo(i_queue_id))
--      i_pos      - its field in the setting (pgq._insert_memo(i_queue_id))
--
-- Returns:
--      Current table number; raises if the queue is gone.
--
-- Tables directly manipulated:
--      select - pgq.queue
-- ----------------------------------------------------------------------
declare
    c       integer;
    v       pg_catalog.text;
    places  pg_catalog.text[];
begin
    select q.queue_cur_table
      into c
      from pgq.queue q
     where q.queue_id operator(pg_catalog.=) i_queue_id;
    if not found then
        raise exception 'No such event queue: id %', i_queue_id;
    end if;
    v := pg_catalog.current_setting(i_setting, true);
    if v is null or v operator(pg_catalog.=) '' then
        -- the first queue of its setting in this transaction (most transactions): no
        -- array to split and join (5-10 us of a one-event transaction's 35-45 us)
        v := pg_catalog.repeat(',', i_pos operator(pg_catalog.-) 1)
            operator(pg_catalog.||) c::pg_catalog.text;
    else
        places := pg_catalog.string_to_array(v, ',');
        -- places[pos] past the end would pad with NULLs, which array_to_string drops:
        -- empty fields up to pos first
        places := places operator(pg_catalog.||) pg_catalog.array_fill(''::pg_catalog.text,
            array[greatest(i_pos operator(pg_catalog.-) pg_catalog.cardinality(places), 0)]);
        places[i_pos] := c::pg_catalog.text;
        v := pg_catalog.array_to_string(places, ',');
    end if;
    perform pg_catalog.set_config(i_setting, v, true);
    return c;
end;
$$ language plpgsql;
