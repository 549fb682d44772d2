-- ----------------------------------------------------------------------
-- Section: pgq_coop schema
--
--     Cooperative consumers keep their state in pgq.subscription: a
--     subconsumer is a subscription named '<consumer>.<subconsumer>'
--     that shares the main consumer's sub_id.  No tables of its own.
-- ----------------------------------------------------------------------

create schema if not exists pgq_coop;
