create or replace function pgq.create_queue(i_queue_name text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.create_queue(1)
--
--      Create a queue: its row, two sequences, a parent table and
--      queue_ntables rotated data tables, and the first tick.
--
-- Parameters:
--      i_queue_name - name of the queue
--
-- Returns:
--      1 if created, 0 if the queue already exists.
--
-- Tables directly manipulated:
--      insert - pgq.queue
--      create - pgq.event_N, pgq.event_N_0 .. pgq.event_N_<ntables-1>
-- ----------------------------------------------------------------------
declare
    tblpfx      text;
    tblname     text;
    idxname     text;
    idxdef      text;
    id          integer;

    tick_seq    text;
    ev_seq      text;
    n_tables    integer;
begin
    if i_queue_name is null then
        raise exception 'Invalid NULL value';
    end if;

    -- serialise queue creation, so names and ids are allocated in order
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgq.create_queue'));

    perform 1 from pgq.queue where queue_name = i_queue_name;
    if found then
        return 0;
    end if;

    -- the DDL below makes new tables without capture triggers: the DDL
    -- event trigger of capture (pgq._trg_ddl_watch) has nothing to do
    perform pg_catalog.set_config('pgq.trg_quiet', 'create_queue', true);

    -- allocate id
    id := nextval('pgq.queue_queue_id_seq');
    tblpfx := 'pgq.event_' || id::text;
    idxname := 'event_' || id::text;
    tick_seq := tblpfx || '_tick_seq';
    ev_seq := tblpfx || '_id_seq';

    insert into pgq.queue (queue_id, queue_name,
            queue_data_pfx, queue_event_seq, queue_tick_seq)
        values (id, i_queue_name, tblpfx, ev_seq, tick_seq);

    select queue_ntables into n_tables from pgq.queue
        where queue_id = id;

    -- create seqs
    execute 'create sequence ' || pgq.quote_fqname(tick_seq);
    execute 'create sequence ' || pgq.quote_fqname(ev_seq);

    -- create data tables
    execute 'create table ' || pgq.quote_fqname(tblpfx) || ' () '
            || ' inherits (pgq.event_template)';
    for i in 0 .. (n_tables - 1) loop
        tblname := tblpfx || '_' || i::text;
        execute 'create table ' || pgq.quote_fqname(tblname) || ' () '
                || ' inherits (' || pgq.quote_fqname(tblpfx) || ')';
        execute 'alter table ' || pgq.quote_fqname(tblname)
                || ' alter column ev_id '
                || ' set default nextval(' || quote_literal(ev_seq) || ')';
        execute 'create index ' || quote_ident(idxname || '_' || i::text || '_txid_idx')
                || ' on ' || pgq.quote_fqname(tblname) || ' (ev_txid)';
    end loop;

    perform pgq.grant_perms(i_queue_name);

    perform pgq.ticker(i_queue_name);

    perform pgq.tune_storage(i_queue_name);

    perform pg_catalog.set_config('pgq.trg_quiet', '', true);
    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
