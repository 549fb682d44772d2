-- ----------------------------------------------------------------------
-- Section: londiste tables
--
--     What this node replicates, per cascaded queue: the same tables and
--     columns as Skytools 3 Londiste 3.8, so the original tools read them.
--     Every statement is idempotent; older structures are brought up to
--     date by londiste.upgrade_schema().
--
--     londiste.table_info       tables of each queue; local = replicated
--                               here, merge_state = the copy state:
--                               NULL (copy not started), 'in-copy',
--                               'catching-up', 'wanna-sync:<tick>',
--                               'do-sync:<tick>', 'ok'
--     londiste.seq_info         sequences of each queue; last_value is
--                               the value last published by the root
--     londiste.applied_execute  EXECUTE'd SQL files, applied once
--     londiste.pending_fkeys    foreign keys dropped during a copy, to be
--                               restored once both tables are in sync
--
--     Londiste events (inserted on the root into the queue):
--         I / U / D / R             row changes and TRUNCATE from the
--                                   capture triggers (pgq.logutriga,
--                                   pgq.sqltriga; extra1 = table name)
--         londiste.add-table        data: table name
--         londiste.remove-table     data: table name
--         londiste.update-seq       data: value, extra1: sequence name
--         londiste.remove-seq       data: sequence name
--         EXECUTE                   data: SQL, extra1: file name,
--                                   extra2: attributes
-- ----------------------------------------------------------------------

create schema if not exists londiste;

create table if not exists londiste.table_info (
    nr                  serial not null,
    queue_name          text not null,
    table_name          text not null,
    local               boolean not null default false,
    merge_state         text,
    custom_snapshot     text,
    dropped_ddl         text,
    table_attrs         text,
    dest_table          text,

    primary key (queue_name, table_name),
    foreign key (queue_name)
      references pgq_node.node_info (queue_name)
      on delete cascade,
    -- a dropped structure is only kept while the table is being copied
    constraint table_info_check
      check (dropped_ddl is null or merge_state in ('in-copy', 'catching-up'))
);

create table if not exists londiste.seq_info (
    nr                  serial not null,
    queue_name          text not null,
    seq_name            text not null,
    local               boolean not null default false,
    last_value          int8 not null,

    primary key (queue_name, seq_name),
    foreign key (queue_name)
      references pgq_node.node_info (queue_name)
      on delete cascade
);

-- execute_attrs is added by londiste.upgrade_schema() on older structures
create table if not exists londiste.applied_execute (
    queue_name          text not null,
    execute_file        text not null,
    execute_time        timestamptz not null default now(),
    execute_sql         text not null,
    execute_attrs       text,

    primary key (execute_file)
);

create table if not exists londiste.pending_fkeys (
    from_table          text not null,
    to_table            text not null,
    fkey_name           text not null,
    fkey_def            text not null,

    primary key (from_table, fkey_name)
);
