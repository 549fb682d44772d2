-- Capture triggers: drop internal functions of earlier development
-- versions whose signature or result type changed (CREATE OR REPLACE
-- cannot change a result type, and a left-over overload would make calls
-- ambiguous).  Nothing outside sql/pgq/triggers calls these.
drop function if exists pgq._trg_build(oid, text, text[]);
drop function if exists pgq._trg_column_sql(text, oid, text, text);
drop function if exists pgq._trg_columns(oid);
drop function if exists pgq._trg_columns(oid, boolean);
drop function if exists pgq._trg_json_value(text, "char", oid);
