-- ----------------------------------------------------------------------
-- Section: londiste privileges
--
--     The grants of Londiste 3.8:
--     public           the name helpers and version(); SELECT on the tables
--     londiste_reader  what a subscriber's worker calls on its provider
--                      (get_table_list, get_seq_list); SELECT on the tables
--     londiste_writer  that, the worker's and the admin's functions on its
--                      own node, maintenance; USAGE on the sequences
--     pgq_admin        maintenance; DML on the tables, as in the original
--                      (the functions run as their caller, who needs it)
--
--     local_set_skip_truncate, _apply_rows and _urldecode are ours (never installed by
--     the original); they go to londiste_writer.  Unlike the original, local_change_handler is not executable by
--     everybody (it was in no group of the original's grants) but by
--     londiste_writer like local_add_table.
-- ----------------------------------------------------------------------

grant usage on schema londiste to public;

revoke all on all functions in schema londiste from public;
revoke all on table londiste.table_info, londiste.seq_info, londiste.pending_fkeys,
    londiste.applied_execute from public;
grant select on table londiste.table_info, londiste.seq_info, londiste.pending_fkeys,
    londiste.applied_execute to public;

grant execute on function
    londiste.find_column_types(text),
    londiste.find_table_fkeys(text),
    londiste.find_rel_oid(text, text),
    londiste.find_table_oid(text),
    londiste.find_seq_oid(text),
    londiste.is_replica_func(oid),
    londiste.quote_fqname(text),
    londiste.make_fqname(text),
    londiste.split_fqname(text),
    londiste.version()
to public;

do $grants$
begin
if (select pg_catalog.count(*) from pg_catalog.pg_roles
     where rolname in ('londiste_reader', 'londiste_writer', 'pgq_admin')) = 3 then

grant select on table londiste.table_info, londiste.seq_info, londiste.pending_fkeys,
    londiste.applied_execute to londiste_reader;
grant select, insert, update, delete on table londiste.table_info, londiste.seq_info,
    londiste.pending_fkeys, londiste.applied_execute to pgq_admin;

-- a subscriber's worker on its provider
grant execute on function
    londiste.get_seq_list(text),
    londiste.get_table_list(text),
    londiste._coordinate_copy(text, text)
to londiste_reader, londiste_writer;

-- the worker and the admin on their own node
grant execute on function
    londiste.local_show_missing(text),
    londiste.local_add_seq(text, text),
    londiste.local_add_table(text, text, text[], text, text),
    londiste.local_add_table(text, text, text[], text),
    londiste.local_add_table(text, text, text[]),
    londiste.local_add_table(text, text),
    londiste.local_change_handler(text, text, text[], text),
    londiste.local_remove_seq(text, text),
    londiste.local_remove_table(text, text),
    londiste.global_add_table(text, text),
    londiste.global_remove_table(text, text),
    londiste.global_update_seq(text, text, int8),
    londiste.global_remove_seq(text, text),
    londiste.get_table_pending_fkeys(text),
    londiste.get_valid_pending_fkeys(text),
    londiste.drop_table_fkey(text, text),
    londiste.restore_table_fkey(text, text, boolean),
    londiste.execute_start(text, text, text, boolean),
    londiste.execute_start(text, text, text, boolean, text),
    londiste.execute_finish(text, text),
    londiste._apply_rows(regclass, text, text, int8, int8, text, text, text),
    londiste._urldecode(text, text),
    londiste.root_notify_change(text, text, text),
    londiste.local_set_table_state(text, text, text, text),
    londiste.local_set_table_attrs(text, text, text),
    londiste.local_set_table_struct(text, text, text),
    londiste.local_set_skip_truncate(text, text, boolean),
    londiste.drop_table_triggers(text, text),
    londiste.table_info_trigger(),
    londiste.create_partition(text, text, text, text, timestamptz, text),
    londiste.is_obsolete_partition(text, interval, text),
    londiste._partition_suffix(text),
    londiste.list_obsolete_partitions(text, interval, text),
    londiste.drop_obsolete_partitions(text, interval, text),
    londiste.create_trigger(text, text, text[], text, text),
    londiste.periodic_maintenance(),
    londiste.set_session_replication_role(text, boolean),
    londiste.upgrade_schema()
to londiste_writer;

grant usage on sequence londiste.table_info_nr_seq, londiste.seq_info_nr_seq
to londiste_writer;

-- maintenance (pgqd)
grant execute on function
    londiste.periodic_maintenance(),
    londiste.root_check_seqs(text),
    londiste.root_check_seqs(text, int8)
to pgq_admin, londiste_writer;

end if;
end
$grants$;
