-- ----------------------------------------------------------------------
-- Section: PgQ privileges
--
--     public      reads the meta tables and runs the info functions
--     pgq_reader  consumes: registers, reads batches, retries events
--     pgq_writer  produces: inserts events, fires capture triggers
--     pgq_admin   both, plus queue management and maintenance
--
--     As in the original, roles get EXECUTE on the API and no write
--     rights on PgQ's tables: only the owner writes event tables.  The
--     functions writers call (insert_event(3) and (7), insert_event_bulk)
--     run with the owner's rights (security definer; the caller's
--     search_path never reaches their code, see pgq._insert_function_sql);
--     insert_event_raw(11), which takes any id, is for pgq_admin only.
-- ----------------------------------------------------------------------

grant usage on schema pgq to public;

revoke all on all functions in schema pgq from public;

-- info, for everybody
grant execute on function
    pgq.quote_fqname(text),
    pgq.seq_getval(text),
    pgq._event_seq_position(text),
    pgq.version(),
    pgq._insert_state_bit(text),
    pgq._insert_bucket(text),
    pgq.get_queue_info(),
    pgq.get_queue_info(text),
    pgq.get_consumer_info(),
    pgq.get_consumer_info(text),
    pgq.get_consumer_info(text, text)
to public;

-- meta tables are readable by everybody, event tables are not
grant select on table pgq.consumer, pgq.queue, pgq.tick, pgq.subscription to public;
grant select on table pgq.retry_queue to public;
revoke all on table pgq.event_template from public;

-- ----------------------------------------------------------------------
-- The roles' grants, when the roles exist (an install without them,
-- engine.install --no-roles, leaves PgQ to its owner: see
-- pgq._create_roles)
-- ----------------------------------------------------------------------
do $grants$
begin
if (select pg_catalog.count(*) from pg_catalog.pg_roles
     where rolname in ('pgq_reader', 'pgq_writer', 'pgq_admin')) = 3 then

-- writers and readers write no table of PgQ (this also takes back what an
-- older version granted writers on existing event tables and sequences)
revoke all on all tables in schema pgq from pgq_writer;
revoke all on all sequences in schema pgq from pgq_writer;
revoke insert, update, delete, truncate on all tables in schema pgq from pgq_reader;
revoke usage, update on all sequences in schema pgq from pgq_reader;

-- consuming
grant execute on function
    pgq.register_consumer(text, text),
    pgq.register_consumer_at(text, text, bigint),
    pgq.unregister_consumer(text, text),
    pgq.next_batch_info(text, text),
    pgq.next_batch(text, text),
    pgq.next_batch_custom(text, text, interval, int4, interval),
    pgq.find_tick_helper(int4, int8, timestamptz, int8, int8, interval),
    pgq.get_batch_events(bigint),
    pgq.get_batch_info(bigint),
    pgq.get_batch_cursor(bigint, text, int4, text),
    pgq.get_batch_cursor(bigint, text, int4),
    pgq.batch_event_sql(bigint),
    pgq.batch_event_tables(bigint),
    pgq.event_retry(bigint, bigint, timestamptz),
    pgq.event_retry(bigint, bigint, integer),
    pgq.event_retry(bigint, bigint[], integer),
    pgq.batch_retry(bigint, integer),
    pgq.force_tick(text),
    pgq.finish_batch(bigint)
to pgq_reader;

-- producing
grant execute on function
    pgq.insert_event(text, text, text),
    pgq.insert_event(text, text, text, text, text, text, text),
    pgq.insert_event_bulk(text, text[], text[], text[], text[], text[], text[]),
    pgq.current_event_table(text)
to pgq_writer;

