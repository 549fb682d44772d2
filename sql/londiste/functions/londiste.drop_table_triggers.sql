create or replace function londiste.drop_table_triggers(
    in i_queue_name text,
    in i_table_name text)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: londiste.drop_table_triggers(2)
--
--      Drop the capture triggers of one queue from a table: the PgQ
--      triggers whose first argument is the queue name, or the second
--      (statement-level capture: the kind comes first).
--
-- Parameters:
--      i_queue_name - cascaded queue name
--      i_table_name - table name in the queue
--
-- Returns:
--      nothing
--
-- Tables directly manipulated:
--      none (drops triggers of the table)
-- ----------------------------------------------------------------------
declare
    v_dest text;
    v_oid  oid;
    v_name name;
    v_head bytea := pg_catalog.convert_to(i_queue_name, 'UTF8') || '\x00'::bytea;
begin
    select coalesce(t.dest_table, t.table_name) into v_dest
      from londiste.table_info t
     where t.queue_name = i_queue_name and t.table_name = i_table_name;
    if not found then
        return;
    end if;
    v_oid := londiste.find_table_oid(v_dest);
    for v_name in
        select g.tgname from pg_catalog.pg_trigger g
         where g.tgrelid = v_oid
           and londiste.is_replica_func(g.tgfoid)
           -- the queue first, or after the kind (statement-level capture)
           and (pg_catalog.substr(g.tgargs, 1, pg_catalog.length(v_head)) = v_head
                or (g.tgtype & 1 = 0
                    and pg_catalog.substr(g.tgargs, position('\x00'::bytea in g.tgargs) + 1,
                                          pg_catalog.length(v_head)) = v_head))
    loop
        execute pg_catalog.format('drop trigger %I on %s', v_name, londiste.quote_fqname(v_dest));
    end loop;
end;
$$ language plpgsql strict;
