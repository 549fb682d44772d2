-- ----------------------------------------------------------------------
-- Section: qadmin_ext privileges
--
--     Whoever applies batches to this database records them, whatever
--     its role (the pgq roles need not exist in a target cluster), so the
--     functions are security definer and public, as pgq_ext's were; the
--     table is written only through them and readable by everybody.
-- ----------------------------------------------------------------------

grant usage on schema qadmin_ext to public;
revoke all on all functions in schema qadmin_ext from public;
grant execute on function
    qadmin_ext.set_batch_done(text, bigint),
    qadmin_ext.forget_batches(text, bigint),
    qadmin_ext.version()
to public;
revoke all on table qadmin_ext.completed_batch from public;
grant select on table qadmin_ext.completed_batch to public;
