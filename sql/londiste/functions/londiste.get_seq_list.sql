create or replace function londiste.get_seq_list(
    in i_queue_name text,
    out seq_name text,
    out last_value int8,
    out local boolean)
returns setof record as $$
-- ----------------------------------------------------------------------
-- Function: londiste.get_seq_list(1)
--
--      The sequences of a queue on this node, in the order they were added.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--
-- Returns:
--      seq_name   - sequence name (schema.name)
--      last_value - value last published by the root
--      local      - replicated on this node
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    return query
        select s.seq_name, s.last_value, s.local
          from londiste.seq_info s
         where s.queue_name = i_queue_name
         order by s.nr, s.seq_name;
end;
$$ language plpgsql strict;
