create or replace function pgq._count_tx_events(
    i_queue_id integer, i_queue_name text, i_limit integer, i_count integer)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._count_tx_events(4)
--
--      Internal: enforce queue_per_tx_limit.  The count is a row of
--      pgq.tx_event_count per transaction and queue, which only the
--      schema owner can write (a transaction-local setting, which this
--      used before, can be reset by any writer to skip the limit).  It
--      shrinks with a rolled-back savepoint, like the events; rows of
--      finished transactions are removed by later first counts, a few at
--      a time and never waiting for a lock.
--
-- Parameters:
--      i_queue_id   - queue id
--      i_queue_name - queue name, for the message
--      i_limit      - the queue's per-transaction limit
--      i_count      - events about to be inserted
--
-- Tables directly manipulated:
--      insert/update/delete - pgq.tx_event_count
-- ----------------------------------------------------------------------
declare
    v_txid  bigint := pg_catalog.txid_current();
    cnt     bigint;
begin
    update pgq.tx_event_count c
       set tx_events = c.tx_events operator(pg_catalog.+) i_count
     where c.tx_txid operator(pg_catalog.=) v_txid
       and c.tx_queue_id operator(pg_catalog.=) i_queue_id
    returning c.tx_events into cnt;
    if not found then
        delete from pgq.tx_event_count c
         where c.ctid operator(pg_catalog.=) any (array(
               select o.ctid from pgq.tx_event_count o
                where o.tx_txid operator(pg_catalog.<)
                      pg_catalog.txid_snapshot_xmin(pg_catalog.txid_current_snapshot())
                limit 64
                  for update skip locked));
        insert into pgq.tx_event_count (tx_txid, tx_queue_id, tx_events)
        values (v_txid, i_queue_id, i_count);
        cnt := i_count;
    end if;
    if cnt operator(pg_catalog.>) i_limit then
        raise exception 'Queue ''%'' allows max % events from one TX', i_queue_name, i_limit;
    end if;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
