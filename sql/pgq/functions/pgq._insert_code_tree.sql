-- earlier installs: the per-transaction memo of the current table, which the code
-- read before its table became a constant of the code
drop function if exists pgq._insert_state(integer, text, integer);
drop function if exists pgq._insert_state(integer);
drop function if exists pgq._insert_memo(integer);
create or replace function pgq._insert_code_tree(i_queues pgq.queue[], i_values text[])
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_code_tree(2)
--
--      Internal: PL/pgSQL text that inserts one event into queue $1: a
--      binary search over queue names (byte order) down to a branch per
--      queue with its id, sequence, insert checks (pgq._insert_flags)
--      and a static INSERT into its current data table as constants, so
--      an insert reads no queue row and no setting, and every statement
--      keeps a cached plan.  A rotation regenerates the code
--      (pgq._queue_changed); a transaction that began before it may go on
--      running the code it saw, filling the previous table, which is why
--      pgq.maint_rotate_tables_step2 waits for such transactions to end.
--      The code runs with its owner's rights on the caller's
--      search_path (see pgq._insert_function_sql), so every function,
--      operator, type and collation in it is schema-qualified.  Queues missing from the tree fall through to the caller's
--      generic code.  No RETURNING: writers need no SELECT privilege on
--      event tables.
--
-- Parameters:
--      i_queues - queues sorted by queue_name collate "C"
--      i_values - expressions for ev_id (NULL: next from the sequence,
--                 which moves on anyway, as in the original),
--                 ev_time, ev_owner, ev_retry, ev_type, ev_data,
--                 ev_extra1 .. ev_extra4
--
-- Returns:
--      Code fragment; an empty string for no queues.
--
-- Tables directly manipulated:
--      None (the code it returns inserts into the queues' data tables)
-- ----------------------------------------------------------------------
declare
    n       integer := coalesce(array_length(i_queues, 1), 0);
    mid     integer;
    q       pgq.queue;
    code    text := '';
    flags   integer;
    id_expr text;
    id_given text := '';
begin
    if i_values[1] <> 'null' then
        -- an id given by the caller: the sequence moves all the same
        id_given := E'\n    res := coalesce(' || i_values[1] || ', res);';
    end if;
    if n = 0 then
        return '';
    end if;
    if n > 4 then
        mid := (n + 1) / 2;
        return E'\nif ($1 collate pg_catalog."C") operator(pg_catalog.<=) '
            || quote_literal(i_queues[mid].queue_name) || ' then '
            || pgq._insert_code_tree(i_queues[1:mid], i_values) || E'\n'
            || 'else ' || pgq._insert_code_tree(i_queues[mid + 1:n], i_values) || E'\n'
            || 'end if;';
    end if;
    foreach q in array i_queues loop
        flags := pgq._insert_flags(q);
        id_expr := 'pg_catalog.nextval(' || quote_literal(pgq.quote_fqname(q.queue_event_seq))
            || '::pg_catalog.regclass)';
        code := code || E'\nif $1 operator(pg_catalog.=) ' || quote_literal(q.queue_name) || ' then'
            -- the id first, as the original: a refused insert uses one up
            || E'\n    res := ' || id_expr || ';'
            || case when flags <> 0 then
                   E'\n    perform pgq._insert_checks(' || q.queue_id || ', $1, '
                   || flags || ');'
               else '' end
            || id_given
            || E'\n    insert into '
            || pgq.quote_fqname(q.queue_data_pfx || '_' || q.queue_cur_table)
            || ' (ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,'
            || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
            || E'\n    values (res, ' || array_to_string(i_values[2:10], ', ') || ');'
            || E'\n    return res;'
            || E'\nend if;';
    end loop;
    return code;
end;
$$ language plpgsql immutable;
