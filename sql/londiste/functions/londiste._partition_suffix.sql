create or replace function londiste._partition_suffix(
    in i_partition_period text,
    out pattern text,
    out format text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste._partition_suffix(1)
--
--      Internal: the name suffix of partitions of a period, as a regular
--      expression and as a to_char() format.
--
-- Parameters:
--      i_partition_period - year(ly), month(ly), day/daily, hour(ly)
--
-- Returns:
--      pattern, format; an error for another period
--
-- Tables directly manipulated:
--      none
-- ----------------------------------------------------------------------
begin
    case
        when i_partition_period in ('year', 'yearly') then
            pattern := '_[0-9]{4}';
            format := '_YYYY';
        when i_partition_period in ('month', 'monthly') then
            pattern := '_[0-9]{4}_[0-9]{2}';
            format := '_YYYY_MM';
        when i_partition_period in ('day', 'daily') then
            pattern := '_[0-9]{4}_[0-9]{2}_[0-9]{2}';
            format := '_YYYY_MM_DD';
        when i_partition_period in ('hour', 'hourly') then
            pattern := '_[0-9]{4}_[0-9]{2}_[0-9]{2}_[0-9]{2}';
            format := '_YYYY_MM_DD_HH24';
        else
            raise exception 'not supported i_partition_period: %', i_partition_period;
    end case;
    return;
end;
$$ language plpgsql immutable;
