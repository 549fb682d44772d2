create or replace function pgq_node.get_queue_locations(
    in i_queue_name text,
    out node_name text,
    out node_location text,
    out dead boolean)
returns setof record as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.get_queue_locations(1)
--
--      The members of a cascaded queue known to this node.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--
-- Returns:
--      node_name      - node name
--      node_location  - public libpq connect string
--      dead           - whether the node is tagged dead
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return query
        select l.node_name, l.node_location, l.dead
          from pgq_node.node_location l
         where l.queue_name = i_queue_name
         order by l.node_name;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
