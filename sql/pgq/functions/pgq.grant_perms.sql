create or replace function pgq.grant_perms(x_queue_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.grant_perms(1)
--
--      Give a queue's tables the privileges of pgq.event_template, and
--      its sequences the privileges producers and readers need.
--
--      As in the original, writers get nothing here: they insert through
--      pgq.insert_event(), which runs with the owner's rights.
--
-- Parameters:
--      x_queue_name - name of the queue
--
-- Returns:
--      Always 1.
-- ----------------------------------------------------------------------
declare
    q           record;
    i           integer;
    pos         integer;
    tbl_perms   text;
    seq_perms   text;
    dst_schema  text;
    dst_table   text;
    part        text;
    acl         record;
begin
    select * from pgq.queue into q
        where queue_name = x_queue_name;
    if not found then
        raise exception 'No such event queue: %', x_queue_name;
    end if;

    for i in -1 .. q.queue_ntables - 1 loop
        if i < 0 then
            part := q.queue_data_pfx;
        else
            part := q.queue_data_pfx || '_' || i::text;
        end if;
        for acl in
            select case when a.grantee = 0 then 'public'
                        else quote_ident(r.rolname) end as grantee,
                   a.privilege_type
              from pg_catalog.pg_class c,
                   lateral aclexplode(c.relacl) a
              left join pg_catalog.pg_roles r on (r.oid = a.grantee)
             where c.oid = 'pgq.event_template'::regclass
               and a.grantee <> c.relowner
        loop
            execute 'grant ' || acl.privilege_type || ' on '
                || pgq.quote_fqname(part) || ' to ' || acl.grantee;
        end loop;
    end loop;

    if exists (select 1 from pg_catalog.pg_roles where rolname = 'pgq_admin') then
        execute 'grant select, usage on ' || pgq.quote_fqname(q.queue_event_seq)
                || ', ' || pgq.quote_fqname(q.queue_tick_seq) || ' to pgq_admin';
    end if;
    execute 'grant select on ' || pgq.quote_fqname(q.queue_event_seq) || ', '
            || pgq.quote_fqname(q.queue_tick_seq) || ' to public';

    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
