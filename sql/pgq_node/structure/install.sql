-- ----------------------------------------------------------------------
-- pgq_node: cascaded queues (root, branch and leaf nodes).  Needs pgq.
--
--     psql:     psql -v ON_ERROR_STOP=1 -1 -f sql/pgq_node/structure/install.sql
--     qadmin:   python -m engine.install pgq_node
--
--     Tables are created only when missing and upgraded by
--     pgq_node.upgrade_schema(); functions are replaced.  Nodes, members
--     and consumer positions are kept.
-- ----------------------------------------------------------------------

set check_function_bodies = off;
set client_min_messages = warning;

\ir tables.sql
\ir ../functions/pgq_node.upgrade_schema.sql
select pgq_node.upgrade_schema();

-- members of a cascaded queue
\ir ../functions/pgq_node.register_location.sql
\ir ../functions/pgq_node.unregister_location.sql
\ir ../functions/pgq_node.get_queue_locations.sql

-- the local node
\ir ../functions/pgq_node.create_node.sql
\ir ../functions/pgq_node.drop_node.sql
\ir ../functions/pgq_node.get_node_info.sql
\ir ../functions/pgq_node.is_root_node.sql
\ir ../functions/pgq_node.is_leaf_node.sql
\ir ../functions/pgq_node.node_type.sql
\ir ../functions/pgq_node.get_subscriber_info.sql
\ir ../functions/pgq_node.get_consumer_info.sql
\ir ../functions/pgq_node.demote_root.sql
\ir ../functions/pgq_node.promote_branch.sql
\ir ../functions/pgq_node.set_node_attrs.sql
\ir ../functions/pgq_node.rename_node_step1.sql
\ir ../functions/pgq_node.rename_node_step2.sql

-- provider side: the nodes that read from this one
\ir ../functions/pgq_node.register_subscriber.sql
\ir ../functions/pgq_node.unregister_subscriber.sql
\ir ../functions/pgq_node.set_subscriber_watermark.sql

-- subscriber side: the node's worker
\ir ../functions/pgq_node.get_worker_state.sql
\ir ../functions/pgq_node.set_global_watermark.sql
\ir ../functions/pgq_node.set_partition_watermark.sql

-- subscriber side: any cascaded consumer
\ir ../functions/pgq_node.register_consumer.sql
\ir ../functions/pgq_node.unregister_consumer.sql
\ir ../functions/pgq_node.get_consumer_state.sql
\ir ../functions/pgq_node.change_consumer_provider.sql
\ir ../functions/pgq_node.set_consumer_uptodate.sql
\ir ../functions/pgq_node.set_consumer_paused.sql
\ir ../functions/pgq_node.set_consumer_completed.sql
\ir ../functions/pgq_node.set_consumer_error.sql

-- maintenance (pgq.maint_operations() calls maint_watermark for root nodes)
\ir ../functions/pgq_node.maint_watermark.sql
\ir ../functions/pgq_node.version.sql

-- privileges
\ir grants.sql

reset client_min_messages;
reset check_function_bodies;
