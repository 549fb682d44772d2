-- ----------------------------------------------------------------------
-- Section: pgq_coop privileges: consumers (pgq_reader) use all of it.
-- ----------------------------------------------------------------------

grant usage on schema pgq_coop to public;
revoke all on all functions in schema pgq_coop from public;
grant execute on function pgq_coop.version() to public;
-- when the roles exist (engine.install --no-roles installs without them)
do $grants$
begin
if exists (select 1 from pg_catalog.pg_roles where rolname = 'pgq_reader') then
grant execute on function
    pgq_coop.register_subconsumer(text, text, text),
    pgq_coop.unregister_subconsumer(text, text, text, integer),
    pgq_coop.next_batch(text, text, text),
    pgq_coop.next_batch(text, text, text, interval),
    pgq_coop.next_batch_custom(text, text, text, interval, int4, interval),
    pgq_coop.next_batch_custom(text, text, text, interval, int4, interval, interval),
    pgq_coop.finish_batch(bigint)
to pgq_reader;
end if;
end
$grants$;
