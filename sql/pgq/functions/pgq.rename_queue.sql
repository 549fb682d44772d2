create or replace function pgq.rename_queue(
    i_queue_name    text,
    i_new_name      text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.rename_queue(2)
--
--      Give a queue a new name.  Events, ticks and consumers stay: they
--      refer to the queue by id.  Refused for a queue that capture
--      triggers write into (their arguments name the queue) and for a
--      cascaded queue (every node knows it by name).
--
-- Parameters:
--      i_queue_name - current name
--      i_new_name   - new name
--
-- Returns:
--      1 if renamed, 0 if the names are equal.
--
-- Tables directly manipulated:
--      update - pgq.queue
-- ----------------------------------------------------------------------
declare
    v_queue_id  integer;
    v_triggers  text;
    v_cascaded  boolean := false;
begin
    if i_queue_name is null or i_new_name is null or i_new_name = '' then
        raise exception 'Invalid NULL value';
    end if;

    select queue_id into v_queue_id from pgq.queue
        where queue_name = i_queue_name
        for update;
    if not found then
        raise exception 'No such event queue: %', i_queue_name;
    end if;
    if i_new_name = i_queue_name then
        return 0;
    end if;

    perform 1 from pgq.queue where queue_name = i_new_name;
    if found then
        raise exception 'queue "%" already exists', i_new_name;
    end if;

    -- capture triggers: first trigger argument is the queue name
    select string_agg(format('%s on %s', t.tgname, t.tgrelid::regclass), ', ')
      into v_triggers
      from pg_catalog.pg_trigger t
      join pg_catalog.pg_proc p on p.oid = t.tgfoid
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'pgq'
       and t.tgnargs > 0
       and split_part(encode(t.tgargs, 'escape'), '\000', 1) = i_queue_name;
    if v_triggers is not null then
        raise exception 'queue "%" is written by capture triggers: %', i_queue_name, v_triggers
            using hint = 'drop the triggers, rename the queue, then create them with the new name';
    end if;

    if pg_catalog.to_regclass('pgq_node.node_info') is not null then
        execute 'select exists (select 1 from pgq_node.node_info where queue_name = $1)'
           into v_cascaded using i_queue_name;
        if v_cascaded then
            raise exception 'queue "%" is a cascaded queue', i_queue_name
                using hint = 'cascaded queues are known by name on every node; they cannot be renamed';
        end if;
    end if;

    update pgq.queue set queue_name = i_new_name where queue_id = v_queue_id;
    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
