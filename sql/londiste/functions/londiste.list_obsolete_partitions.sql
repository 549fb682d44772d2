create or replace function londiste.list_obsolete_partitions(
    in i_parent_table text,
    in i_retention_period interval,
    in i_partition_period text)
returns setof text as $$
-- ----------------------------------------------------------------------
-- Function: londiste.list_obsolete_partitions(3)
--
--      The partitions of a table (tables of its schema named
--      <parent>_<date suffix of the period>) older than the retention
--      period.
--
-- Parameters:
--      i_parent_table     - parent table (schema.name, public by default)
--      i_retention_period - how long partitions are kept
--      i_partition_period - year(ly), month(ly), day/daily, hour(ly)
--
-- Returns:
--      quoted names of the partitions, ordered
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
declare
    v_fmt    record := londiste._partition_suffix(i_partition_period);
    v_schema text := pg_catalog.split_part(i_parent_table, '.', 1);
    v_table  text := pg_catalog.split_part(i_parent_table, '.', 2);
begin
    if v_table = '' then
        v_table := v_schema;
        v_schema := 'public';
    end if;
    return query
        select pg_catalog.quote_ident(t.schemaname::text) || '.'
               || pg_catalog.quote_ident(t.tablename::text)
          from pg_catalog.pg_tables t
         where t.schemaname = v_schema
           and t.tablename ~ ('^' || v_table || v_fmt.pattern || '$')
           and t.tablename < v_table || pg_catalog.to_char(pg_catalog.now() - i_retention_period,
                                                           v_fmt.format)
         order by 1;
end;
$$ language plpgsql;
