-- ----------------------------------------------------------------------
-- Section: PgQ tables
--
--     Same names and columns as Skytools 3 PgQ, so that existing clients,
--     pgqd and monitoring queries keep working.  Every statement is
--     idempotent: on an existing install it changes nothing, and
--     pgq.upgrade_schema() brings older structures up to date.
--
--     pgq.consumer         Name to id map for consumers
--     pgq.queue            Queues and their settings
--     pgq.tick             Snapshots that cut the event stream into batches
--     pgq.subscription     Consumer registrations and open batches
--     pgq.event_template   Parent of all event tables (never holds rows)
--     pgq.retry_queue      Events waiting to be re-inserted for one consumer
--
--     Beyond Skytools: pgq.queue.queue_notify makes producers send
--     NOTIFY pgq_insert (payload: queue name) so a ticker can tick at
--     once instead of on its next round.  pgq.tx_event_count holds the
--     per-transaction event counts of queues with queue_per_tx_limit
--     (the original keeps them in its C code's memory; a setting, which
--     a writer could reset, would not hold them safely).
--     pgq.queue.queue_switch_wait lists the transactions that step 2 of a
--     rotation waits for (see pgq.maint_rotate_tables_step2).
-- ----------------------------------------------------------------------

create schema if not exists pgq;

-- The roles that the grants refer to (pgq_reader, pgq_writer, pgq_admin)
-- are made by pgq.upgrade_schema() (pgq._create_roles).

create table if not exists pgq.consumer (
    co_id       serial,
    co_name     text        not null,

    constraint consumer_pkey primary key (co_id),
    constraint consumer_name_uq unique (co_name)
);

create table if not exists pgq.queue (
    queue_id                    serial,
    queue_name                  text        not null,

    queue_ntables               integer     not null default 3,
    queue_cur_table             integer     not null default 0,
    queue_rotation_period       interval    not null default '2 hours',
    queue_switch_step1          bigint      not null default txid_current(),
    queue_switch_step2          bigint               default txid_current(),
    queue_switch_time           timestamptz not null default now(),

    queue_external_ticker       boolean     not null default false,
    queue_disable_insert        boolean     not null default false,
    queue_ticker_paused         boolean     not null default false,

    queue_ticker_max_count      integer     not null default 500,
    queue_ticker_max_lag        interval    not null default '3 seconds',
    queue_ticker_idle_period    interval    not null default '1 minute',

    queue_per_tx_limit          integer,

    queue_data_pfx              text        not null,
    queue_event_seq             text        not null,
    queue_tick_seq              text        not null,

    queue_extra_maint           text[],

    -- ours, after the original's columns: clients that read rows by position
    -- see the original's layout, and an upgrade (ADD COLUMN) puts them here too
    queue_notify                boolean     not null default false,
    -- transactions a rotation waits for (pgq.maint_rotate_tables_step2)
    queue_switch_wait           text[],

    constraint queue_pkey primary key (queue_id),
    constraint queue_name_uq unique (queue_name)
);

create table if not exists pgq.tick (
    tick_queue                  int4            not null,
    tick_id                     bigint          not null,
    tick_time                   timestamptz     not null default now(),
    tick_snapshot               txid_snapshot   not null default txid_current_snapshot(),
    tick_event_seq              bigint          not null,

    constraint tick_pkey primary key (tick_queue, tick_id),
    constraint tick_queue_fkey foreign key (tick_queue)
                               references pgq.queue (queue_id)
);

create sequence if not exists pgq.batch_id_seq;

create table if not exists pgq.subscription (
    sub_id          serial      not null,
    sub_queue       int4        not null,
    sub_consumer    int4        not null,
    sub_last_tick   bigint,
    sub_active      timestamptz not null default now(),
    sub_batch       bigint,
    sub_next_tick   bigint,

    constraint subscription_pkey primary key (sub_queue, sub_consumer),
    constraint subscription_batch_idx unique (sub_batch),
    constraint sub_queue_fkey foreign key (sub_queue)
                             references pgq.queue (queue_id),
    constraint sub_consumer_fkey foreign key (sub_consumer)
                             references pgq.consumer (co_id)
);

create table if not exists pgq.event_template (
    ev_id               bigint          not null,
    ev_time             timestamptz     not null,

    ev_txid             bigint          not null default txid_current(),
    ev_owner            int4,
    ev_retry            int4,

    ev_type             text,
    ev_data             text,
    ev_extra1           text,
    ev_extra2           text,
    ev_extra3           text,
    ev_extra4           text
);

create table if not exists pgq.retry_queue (
    ev_retry_after          timestamptz     not null,
    ev_queue                int4            not null,

    like pgq.event_template,

    constraint rq_pkey primary key (ev_owner, ev_id),
    constraint rq_queue_id_fkey foreign key (ev_queue)
                             references pgq.queue (queue_id)
);
alter table pgq.retry_queue alter column ev_owner set not null;
alter table pgq.retry_queue alter column ev_txid drop not null;
create index if not exists rq_retry_idx on pgq.retry_queue (ev_retry_after);

create unlogged table if not exists pgq.tx_event_count (
    tx_txid             bigint          not null,
    tx_queue_id         int4            not null,
    tx_events           bigint          not null,
    constraint tx_event_count_pkey primary key (tx_txid, tx_queue_id)
);
