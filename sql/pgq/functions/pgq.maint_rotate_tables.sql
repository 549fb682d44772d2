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
--      than every rotation that has committed.  Must run in its own
--      transaction, after step 1 committed.
--
-- Returns:
--      0
-- ----------------------------------------------------------------------
begin
    update pgq.queue
       set queue_switch_step2 = txid_current()
     where queue_switch_step2 is null;
    return 0;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
