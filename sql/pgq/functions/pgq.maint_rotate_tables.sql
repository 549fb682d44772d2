create or replace function pgq.maint_rotate_tables_step1(i_queue_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.maint_rotate_tables_step1(1)
--
--      Rotate a queue's data tables: truncate the next table and make it
--      the current one.
--
--      Skipped unless the rotation period has passed, the previous
--      rotation has finished (step 2) and the slowest consumer has moved
--      past it, so no unread event is ever truncated.  Also skipped when
--      someone still holds a lock on the table to be truncated.  Ticks
--      from before the previous rotation are deleted.
--
-- Parameters:
--      i_queue_name - name of the queue
--
-- Returns:
--      0 (pgqd does not need to call it again).
--
-- Tables directly manipulated:
--      update   - pgq.queue
--      truncate - pgq.event_N_x
--      delete   - pgq.tick
-- ----------------------------------------------------------------------
declare
    badcnt          integer;
    cf              record;
    nr              integer;
    tbl             text;
    lowest_tick_id  int8;
    lowest_xmin     int8;
begin
    -- check if needed and load record
    select * from pgq.queue into cf
        where queue_name = i_queue_name
        for update;
    if not found then
        raise exception 'No such event queue: %', i_queue_name;
    end if;
    if cf.queue_rotation_period is null
       or cf.queue_switch_step2 is null
       or cf.queue_switch_time + cf.queue_rotation_period >= now()
    then
        return 0;
    end if;

    -- check if any consumer is on previous table
    select coalesce(min(sub_last_tick), 0) into lowest_tick_id
      from pgq.subscription
     where sub_queue = cf.queue_id;
    if lowest_tick_id > 0 then
        select txid_snapshot_xmin(tick_snapshot) into lowest_xmin
            from pgq.tick
            where tick_queue = cf.queue_id
              and tick_id = lowest_tick_id;
        if lowest_xmin <= cf.queue_switch_step2 then
            return 0; -- skip rotation then
        end if;
    end if;

    -- nobody on previous table, we can rotate

    -- calc next table number and name
    nr := cf.queue_cur_table + 1;
    if nr = cf.queue_ntables then
        nr := 0;
    end if;
    tbl := cf.queue_data_pfx || '_' || nr::text;

    -- there may be long lock on the table from pg_dump,
    -- detect it and skip rotate then
    begin
        execute 'lock table ' || pgq.quote_fqname(tbl) || ' nowait';
        execute 'truncate ' || pgq.quote_fqname(tbl);
    exception
        when lock_not_available then
            -- cannot truncate, skipping rotate
            return 0;
    end;

    -- remember the moment
    update pgq.queue
        set queue_cur_table = nr,
            queue_switch_time = current_timestamp,
            queue_switch_step1 = txid_current(),
            queue_switch_step2 = NULL
        where queue_id = cf.queue_id;

    -- Clean ticks by using step2 txid from previous rotation.
    -- That should keep all ticks for all batches that are completely
    -- in old table.  This keeps them for longer than needed, but:
    -- 1. we want the pgq.tick table to be big, to avoid Merge Join
    --    with big event table.
    -- 2. that way we can be sure that all consumer ticks will stay.
    delete from pgq.tick
     where tick_queue = cf.queue_id
       and txid_snapshot_xmin(tick_snapshot) < cf.queue_switch_step2;

    return 0;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;

create or replace function pgq.maint_rotate_tables_step2()
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.maint_rotate_tables_step2(0)
--
--      Finish rotations: record a transaction id that is certainly later
--      than every rotation that has committed and than every event
--      written to the tables they left.  Must run in its own transaction,
--      after step 1 committed; rotations of the calling transaction are
--      left for a later call.
--
--      Beyond the original: the insert code holds each queue's current
--      table as a constant, and step 1 regenerates it.  A transaction
--      that was already running then may go on running the code it saw
--      and fill the previous table, with a transaction id it gets only
--      at its first write.  Readers skip that table for batches that
--      begin after step 2, so step 2 waits until every transaction of
--      this database that was running when it first looked at the
--      rotation has ended: that first call records their virtual
--      transaction ids (pg_locks) in queue_switch_wait, and the first
--      call that finds none of them left finishes the rotation, the
--      first call itself when there are none.  The original re-reads
--      the queue row at every insert, but a REPEATABLE READ writer reads
--      it in its snapshot and has the same hole, which this closes.
--
-- Returns:
--      0
--
-- Tables directly manipulated:
--      update - pgq.queue
-- ----------------------------------------------------------------------
declare
    running text[];
begin
    if not exists (select 1 from pgq.queue where queue_switch_step2 is null) then
        return 0;  -- no rotation to finish: no need to read pg_locks
    end if;
    -- transactions that could run insert code: this database's, with a user
    -- (so no autovacuum workers), this one aside
    running := array(
        select l.virtualxid
          from pg_locks l
          join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'virtualxid'
           and l.mode = 'ExclusiveLock'
           and l.granted
           and l.pid <> pg_backend_pid()
           and a.datname = current_database()
           and a.usesysid is not null);
    update pgq.queue q
       set queue_switch_step2 = case when w.still = '{}' then txid_current() end,
           queue_switch_wait = nullif(w.still, '{}')
      from (select x.queue_id,
                   case when x.queue_switch_wait is null then running
                        else array(select unnest(x.queue_switch_wait)
                                   intersect
                                   select unnest(running))
                   end as still
              from pgq.queue x
             where x.queue_switch_step2 is null
               and x.queue_switch_step1 is distinct from txid_current_if_assigned()) w
     where q.queue_id = w.queue_id;
    return 0;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
