create or replace function londiste.is_obsolete_partition(
    in i_partition_table text,
    in i_retention_period interval,
    in i_partition_period text)
returns boolean as $$
-- ----------------------------------------------------------------------
-- Function: londiste.is_obsolete_partition(3)
--
--      Whether a partition named <parent>_YYYY[_MM[_DD[_HH]]] is older
--      than the retention period.
--
-- Parameters:
--      i_partition_table  - partition name
--      i_retention_period - how long partitions are kept
--      i_partition_period - year(ly), month(ly), day/daily, hour(ly)
--
-- Returns:
--      true / false; NULL when the name has no date suffix of that period
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
declare
    v_fmt  record;
    v_base text;
begin
    v_fmt := londiste._partition_suffix(i_partition_period);
    v_base := substring(i_partition_table from '^(.+)' || v_fmt.pattern || '$');
    if v_base is null then
        return null;
    end if;
    return i_partition_table
           < v_base || pg_catalog.to_char(pg_catalog.now() - i_retention_period, v_fmt.format);
end;
$$ language plpgsql;
