-- Capture triggers: create the DDL event triggers and generate the fast
-- path for existing tables (needs superuser; see pgq._trg_setup).
select pgq._trg_setup();
