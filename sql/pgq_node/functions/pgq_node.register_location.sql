create or replace function pgq_node.register_location(
    in i_queue_name text,
    in i_node_name text,
    in i_node_location text,
    in i_dead boolean,
    out ret_code int4,
    out ret_note text)
returns record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.register_location(4)
--
--      Add a member of a cascaded queue or change what is known of it:
--      its public connect string or its dead flag.  On the root the
--      change is also sent down the tree as a 'pgq.location-info' event,
--      whose receivers call this function, so running it on the root is
--      enough to change a node's connect string everywhere.
--
--      Tag dead:   register_location(q, node, NULL, true)
--      Tag alive:  register_location(q, node, NULL, false)
--
-- Parameters:
--      i_queue_name     - cascaded queue name
--      i_node_name      - node name
--      i_node_location  - libpq connect string; NULL keeps the known one
--                         (and adds nothing for an unknown node)
--      i_dead           - whether the node is down; NULL keeps the flag
--
-- Returns:
--      200 - Location registered
--
-- Tables directly manipulated:
--      insert - pgq_node.node_location
--      update - pgq_node.node_location
-- ----------------------------------------------------------------------
declare
    v_is_root boolean;
begin
    -- the lock orders this against create_node/drop_node on the same queue
    select node_type = 'root' into v_is_root
      from pgq_node.node_info
     where queue_name = i_queue_name
       for update;

    update pgq_node.node_location
       set node_location = coalesce(i_node_location, node_location),
           dead = coalesce(i_dead, dead)
     where queue_name = i_queue_name
       and node_name = i_node_name;
    if not found and i_node_location is not null then
        insert into pgq_node.node_location (queue_name, node_name, node_location, dead)
        values (i_queue_name, i_node_name, i_node_location, coalesce(i_dead, false));
    end if;

    if v_is_root then
        perform pgq.insert_event(i_queue_name, 'pgq.location-info', i_node_name,
                                 i_queue_name, i_node_location, i_dead::text, null);
    end if;

    ret_code := 200;
    ret_note := 'Location registered';
    return;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
