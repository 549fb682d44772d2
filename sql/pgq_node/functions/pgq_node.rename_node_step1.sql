create or replace function pgq_node.rename_node_step1(
    in i_queue_name text,
    in i_node_name_old text,
    in i_node_name_new text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.rename_node_step1(3)
--
--      Rename a node, step 1 of 2: make the new name known beside the
--      old one.  Not in the shipped Skytools SQL (its admin tool calls
--      it); our protocol, run by the admin code:
--
--        1. rename_node_step1(q, old, new) on every member (root first)
--        2. rename_node_step2(q, old, new) on every member
--
--      Step 1 copies the old name's location (connect string and dead
--      flag) to the new name and, where the node subscribes to this
--      one, registers it under the new name too: a subscriber row and
--      a '.<new>.watermark' consumer at the old one's position.  So
--      between the steps both names work everywhere: a worker that has
--      been renamed can report its watermark under the new name while
--      its provider still knows the old one.  Step 1 on the root also
--      sends the new location down the tree ('pgq.location-info').
--      Both steps are idempotent; a rename can be resumed by running
--      the steps again.
--
-- Parameters:
--      i_queue_name      - cascaded queue name
--      i_node_name_old   - current node name
--      i_node_name_new   - new node name
--
-- Returns:
--      200 - Node <old> known as <new> too
--      201 - already renamed here
--      404 - neither name is a member here
--      405 - the new name belongs to another node
--
-- Tables directly manipulated:
--      insert - pgq_node.node_location
--      insert - pgq_node.subscriber_info
-- ----------------------------------------------------------------------
declare
    v_old record;
    v_new record;
    v_sub record;
    v_wm_new text := '.' || i_node_name_new || '.watermark';
begin
    -- serialize with other node operations on this queue
    perform 1 from pgq_node.node_info where queue_name = i_queue_name for update;

    select l.node_location, l.dead into v_old
      from pgq_node.node_location l
     where l.queue_name = i_queue_name and l.node_name = i_node_name_old;
    select l.node_location, l.dead into v_new
      from pgq_node.node_location l
     where l.queue_name = i_queue_name and l.node_name = i_node_name_new;
    if v_old.node_location is null then
        if v_new.node_location is null then
            ret_code := 404;
            ret_note := 'Node not found: ' || i_queue_name || '/' || i_node_name_old;
        else
            ret_code := 201;
            ret_note := 'Node already renamed: ' || i_node_name_new;
        end if;
        return;
    end if;
    if v_new.node_location is not null and v_new.node_location <> v_old.node_location then
        ret_code := 405;
        ret_note := 'Node name already in use: ' || i_node_name_new;
        return;
    end if;

    perform pgq_node.register_location(i_queue_name, i_node_name_new,
                                       v_old.node_location, v_old.dead);

    select s.worker_name, s.watermark_name into v_sub
      from pgq_node.subscriber_info s
     where s.queue_name = i_queue_name and s.subscriber_node = i_node_name_old;
    if found then
        perform pgq.register_consumer_copy(i_queue_name, v_wm_new, v_sub.watermark_name);
        insert into pgq_node.subscriber_info (queue_name, subscriber_node, worker_name, watermark_name)
        values (i_queue_name, i_node_name_new, v_sub.worker_name, v_wm_new)
        on conflict (queue_name, subscriber_node) do nothing;
    end if;

    ret_code := 200;
    ret_note := 'Node ' || i_node_name_old || ' known as ' || i_node_name_new || ' too';
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