-- administration
grant execute on function
    pgq.create_queue(text),
    pgq.drop_queue(text),
    pgq.drop_queue(text, bool),
    pgq.set_queue_config(text, text, text),
    pgq.ticker(),
    pgq.ticker(text),
    pgq.ticker(text, bigint, timestamptz, bigint),
    pgq.ticker_now(text[]),
    pgq.maint_operations(),
    pgq.maint_rotate_tables_step1(text),
    pgq.maint_rotate_tables_step2(),
    pgq.maint_retry_events(),
    pgq.maint_tables_to_vacuum(),
    pgq.grant_perms(text),
    pgq._grant_perms_from(text, text, text, text),
    pgq.tune_storage(text),
    pgq.seq_setval(text, int8),
    pgq.insert_event_raw(text, bigint, timestamptz, integer, integer,
                         text, text, text, text, text, text),
    -- what insert_event_raw, which runs with its caller's rights, calls
    pgq._count_tx_events(integer, text, integer, integer),
    pgq._insert_checks(integer, text, integer),
    pgq._insert_flags(pgq.queue),
    pgq._insert_generic(text, bigint, timestamptz, integer, integer,
                        text, text, text, text, text, text),
    pgq.event_retry_raw(text, text, timestamptz, bigint, timestamptz, integer,
                        text, text, text, text, text, text),
    pgq.upgrade_schema()
to pgq_admin;

grant usage on sequence pgq.batch_id_seq to pgq_admin;

-- event tables get these through pgq.grant_perms()
grant select on table pgq.event_template to pgq_reader;
grant select, insert, truncate on table pgq.event_template to pgq_admin;
grant select, insert, update, delete on table pgq.retry_queue to pgq_admin;

-- renaming, copying consumers, deleting events, ticking one queue
grant execute on function
    pgq.register_consumer_copy(text, text, text)
to pgq_reader;
grant execute on function
    pgq.rename_queue(text, text),
    pgq.rename_consumer(text, text, text),
    pgq._consumer_id(text),
    pgq.delete_event(text, bigint),
    pgq.tick_queue(text)
to pgq_admin;

-- ----------------------------------------------------------------------
-- Section: capture triggers (logutriga, sqltriga, jsontriga)
--
--     pgq_writer, as in the original: attaching a trigger needs EXECUTE
--     on its function, and whoever changes a captured table runs the
--     trigger's code (helpers, generated per-table overloads, which
--     pgq._trg_refresh grants itself) with their own rights, then
--     pgq.insert_event(7), so must be a pgq_writer anyway.  Granting the trigger
--     functions to public would only move the failure from CREATE
--     TRIGGER to the first INSERT.  The DDL event-trigger functions and
--     the code generator are for the installer (superuser) only.
-- ----------------------------------------------------------------------
grant execute on function
    pgq.logutriga(),
    pgq.sqltriga(),
    pgq.jsontriga(),
    pgq._trg_capture_statement(),
    pgq._trg_capture_sql(text, text),
    pgq._trg_capture_function(regclass),
    pgq._trg_capture_source(oid, text),
    pgq._trg_capture_insert(text, text, text),
    pgq.create_statement_capture(regclass, text, text, text, text[]),
    pgq._trg_fields(text, integer, text[], text, text, anyelement, anyelement, text, text, oid),
    pgq._trg_generic_fields(text, integer, text[], text, text, anyelement, anyelement, text, text, oid),
    pgq._trg_event(text, integer, text[], text, text, anyelement, anyelement, text, text, oid),
    pgq._trg_generic(text, integer, text[], text, text, anyelement, anyelement, text, text, oid),
    pgq._trg_statement(text, text, text, text, integer, text[], text, text, oid),
    pgq._trg_skip(integer, text[]),
    pgq._trg_options(text[], boolean),
    pgq._trg_type_class(oid),
    pgq._trg_columns(oid, boolean),
    pgq._trg_pkeys(oid, text),
    pgq._trg_record_values(text),
    pgq._trg_url_value(text, "char"),
    pgq._trg_json_value(text, "char", json),
    pgq._trg_expr(text, text[], text),
    pgq._trg_strlist_contains(text, text),
    pgq._trg_error(text, anyelement),
    pgq._trg_text(anyelement),
    pgq._trg_text(text),
    pgq._trg_when(boolean),
    pgq._trg_when(anyelement),
    pgq._urlencode(text),
    pgq._urlencode_punct(text),
    pgq._urlencode_full(text)
to pgq_writer;

end if;
end
$grants$;
