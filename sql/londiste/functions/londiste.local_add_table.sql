create or replace function londiste.local_add_table(
    in i_queue_name text,
    in i_table_name text,
    in i_trg_args text[],
    in i_table_attrs text,
    in i_dest_table text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_add_table(5)
--
--      Replicate a table of the queue on this node.  On the root the table
--      joins the queue (global_add_table, event londiste.add-table) and is
--      in sync at once; elsewhere it must be in the queue already and
--      waits for its copy (merge_state NULL), unless expect_sync.  The
--      capture triggers are created (londiste.create_trigger).  On a leaf
--      of a combined queue the same table of the other part queues is
--      added too (merge_all) or not (no_merge).
--
-- Parameters:
--      i_queue_name  - cascaded queue name
--      i_table_name  - table name in the queue
--      i_trg_args    - add-table arguments: expect_sync, skip_truncate,
--                      merge_all, no_merge, virtual_table, and those of
--                      londiste.create_trigger
--      i_table_attrs - table attributes (handler, urlencoded), or NULL
--      i_dest_table  - the table written on this node, when another
--
-- Returns:
--      200 - Table added / Table already added / Table added with no triggers
--      301 - Table added, but londiste trigger is not first
--      400 - Primary key missing / No such set
--      404 - Table does not exist / Table not available on queue
--      405 - merge conflicts (see the note)
--      410 - Table already added, but with different args
--      and the codes of create_trigger ('Trigger creation failed ...')
--
-- Tables directly manipulated:
--      update - londiste.table_info
-- ----------------------------------------------------------------------
declare
    v_attrs    text := i_table_attrs;
    v_expect   boolean := false;
    v_merge    boolean := false;
    v_no_merge boolean := false;
    v_virtual  boolean := false;
    v_fqname   text := londiste.make_fqname(i_table_name);
    v_dest     text := londiste.make_fqname(coalesce(i_dest_table, i_table_name));
    v_desc     text;
    v_node     record;
    v_tbl      record;
    v_other    record;
    v_state    text;
    v_arg      text;
    v_cqueue   text;
    v_ctable   text;
    v_trigger  text;
    v_before   text;
begin
    foreach v_arg in array coalesce(i_trg_args, '{}') loop
        if v_arg = 'expect_sync' then
            v_expect := true;
        elsif v_arg = 'skip_truncate' then
            v_attrs := coalesce(v_attrs || '&skip_truncate=1', 'skip_truncate=1');
        elsif v_arg = 'merge_all' then
            v_merge := true;
        elsif v_arg = 'no_merge' then
            v_no_merge := true;
        elsif v_arg = 'virtual_table' then
            -- nothing to copy, nothing to capture
            v_virtual := true;
            v_expect := true;
        end if;
    end loop;
    if v_merge and v_no_merge then
        select 405, 'Cannot use merge-all and no-merge together' into ret_code, ret_note;
        return;
    end if;
    v_desc := case when v_dest = v_fqname then v_fqname else v_fqname || '(' || v_dest || ')' end;

    if not v_virtual then
        if londiste.find_table_oid(v_dest) is null then
            select 404, 'Table does not exist: ' || v_desc into ret_code, ret_note;
            return;
        end if;
        -- a key is needed, unless another part queue keeps its dropped structure
        if pg_catalog.strpos(londiste.find_column_types(v_dest), 'k') = 0 then
            perform 1
               from pgq_node.node_info n
               join pgq_node.node_info o
                 on o.combined_queue = n.combined_queue and o.queue_name <> n.queue_name
               join londiste.table_info t on t.queue_name = o.queue_name
              where n.queue_name = i_queue_name
                and coalesce(t.dest_table, t.table_name) = v_dest
                and t.dropped_ddl is not null;
            if not found then
                select 400, 'Primary key missing on table: ' || v_desc into ret_code, ret_note;
                return;
            end if;
        end if;
    end if;

    select * into v_node from pgq_node.get_node_info(i_queue_name);
    if not found or v_node.ret_code >= 400 then
        select 400, 'No such set: ' || i_queue_name into ret_code, ret_note;
        return;
    end if;

    select t.merge_state, t.local, t.table_attrs into v_tbl
      from londiste.table_info t
     where t.queue_name = i_queue_name and t.table_name = v_fqname;
    if not found then
        if v_node.node_type <> 'root' then
            select 404, 'Table not available on queue: ' || v_desc into ret_code, ret_note;
            return;
        end if;
        select g.ret_code, g.ret_note into ret_code, ret_note
          from londiste.global_add_table(i_queue_name, i_table_name) g;
        if ret_code <> 200 then
            return;
        end if;
        select t.merge_state, t.local, t.table_attrs into v_tbl
          from londiste.table_info t
         where t.queue_name = i_queue_name and t.table_name = v_fqname;
    end if;
    if v_tbl.local then
        if v_tbl.table_attrs is distinct from v_attrs then
            select 410, 'Table ' || v_desc || ' already added, but with different args: '
                        || coalesce(v_tbl.table_attrs, '')
              into ret_code, ret_note;
        else
            select 200, 'Table already added: ' || v_desc into ret_code, ret_note;
        end if;
        return;
    end if;

    -- the root has the data; a leaf of a branch queue and expect_sync need no copy
    if v_node.node_type = 'root' then
        v_state := 'ok';
        perform londiste.root_notify_change(i_queue_name, 'londiste.add-table', v_fqname);
    elsif (v_node.node_type = 'leaf' and v_node.combined_type = 'branch') or v_expect then
        v_state := 'ok';
    else
        v_state := null;
    end if;
    update londiste.table_info t
       set local = true,
           merge_state = v_state,
           table_attrs = coalesce(v_attrs, t.table_attrs),
           dest_table = nullif(v_dest, v_fqname)
     where t.queue_name = i_queue_name and t.table_name = v_fqname;
    if not found then
        raise exception 'lost table: %', v_fqname;
    end if;

    if v_node.node_type = 'leaf' and not v_no_merge then
        -- the same destination in the other part queues of the combined queue
        for v_other in
            select o.queue_name, o.table_name, o.local
              from londiste.table_info t
              join pgq_node.node_info n on n.queue_name = t.queue_name
              join pgq_node.node_info n2
                on n2.combined_queue is not distinct from n.combined_queue
              join londiste.table_info o
                on o.queue_name = n2.queue_name
               and coalesce(o.dest_table, o.table_name) = coalesce(t.dest_table, t.table_name)
             where t.queue_name = i_queue_name
               and t.table_name = v_fqname
               and o.queue_name <> i_queue_name
        loop
            if v_other.local and v_state is distinct from 'ok' then
                select 405, 'Found local table ' || v_desc || ' in queue ' || v_other.queue_name
                            || ', use remove-table first to remove all previous '
                            || 'table subscriptions'
                  into ret_code, ret_note;
                return;
            end if;
            if not v_merge and v_state is distinct from 'ok' then
                select 405, 'Found multiple sources for table ' || v_desc
                            || ', use merge-all or no-merge to continue'
                  into ret_code, ret_note;
                return;
            end if;
            update londiste.table_info t
               set local = true,
                   merge_state = v_state,
                   table_attrs = coalesce(v_attrs, t.table_attrs)
             where t.queue_name = v_other.queue_name and t.table_name = v_other.table_name;
            if not found then
                raise exception 'lost table: % on queue %', v_other.table_name, v_other.queue_name;
            end if;
        end loop;

        -- and in the combined queue itself, when it is on this database
        select n2.queue_name, t.table_name into v_cqueue, v_ctable
          from pgq_node.node_info n1
          join pgq_node.node_info n2 on n2.queue_name = n1.combined_queue
          left join londiste.table_info t
            on t.queue_name = n2.queue_name and t.table_name = v_fqname and t.local
         where n1.queue_name = i_queue_name and n2.node_type in ('root', 'branch');
        if found and v_ctable is null then
            select a.ret_code, a.ret_note into ret_code, ret_note
              from londiste.local_add_table(v_cqueue, v_fqname, i_trg_args, v_attrs, v_dest) a;
            if ret_code >= 300 then
                return;
            end if;
        end if;
    end if;

    select c.ret_code, c.ret_note, c.trigger_name into ret_code, ret_note, v_trigger
      from londiste.create_trigger(i_queue_name, v_fqname, i_trg_args, v_dest, v_node.node_type) c;
    if ret_code > 299 then
        ret_note := 'Trigger creation failed for table ' || v_desc || ': ' || ret_note;
        return;
    elsif ret_code = 201 then
        select 200, 'Table added with no triggers: ' || v_desc into ret_code, ret_note;
        return;
    end if;

    -- a user AFTER ROW trigger that fires before ours (they fire in name order)
    select g.tgname into v_before
      from pg_catalog.pg_trigger g
     where g.tgrelid = londiste.find_table_oid(v_dest)
       and not g.tgisinternal
       and g.tgname < v_trigger::name
       and (g.tgtype & 3) = 1
       and not londiste.is_replica_func(g.tgfoid)
       and pg_catalog.substr(g.tgname, 1, 10) <> '_londiste_'
       and g.tgname::text not like '%\_logger'
     order by 1
     limit 1;
    if v_before is not null then
        select 301, 'Table added: ' || v_desc || ', but londiste trigger is not first: ' || v_before
          into ret_code, ret_note;
        return;
    end if;
    select 200, 'Table added: ' || v_desc into ret_code, ret_note;
    return;
end;
$$ language plpgsql;

create or replace function londiste.local_add_table(
    in i_queue_name text,
    in i_table_name text,
    in i_trg_args text[],
    in i_table_attrs text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_add_table(4)
--
--      local_add_table(5) into the table of the same name.
-- ----------------------------------------------------------------------
begin
    select a.ret_code, a.ret_note into ret_code, ret_note
      from londiste.local_add_table(i_queue_name, i_table_name, i_trg_args, i_table_attrs, null) a;
    return;
end;
$$ language plpgsql;

create or replace function londiste.local_add_table(
    in i_queue_name text,
    in i_table_name text,
    in i_trg_args text[],
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_add_table(3)
--
--      local_add_table(5) without attributes, into the same table.
-- ----------------------------------------------------------------------
begin
    select a.ret_code, a.ret_note into ret_code, ret_note
      from londiste.local_add_table(i_queue_name, i_table_name, i_trg_args, null) a;
    return;
end;
$$ language plpgsql;

create or replace function londiste.local_add_table(
    in i_queue_name text,
    in i_table_name text,
    out ret_code int4,
    out ret_note text)
as $$
-- ----------------------------------------------------------------------
-- Function: londiste.local_add_table(2)
--
--      local_add_table(5) with no arguments.
-- ----------------------------------------------------------------------
begin
    select a.ret_code, a.ret_note into ret_code, ret_note
      from londiste.local_add_table(i_queue_name, i_table_name, null) a;
    return;
end;
$$ language plpgsql strict;
