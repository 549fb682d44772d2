-- ----------------------------------------------------------------------
-- qadmin_ext: batch tracking in a database that remote consumers
-- (queue_mover, table_dispatcher with dst_db) apply batches to, so each
-- batch is applied there exactly once.  Needs nothing else; install it
-- in the target database, like pgq_ext in Skytools.
--
--     psql:     psql -v ON_ERROR_STOP=1 -1 -f sql/qadmin_ext/structure/install.sql
--     qadmin:   python -m engine.install -d TARGET qadmin_ext
--               (or INSTALL qadmin_ext; in the console connected to it)
-- ----------------------------------------------------------------------

set check_function_bodies = off;
set client_min_messages = warning;

\ir tables.sql
\ir ../functions/qadmin_ext.set_batch_done.sql
\ir ../functions/qadmin_ext.forget_batches.sql
\ir ../functions/qadmin_ext.version.sql
\ir grants.sql

reset client_min_messages;
reset check_function_bodies;
