create or replace function londiste.execute_finish(
    in i_queue_name text,
    in i_file_name text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.execute_finish(2)
--
--      An SQL file started by execute_start has run.  On the root it is
--      sent down the cascade as an EXECUTE event (data: SQL, extra1: file
--      name, extra2: attributes), in queue order with the row changes.
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_file_name  - file name
--
-- Returns:
--      200 - Execute finished: <file>
--      404 - execute_file called without execute_start
--
-- Tables directly manipulated:
--      none (the event goes through pgq.insert_event)
-- ----------------------------------------------------------------------
declare
    v_is_root boolean := pgq_node.is_root_node(i_queue_name);
    v_exec    record;
begin
    select a.execute_sql, a.execute_attrs into v_exec
      from londiste.applied_execute a
     where a.execute_file = i_file_name;
    if not found then
        select 404, 'execute_file called without execute_start' into ret_code, ret_note;
        return;
    end if;
    if v_is_root then
        perform pgq.insert_event(i_queue_name, 'EXECUTE', v_exec.execute_sql, i_file_name,
                                 v_exec.execute_attrs, null, null);
    end if;
    select 200, 'Execute finished: ' || i_file_name into ret_code, ret_note;
    return;
end;
$$ language plpgsql strict;
