-- ----------------------------------------------------------------------
-- Section: triggers on PgQ's own tables
--
--     The insert functions are generated from pgq.queue; these keep them
--     in step with every change of it, including direct UPDATEs by admin
--     tools and changes made in replica role (hence ENABLE ALWAYS).
-- ----------------------------------------------------------------------

drop trigger if exists queue_code_refresh on pgq.queue;
create trigger queue_code_refresh
    after insert or delete or update of queue_name, queue_ntables, queue_cur_table,
                                        queue_data_pfx, queue_event_seq,
                                        queue_disable_insert, queue_notify,
                                        queue_per_tx_limit
    on pgq.queue
    for each row execute function pgq._queue_changed();
alter table pgq.queue enable always trigger queue_code_refresh;

-- earlier installs: a trigger of its own for queue_cur_table, which reset a
-- per-transaction memo of the current table that the insert code no longer has
drop trigger if exists queue_state_reset on pgq.queue;
