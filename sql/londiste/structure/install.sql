-- ----------------------------------------------------------------------
-- londiste: table and sequence replication over cascaded queues.
-- Needs pgq and pgq_node.
--
--     psql:     psql -v ON_ERROR_STOP=1 -1 -f sql/londiste/structure/install.sql
--     qadmin:   python -m engine.install londiste
--
--     Tables are created only when missing and upgraded by
--     londiste.upgrade_schema(); functions are replaced.  Registered
--     tables, sequences and their states are kept.
-- ----------------------------------------------------------------------

set check_function_bodies = off;
set client_min_messages = warning;

\ir tables.sql
\ir ../functions/londiste.upgrade_schema.sql
select londiste.upgrade_schema();

-- names
\ir ../functions/londiste.make_fqname.sql
\ir ../functions/londiste.split_fqname.sql
\ir ../functions/londiste.quote_fqname.sql
\ir ../functions/londiste.find_rel_oid.sql
\ir ../functions/londiste.find_table_oid.sql
\ir ../functions/londiste.find_seq_oid.sql
\ir ../functions/londiste.find_column_types.sql
\ir ../functions/londiste.find_table_fkeys.sql
\ir ../functions/londiste.is_replica_func.sql
\ir ../functions/londiste.version.sql

-- information
\ir ../functions/londiste._coordinate_copy.sql
\ir ../functions/londiste.get_table_list.sql
\ir ../functions/londiste.get_seq_list.sql
\ir ../functions/londiste.local_show_missing.sql

-- tables of the queue, and of this node
\ir ../functions/londiste.root_notify_change.sql
\ir ../functions/londiste.global_add_table.sql
\ir ../functions/londiste.global_remove_table.sql
\ir ../functions/londiste.create_trigger.sql
\ir ../functions/londiste.drop_table_triggers.sql
\ir ../functions/londiste.table_info_trigger.sql
\ir ../functions/londiste.local_add_table.sql
\ir ../functions/londiste.local_remove_table.sql
\ir ../functions/londiste.local_change_handler.sql
\ir ../functions/londiste.local_set_table_state.sql
\ir ../functions/londiste.local_set_table_attrs.sql
\ir ../functions/londiste.local_set_table_struct.sql
\ir ../functions/londiste.local_set_skip_truncate.sql

-- sequences
\ir ../functions/londiste.root_check_seqs.sql
\ir ../functions/londiste.global_update_seq.sql
\ir ../functions/londiste.global_remove_seq.sql
\ir ../functions/londiste.local_add_seq.sql
\ir ../functions/londiste.local_remove_seq.sql

-- foreign keys dropped for a copy
\ir ../functions/londiste.get_table_pending_fkeys.sql
\ir ../functions/londiste.get_valid_pending_fkeys.sql
\ir ../functions/londiste.drop_table_fkey.sql
\ir ../functions/londiste.restore_table_fkey.sql

-- EXECUTE of SQL files
\ir ../functions/londiste.execute_start.sql
\ir ../functions/londiste.execute_finish.sql

-- replay: a batch's row events applied set-based
\ir ../functions/londiste._urldecode.sql
\ir ../functions/londiste._apply_rows.sql

-- handlers' helpers: partitions
\ir ../functions/londiste.create_partition.sql
\ir ../functions/londiste._partition_suffix.sql
\ir ../functions/londiste.is_obsolete_partition.sql
\ir ../functions/londiste.list_obsolete_partitions.sql
\ir ../functions/londiste.drop_obsolete_partitions.sql

-- maintenance, worker settings
\ir ../functions/londiste.periodic_maintenance.sql
\ir ../functions/londiste.set_session_replication_role.sql

-- a table leaving a queue loses its triggers
drop trigger if exists table_info_trigger_sync on londiste.table_info;
create trigger table_info_trigger_sync before delete on londiste.table_info
    for each row execute procedure londiste.table_info_trigger();

-- privileges
\ir grants.sql

reset client_min_messages;
reset check_function_bodies;
