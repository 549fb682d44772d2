create or replace function pgq._trg_capture_insert(i_queue text, i_table text, i_rows text)
returns text as $$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_capture_insert(3)
--
--      Internal: PL/pgSQL of the generated statement-level capture
--      functions (pgq._trg_capture_source) that inserts one statement's
--      events: up to 32 rows one by one through pgq.insert_event(7), whose
--      generated code keeps its plans (the row triggers' way), more with
--      one pgq.insert_event_bulk() call, which plans its INSERT at every
--      call (about as much as 20 single inserts) but then costs a fraction
--      per row.  Both keep the rows' order; a user's replacement of
--      insert_event(7) sees every event either way.
--
-- Parameters:
--      i_queue - queue name, as an SQL literal
--      i_table - the transition table that holds the statement's rows
--      i_rows  - SELECT list and FROM clause giving the fields (text[],
--                NULL for no event) as f, in the rows' order
--
-- Returns:
--      PL/pgSQL text.
-- ----------------------------------------------------------------------
    select E'\n            if (select pg_catalog.count(*) from (select from ' || i_table
        || E' limit 33) x) <= 32 then'
        || E'\n                perform pgq.insert_event(' || i_queue
        || ', s.f[1], s.f[2], s.f[3], s.f[4], s.f[5], s.f[6])'
        || E'\n                  from (select ' || i_rows || ') s'
        || E'\n                 where s.f is not null;'
        || E'\n            else'
        || E'\n                perform pgq.insert_event_bulk(' || i_queue
        || ', pg_catalog.array_agg(s.f[1]), pg_catalog.array_agg(s.f[2]), pg_catalog.array_agg(s.f[3]),'
        || ' pg_catalog.array_agg(s.f[4]), pg_catalog.array_agg(s.f[5]), pg_catalog.array_agg(s.f[6]))'
        || E'\n                  from (select ' || i_rows || ') s'
        || E'\n                 where s.f is not null;'
        || E'\n            end if;';
$$ language sql immutable;
