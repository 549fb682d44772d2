create or replace function pgq_node.demote_root(
    in i_queue_name text,
    in i_step int4,
    in i_new_provider text,
    out ret_code int4,
    out ret_note text,
    out last_tick int8)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.demote_root(3)
--
--      Turn the root into a branch of a new root, in three steps, each
--      in its own transaction:
--      1  stop producers: inserts disabled, external ticker
--      2  wait for the producers' open transactions, put a last tick on
--         the queue and return it; the new root must reach this tick
--         before step 3
--      3  become a branch whose worker reads from the new provider,
--         starting after the last tick
--
-- Parameters:
--      i_queue_name    - cascaded queue name
--      i_step          - step number, 1 to 3
--      i_new_provider  - step 3: the new provider node
--
-- Returns:
--      200 - Step N: ...; last_tick set by steps 2 and 3
--      301 - Node not root
--      404 - Node not initialized for queue
--
-- Tables directly manipulated:
--      update - pgq.queue
--      update - pgq_node.node_info
--      update - pgq_node.local_state
-- ----------------------------------------------------------------------
declare
    v_type text;
    v_worker text;
    v_event_table text;
    v_event_id bigint;
begin
    select n.node_type, n.worker_name into v_type, v_worker
      from pgq_node.node_info n
     where n.queue_name = i_queue_name
       for update;
    if not found then
        ret_code := 404;
        ret_note := 'Node not initialized for queue: ' || i_queue_name;
        return;
    end if;
    if v_type <> 'root' then
        ret_code := 301;
        ret_note := 'Node not root';
        return;
    end if;

    if i_step > 1 then
        select q.queue_data_pfx into v_event_table
          from pgq.queue q
         where q.queue_name = i_queue_name
           and q.queue_disable_insert
           and q.queue_external_ticker;
        if not found then
            raise exception 'steps in wrong order';
        end if;
    end if;

    if i_step = 1 then
        update pgq.queue
           set queue_disable_insert = true,
               queue_external_ticker = true
         where queue_name = i_queue_name;
        if not found then
            ret_code := 404;
            ret_note := 'Huh, no queue?: ' || i_queue_name;
            return;
        end if;
        ret_code := 200;
        ret_note := 'Step 1: Writing disabled for: ' || i_queue_name;
    elsif i_step = 2 then
        -- inserts are disabled for new transactions; the lock waits for
        -- the ones that inserted before, so the last tick covers them
        set local session_replication_role = 'replica';
        execute 'lock table ' || v_event_table || ' in exclusive mode';
        select pg_catalog.nextval(q.queue_tick_seq), pg_catalog.nextval(q.queue_event_seq)
          into last_tick, v_event_id
          from pgq.queue q
         where q.queue_name = i_queue_name;
        perform pgq.ticker(i_queue_name, last_tick, now(), v_event_id);
        ret_code := 200;
        ret_note := 'Step 2: Inserted last tick: ' || i_queue_name;
    elsif i_step = 3 then
        select max(t.tick_id) into last_tick
          from pgq.tick t
          join pgq.queue q on q.queue_id = t.tick_queue
         where q.queue_name = i_queue_name;
        update pgq_node.node_info
           set node_type = 'branch'
         where queue_name = i_queue_name;
        update pgq_node.local_state
           set provider_node = i_new_provider,
               last_tick_id = last_tick,
               uptodate = false
         where queue_name = i_queue_name
           and consumer_name = v_worker;
        ret_code := 200;
        ret_note := 'Step 3: Demoted root to branch: ' || i_queue_name;
    else
        raise exception 'incorrect step number';
    end if;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
