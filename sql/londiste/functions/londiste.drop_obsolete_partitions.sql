create or replace function londiste.drop_obsolete_partitions(
    in i_parent_table text,
    in i_retention_period interval,
    in i_partition_period text)
returns setof text as $$
-- ----------------------------------------------------------------------
-- Function: londiste.drop_obsolete_partitions(3)
--
--      Drop the partitions of a table older than the retention period
--      (see list_obsolete_partitions).
--
-- Parameters:
--      i_parent_table     - parent table
--      i_retention_period - how long partitions are kept
--      i_partition_period - year(ly), month(ly), day/daily, hour(ly)
--
-- Returns:
--      the names of the dropped partitions
--
-- Tables directly manipulated:
--      none (drops tables)
-- ----------------------------------------------------------------------
declare
    v_part text;
begin
    for v_part in
        select p from londiste.list_obsolete_partitions(i_parent_table, i_retention_period,
                                                        i_partition_period) p
    loop
        execute 'drop table ' || v_part;
        return next v_part;
    end loop;
end;
$$ language plpgsql;
