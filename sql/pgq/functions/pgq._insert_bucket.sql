create or replace function pgq._insert_bucket(i_queue_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_bucket(1)
--
--      Internal: which of the 64 buckets of the insert code holds a
--      queue: a hash of its name.  The insert functions reach a queue's
--      code through its bucket (pgq._insert_dispatch_sql), and a queue
--      that comes, goes or changes its name regenerates only its
--      bucket's code, so neither a create nor an insert costs more with
--      more queues (see pgq._refresh_insert_code).
--
--      An immutable SQL function without settings: inlined into the
--      calling expression, as fast as writing the hash there.  Its text
--      qualifies everything, as it runs on its caller's search_path.
--
-- Parameters:
--      i_queue_name - queue name
--
-- Returns:
--      0 .. 63; NULL for NULL.
--
-- Tables directly manipulated:
--      None
-- ----------------------------------------------------------------------
    select pg_catalog.hashtext(i_queue_name) operator(pg_catalog.&) 63;
$$ language sql immutable;
