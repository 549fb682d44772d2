-- ----------------------------------------------------------------------
-- PgQ: install or upgrade in place.
--
--     psql:     psql -v ON_ERROR_STOP=1 -1 -f sql/pgq/structure/install.sql
--     qadmin:   python -m engine.install pgq
--
--     Tables are created only when missing and upgraded by
--     pgq.upgrade_schema(); functions are replaced.  Queues, consumers
--     and events are kept.
-- ----------------------------------------------------------------------

set check_function_bodies = off;
set client_min_messages = warning;

\ir tables.sql
\ir ../functions/pgq._create_roles.sql
\ir ../functions/pgq.upgrade_schema.sql
select pgq.upgrade_schema();

-- utility
\ir ../functions/pgq.quote_fqname.sql
\ir ../functions/pgq.seq_getval.sql
\ir ../functions/pgq.seq_setval.sql
\ir ../functions/pgq._event_seq_position.sql
\ir ../functions/pgq.version.sql

-- queue management
\ir ../functions/pgq._insert_state_bit.sql
\ir ../functions/pgq._insert_flags.sql
\ir ../functions/pgq._insert_checks.sql
\ir ../functions/pgq._insert_generic.sql
\ir ../functions/pgq._insert_bucket.sql
\ir ../functions/pgq._insert_code_tree.sql
\ir ../functions/pgq._insert_function_sql.sql
\ir ../functions/pgq._insert_dispatch_tree.sql
\ir ../functions/pgq._insert_dispatch_sql.sql
\ir ../functions/pgq._insert_code_put.sql
\ir ../functions/pgq._insert_code_ours.sql
\ir ../functions/pgq._insert_code_kept.sql
\ir ../functions/pgq._refresh_insert_code.sql
\ir ../functions/pgq._queue_changed.sql
\ir ../functions/pgq.create_queue.sql
\ir ../functions/pgq.drop_queue.sql
\ir ../functions/pgq.set_queue_config.sql
\ir ../functions/pgq.grant_perms.sql
\ir ../functions/pgq._grant_perms_from.sql
\ir ../functions/pgq.tune_storage.sql

-- producing
\ir ../functions/pgq._count_tx_events.sql
\ir ../functions/pgq.insert_event_bulk.sql
\ir ../functions/pgq.current_event_table.sql
select pgq._refresh_insert_code(true);  -- generates pgq.insert_event_raw() and insert_event()
\ir triggers.sql

-- ticking
\ir ../functions/pgq.ticker.sql
\ir ../functions/pgq.force_tick.sql
\ir ../functions/pgq.ticker_now.sql

-- consuming
\ir ../functions/pgq.register_consumer.sql
\ir ../functions/pgq.unregister_consumer.sql
\ir ../functions/pgq.next_batch.sql
\ir ../functions/pgq.find_tick_helper.sql
\ir ../functions/pgq.batch_event_tables.sql
\ir ../functions/pgq.batch_event_sql.sql
\ir ../functions/pgq.get_batch_events.sql
\ir ../functions/pgq.get_batch_cursor.sql
\ir ../functions/pgq.finish_batch.sql
\ir ../functions/pgq.event_retry.sql
\ir ../functions/pgq.batch_retry.sql
\ir ../functions/pgq.event_retry_raw.sql

-- information
\ir ../functions/pgq.get_queue_info.sql
\ir ../functions/pgq.get_consumer_info.sql
\ir ../functions/pgq.get_batch_info.sql

-- maintenance
\ir ../functions/pgq.maint_rotate_tables.sql
\ir ../functions/pgq.maint_retry_events.sql
\ir ../functions/pgq.maint_tables_to_vacuum.sql
\ir ../functions/pgq.maint_operations.sql

-- capture triggers (logutriga, sqltriga, jsontriga) and their generated fast path
\ir ../triggers/pgq._urlencode.sql
\ir ../triggers/pgq._trg_error.sql
\ir ../triggers/pgq._trg_text.sql
\ir ../triggers/pgq._trg_when.sql
\ir ../triggers/pgq._trg_strlist_contains.sql
\ir ../triggers/pgq._trg_tgargs.sql
\ir ../triggers/pgq._trg_options.sql
\ir ../triggers/pgq._trg_pkeys.sql
\ir ../triggers/pgq._trg_type_class.sql
\ir ../triggers/pgq._trg_columns.sql
\ir ../triggers/pgq._trg_record_values.sql
\ir ../triggers/pgq._trg_url_value.sql
\ir ../triggers/pgq._trg_json_value.sql
\ir ../triggers/pgq._trg_expr.sql
\ir ../triggers/pgq._trg_column_sql.sql
\ir ../triggers/pgq._trg_build.sql
\ir ../triggers/pgq._trg_generic_fields.sql
\ir ../triggers/pgq._trg_generic.sql
\ir ../triggers/pgq._trg_event.sql
\ir ../triggers/pgq._trg_fields.sql
\ir ../triggers/pgq._trg_skip.sql
\ir ../triggers/pgq._trg_statement.sql
\ir ../triggers/pgq._trg_create_entry.sql
select pgq._trg_create_entry('logutriga'), pgq._trg_create_entry('sqltriga'),
       pgq._trg_create_entry('jsontriga');
\ir ../triggers/pgq._trg_capture_sql.sql
\ir ../triggers/pgq._trg_capture_statement.sql
\ir ../triggers/pgq._trg_capture_insert.sql
\ir ../triggers/pgq._trg_capture_source.sql
\ir ../triggers/pgq._trg_capture_function.sql
\ir ../triggers/pgq.create_statement_capture.sql
\ir ../triggers/pgq._trg_refresh.sql
\ir ../triggers/pgq._trg_refresh_tables.sql
\ir ../triggers/pgq._trg_ddl_watch.sql
\ir ../triggers/pgq._trg_drop_watch.sql
\ir ../triggers/pgq._trg_before_drop.sql
\ir ../triggers/pgq._trg_setup.sql
-- DDL event triggers and the fast path of captured tables (superuser only)
select pgq._trg_setup();

-- renaming, copying consumers, deleting events, ticking one queue
\ir ../functions/pgq.rename_queue.sql
\ir ../functions/pgq.rename_consumer.sql
\ir ../functions/pgq.register_consumer_copy.sql
\ir ../functions/pgq.delete_event.sql
\ir ../functions/pgq.tick_queue.sql

-- privileges
\ir grants.sql

reset client_min_messages;
reset check_function_bodies;
