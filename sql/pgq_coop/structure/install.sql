-- ----------------------------------------------------------------------
-- pgq_coop: cooperative consumers.  Needs pgq.
--
--     psql:     psql -v ON_ERROR_STOP=1 -1 -f sql/pgq_coop/structure/install.sql
--     qadmin:   python -m engine.install pgq_coop
-- ----------------------------------------------------------------------

set check_function_bodies = off;
set client_min_messages = warning;

\ir schema.sql
\ir ../functions/pgq_coop.register_subconsumer.sql
\ir ../functions/pgq_coop.unregister_subconsumer.sql
\ir ../functions/pgq_coop.next_batch.sql
\ir ../functions/pgq_coop.finish_batch.sql
\ir ../functions/pgq_coop.version.sql
\ir grants.sql

reset client_min_messages;
reset check_function_bodies;
