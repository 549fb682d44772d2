-- ----------------------------------------------------------------------
-- Section: qadmin_ext tables
--
--     completed_batch  batches applied here, by tracking key
--                      (source database/queue/consumer): a batch replayed
--                      after a crash between this database's commit and
--                      finish_batch on the source is found and skipped.
--                      Rows older than the consumer's oldest open batch
--                      are pruned (forget_batches).
-- ----------------------------------------------------------------------

create schema if not exists qadmin_ext;

create table if not exists qadmin_ext.completed_batch (
    tracking_key    text        not null,
    batch_id        bigint      not null,
    done_time       timestamptz not null default now(),
    primary key (tracking_key, batch_id)
);
comment on table qadmin_ext.completed_batch is
    'Batches a qadmin consumer (queue_mover, table_dispatcher) applied here, so a batch '
    'replayed after a crash is applied once; tracking_key = source db/queue/consumer';
