create or replace function pgq_node.rename_node_step2(
    in i_queue_name text,
    in i_node_name_old text,
    in i_node_name_new text,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.rename_node_step2(3)
--
--      Rename a node, step 2 of 2 (see rename_node_step1 for the
--      protocol): move every reference from the old name to the new one
--      and forget the old name.  Renamed here: this node's own name
--      (node_info), the provider of every local consumer (local_state),
--      the subscription of the renamed node (subscriber_info, and its
--      '.<node>.watermark' consumer, which keeps the lower of the old
--      and new names' positions, so no tick its subtree needs is
--      released), a dead root's '<node>.gravestone' consumer, and the
--      location.  Sends no event: the admin code runs it on every
--      member itself.
--
-- Parameters:
--      i_queue_name      - cascaded queue name
--      i_node_name_old   - old node name
--      i_node_name_new   - new node name
--
-- Returns:
--      200 - Node renamed: <old> -> <new>
--      201 - already renamed here
--      404 - neither name is a member here
--      405 - step 1 was not run here
--
-- Tables directly manipulated:
--      update - pgq_node.node_info
--      update - pgq_node.local_state
--      insert - pgq_node.subscriber_info
--      delete - pgq_node.subscriber_info
--      delete - pgq_node.node_location
-- ----------------------------------------------------------------------
declare
    v_old_known boolean;
    v_new_known boolean;
    v_sub record;
    v_worker text;
    v_wm_old text := '.' || i_node_name_old || '.watermark';
    v_wm_new text := '.' || i_node_name_new || '.watermark';
    v_pos_old bigint;
    v_pos_new bigint;
begin
    perform 1 from pgq_node.node_info where queue_name = i_queue_name for update;

    v_old_known := exists (select 1 from pgq_node.node_location l
                            where l.queue_name = i_queue_name
                              and l.node_name = i_node_name_old);
    v_new_known := exists (select 1 from pgq_node.node_location l
                            where l.queue_name = i_queue_name
                              and l.node_name = i_node_name_new);
    if not v_old_known then
        if v_new_known then
            ret_code := 201;
            ret_note := 'Node already renamed: ' || i_node_name_new;
        else
            ret_code := 404;
            ret_note := 'Node not found: ' || i_queue_name || '/' || i_node_name_old;
        end if;
        return;
    end if;
    if not v_new_known then
        ret_code := 405;
        ret_note := 'Run rename_node_step1 first: ' || i_node_name_new || ' is not known';
        return;
    end if;

    update pgq_node.node_info
       set node_name = i_node_name_new
     where queue_name = i_queue_name
       and node_name = i_node_name_old;
    update pgq_node.local_state
       set provider_node = i_node_name_new,
           uptodate = false
     where queue_name = i_queue_name
       and provider_node = i_node_name_old;

    select s.worker_name into v_sub
      from pgq_node.subscriber_info s
     where s.queue_name = i_queue_name and s.subscriber_node = i_node_name_old;
    if found then
        v_worker := v_sub.worker_name;
        -- the position under the old name may still have moved after step 1
        select c.last_tick into v_pos_old
          from pgq.get_consumer_info(i_queue_name, v_wm_old) c;
        select c.last_tick into v_pos_new
          from pgq.get_consumer_info(i_queue_name, v_wm_new) c;
        delete from pgq_node.subscriber_info
         where queue_name = i_queue_name
           and subscriber_node in (i_node_name_old, i_node_name_new);
        if v_pos_new is not null then
            perform pgq.unregister_consumer(i_queue_name, v_wm_new);
        end if;
        if v_pos_old is not null then
            perform pgq.rename_consumer(i_queue_name, v_wm_old, v_wm_new);
            if v_pos_new < v_pos_old then
                perform pgq.register_consumer_at(i_queue_name, v_wm_new, v_pos_new);
            end if;
        elsif v_pos_new is not null then
            perform pgq.register_consumer_at(i_queue_name, v_wm_new, v_pos_new);
        end if;
        -- a dead root's placeholder subscription follows its name
        if v_worker = i_node_name_old || '.gravestone' then
            perform pgq.rename_consumer(i_queue_name, v_worker, i_node_name_new || '.gravestone');
            v_worker := i_node_name_new || '.gravestone';
        end if;
        insert into pgq_node.subscriber_info (queue_name, subscriber_node, worker_name, watermark_name)
        values (i_queue_name, i_node_name_new, v_worker, v_wm_new);
    end if;

    delete from pgq_node.node_location
     where queue_name = i_queue_name
       and node_name = i_node_name_old;

    ret_code := 200;
    ret_note := 'Node renamed: ' || i_node_name_old || ' -> ' || i_node_name_new;
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
