create or replace function pgq.upgrade_schema()
returns int4 as $$
-- ----------------------------------------------------------------------
-- Function: pgq.upgrade_schema(0)
--
--      Bring the structure of an older install up to date.  Idempotent:
--      a current install reports 0 changes.
--
-- Returns:
--      Number of changes made.
-- ----------------------------------------------------------------------
declare
    cnt int4 = 0;
    col record;
begin
    -- pgq.subscription.sub_last_tick: NOT NULL -> NULL (coop subconsumers)
    perform 1 from information_schema.columns
      where table_schema = 'pgq'
        and table_name = 'subscription'
        and column_name ='sub_last_tick'
        and is_nullable = 'NO';
    if found then
        alter table pgq.subscription
            alter column sub_last_tick
            drop not null;
        cnt := cnt + 1;
    end if;

    -- queue settings added after 3.0
    for col in
        select * from (values
            ('queue_disable_insert', 'boolean not null default false'),
            ('queue_ticker_paused', 'boolean not null default false'),
            ('queue_per_tx_limit', 'integer'),
            ('queue_extra_maint', 'text[]'),
            ('queue_notify', 'boolean not null default false'),
            ('queue_switch_wait', 'text[]')) v(name, def)
    loop
        perform 1 from pg_catalog.pg_attribute
          where attrelid = 'pgq.queue'::regclass
            and attname = col.name
            and not attisdropped;
        if not found then
            execute 'alter table pgq.queue add column ' || quote_ident(col.name) || ' ' || col.def;
            cnt := cnt + 1;
        end if;
    end loop;

    -- retry events have no txid until they are re-inserted
    perform 1 from pg_catalog.pg_attribute
      where attrelid = 'pgq.retry_queue'::regclass
        and attname = 'ev_txid'
        and attnotnull;
    if found then
        alter table pgq.retry_queue alter column ev_txid drop not null;
        cnt := cnt + 1;
    end if;

    -- roles (those missing; see there for installs without CREATEROLE)
    cnt := cnt + pgq._create_roles();

    return cnt;
end;
$$ language plpgsql;
