-- ----------------------------------------------------------------------
-- Section: pgq_node privileges
--
--     The same EXECUTE grants as Skytools pgq_node 3.5:
--     public      is_root_node, is_leaf_node, node_type, version
--     pgq_reader  what a subscriber's worker calls on its provider
--     pgq_writer  that too, plus the consumer state on the target
--     pgq_admin   everything, including the node operations and the
--                 member list
--
--     The functions that change state run as their owner, so nobody
--     needs write rights on the tables.  Unlike the original, pgq_admin
--     gets SELECT only (the original also gave it INSERT, UPDATE and
--     DELETE, which allowed bypassing every check of the API).
-- ----------------------------------------------------------------------

grant usage on schema pgq_node to public;

revoke all on all functions in schema pgq_node from public;

grant execute on function
    pgq_node.is_root_node(text),
    pgq_node.is_leaf_node(text),
    pgq_node.node_type(text),
    pgq_node.version()
to public;

revoke all on table
    pgq_node.node_location,
    pgq_node.node_info,
    pgq_node.local_state,
    pgq_node.subscriber_info
from public;

-- the roles' grants, when the roles exist (engine.install --no-roles
-- installs without them: see pgq._create_roles)
do $grants$
begin
if (select pg_catalog.count(*) from pg_catalog.pg_roles
     where rolname in ('pgq_reader', 'pgq_writer', 'pgq_admin')) = 3 then

-- source side of a cascaded consumer or worker
grant execute on function
    pgq_node.get_consumer_info(text),
    pgq_node.get_consumer_state(text, text),
    pgq_node.get_queue_locations(text),
    pgq_node.get_node_info(text),
    pgq_node.get_subscriber_info(text),
    pgq_node.register_subscriber(text, text, text, int8),
    pgq_node.unregister_subscriber(text, text),
    pgq_node.set_subscriber_watermark(text, text, bigint)
to pgq_reader, pgq_writer, pgq_admin;

-- target side of a cascaded consumer
grant execute on function
    pgq_node.register_consumer(text, text, text, int8),
    pgq_node.unregister_consumer(text, text),
    pgq_node.change_consumer_provider(text, text, text),
    pgq_node.set_consumer_uptodate(text, text, boolean),
    pgq_node.set_consumer_paused(text, text, boolean),
    pgq_node.set_consumer_completed(text, text, int8),
    pgq_node.set_consumer_error(text, text, text)
to pgq_writer, pgq_admin;

-- target side of the worker, node administration, maintenance
grant execute on function
    pgq_node.create_node(text, text, text, text, text, bigint, text),
    pgq_node.drop_node(text, text),
    pgq_node.demote_root(text, int4, text),
    pgq_node.promote_branch(text),
    pgq_node.set_node_attrs(text, text),
    pgq_node.rename_node_step1(text, text, text),
    pgq_node.rename_node_step2(text, text, text),
    pgq_node.get_worker_state(text),
    pgq_node.set_global_watermark(text, bigint),
    pgq_node.set_partition_watermark(text, text, bigint),
    pgq_node.register_location(text, text, text, boolean),
    pgq_node.unregister_location(text, text),
    pgq_node.upgrade_schema(),
    pgq_node.maint_watermark(text)
to pgq_admin;

revoke insert, update, delete, truncate, references, trigger on table
    pgq_node.node_location,
    pgq_node.node_info,
    pgq_node.local_state,
    pgq_node.subscriber_info
from pgq_reader, pgq_writer, pgq_admin;
grant select on table
    pgq_node.node_location,
    pgq_node.node_info,
    pgq_node.local_state,
    pgq_node.subscriber_info
to pgq_reader, pgq_writer, pgq_admin;

end if;
end
$grants$;
