create or replace function pgq_node.node_type(i_queue_name text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq_node.node_type(1)
--
--      The type of this database's node of a cascaded queue.  Not in
--      Skytools: is_root_node() and is_leaf_node() raise an error for a
--      queue without a node, which callers that only want to know have
--      to catch.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--
-- Returns:
--      'root', 'branch' or 'leaf'; NULL if this database is no node of
--      the queue.
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return (select n.node_type from pgq_node.node_info n where n.queue_name = i_queue_name);
end;
$$ language plpgsql stable;
