create or replace function pgq._trg_options(
    i_args text[], i_truncate boolean,
    out skip boolean, out backup boolean, out deny boolean,
    out ignore_list text, out pkey_list text, out exprs text[])
as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_options(2)
--
--      Internal: parse the optional arguments of a capture trigger (those
--      after the queue name), in order, raising the original's errors.
--
-- Parameters:
--      i_args     - the arguments after the queue name (NULL for none)
--      i_truncate - true for a TRUNCATE trigger, where only SKIP and deny
--                   make sense
--
-- Returns:
--      skip, backup, deny  - flags
--      ignore_list         - text of ignore=, NULL if not given
--      pkey_list           - text of pkey=, NULL if not given
--      exprs               - SQL expressions of ev_type=, ev_data=,
--                            ev_extra1= .. ev_extra4=, when= (7 slots,
--                            NULL where not given)
-- ----------------------------------------------------------------------
declare
    arg     text;
    slot    integer;
begin
    skip := false;
    backup := false;
    deny := false;
    exprs := array[null, null, null, null, null, null, null]::text[];
    foreach arg in array coalesce(i_args, '{}'::text[]) loop
        slot := null;
        if arg = 'SKIP' or arg = 'skip' then
            skip := true;
        elsif arg like 'ignore=%' then
            ignore_list := substr(arg, 8);
        elsif arg like 'pkey=%' then
            pkey_list := substr(arg, 6);
        elsif arg = 'backup' then
            backup := true;
        elsif arg = 'deny' then
            deny := true;
        elsif arg like 'ev\_type=%' then
            slot := 1;
        elsif arg like 'ev\_data=%' then
            slot := 2;
        elsif arg ~ '^ev_extra[1-4]=' then
            slot := 2 + substr(arg, 9, 1)::integer;
        elsif arg like 'when=%' then
            slot := 7;
        else
            raise exception 'bad param to pgq trigger'
                using detail = 'unknown argument: ' || coalesce(arg, 'NULL');
        end if;
        if slot is not null then
            if i_truncate then
                raise exception 'Custom expressions do not make sense for truncate trigger';
            end if;
            exprs[slot] := substr(arg, strpos(arg, '=') + 1);
        end if;
    end loop;
    if i_truncate then
        if ignore_list is not null then
            raise exception 'Column ignore does not make sense for truncate trigger';
        elsif pkey_list is not null then
            raise exception 'Custom pkey_list does not make sense for truncate trigger';
        elsif backup then
            raise exception 'Backup does not make sense for truncate trigger';
        end if;
    end if;
end;
$$ language plpgsql immutable;
