create or replace function londiste.execute_start(
    in i_queue_name text,
    in i_file_name text,
    in i_sql text,
    in i_expect_root boolean,
    in i_attrs text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.execute_start(5)
--
--      Start running an SQL file (EXECUTE): record it, once.  The caller
--      runs the SQL when the answer is 200, then execute_finish; a file
--      already applied is skipped.
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--      i_file_name   - file name: what identifies it
--      i_sql         - its SQL
--      i_expect_root - refuse on a node that is not the root
--      i_attrs       - attributes (urlencoded), or NULL
--
-- Returns:
--      200 - Executing: <file>
--      201 - EXECUTE: "<file>" already applied, skipping
--      401 - Node is not root node
--
-- Tables directly manipulated:
--      insert - londiste.applied_execute
-- ----------------------------------------------------------------------
begin
    if i_expect_root and not pgq_node.is_root_node(i_queue_name) then
        select 401, 'Node is not root node: ' || i_queue_name into ret_code, ret_note;
        return;
    end if;
    insert into londiste.applied_execute (queue_name, execute_file, execute_sql, execute_attrs)
    values (i_queue_name, i_file_name, i_sql, i_attrs)
    on conflict do nothing;
    if not found then
        select 201, 'EXECUTE: "' || i_file_name || '" already applied, skipping'
          into ret_code, ret_note;
        return;
    end if;
    select 200, 'Executing: ' || i_file_name into ret_code, ret_note;
    return;
end;
$$ language plpgsql;

create or replace function londiste.execute_start(
    in i_queue_name text,
    in i_file_name text,
    in i_sql text,
    in i_expect_root boolean,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.execute_start(4)
--
--      execute_start(5) without attributes.
-- ----------------------------------------------------------------------
begin
    select s.ret_code, s.ret_note into ret_code, ret_note
      from londiste.execute_start(i_queue_name, i_file_name, i_sql, i_expect_root, null) s;
    return;
end;
$$ language plpgsql;
