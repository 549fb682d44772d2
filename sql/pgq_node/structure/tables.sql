-- ----------------------------------------------------------------------
-- Section: pgq_node tables
--
--     The state of the cascaded queues this database is a member of:
--     same tables and columns as Skytools 3 pgq_node, so the original
--     tools read them.  Every statement is idempotent; upgrades of older
--     structures are done by pgq_node.upgrade_schema().
--
--     pgq_node.node_location    every member of each cascaded queue
--     pgq_node.node_info        this database's own node, one per queue
--     pgq_node.local_state      cascaded consumers writing into this node
--     pgq_node.subscriber_info  nodes that read from this node
--
--     Cascade events (ev_type 'pgq.*', ev_extra1 = queue name except
--     where noted), inserted on the root and copied down the tree:
--         pgq.location-info        data: node name, extra2: connect string
--                                  (NULL: keep the known one), extra3:
--                                  dead flag as 'true'/'false'
--         pgq.unregister-location  data: node name
--         pgq.global-watermark     data: tick id every node has processed
--         pgq.tick-id              data: tick id, extra1: part queue name
--                                  (merge leaf into its combined queue)
-- ----------------------------------------------------------------------

create schema if not exists pgq_node;

create table if not exists pgq_node.node_location (
    queue_name      text not null,
    node_name       text not null,
    node_location   text not null,
    dead            boolean not null default false,

    primary key (queue_name, node_name)
);

-- node_attrs is added by pgq_node.upgrade_schema() on structures older than 3.1
create table if not exists pgq_node.node_info (
    queue_name      text not null primary key,
    node_type       text not null,
    node_name       text not null,
    worker_name     text,
    combined_queue  text,
    node_attrs      text,

    foreign key (queue_name, node_name) references pgq_node.node_location,
    check (node_type in ('root', 'branch', 'leaf')),
    -- root and branch own a full queue; only a leaf may merge into another queue
    check (case node_type
               when 'root' then worker_name is not null and combined_queue is null
               when 'branch' then worker_name is not null and combined_queue is null
               when 'leaf' then worker_name is not null
               else false
           end)
);

create table if not exists pgq_node.local_state (
    queue_name      text not null,
    consumer_name   text not null,
    provider_node   text not null,
    last_tick_id    bigint not null,
    cur_error       text,
    paused          boolean not null default false,
    uptodate        boolean not null default false,

    primary key (queue_name, consumer_name),
    foreign key (queue_name) references pgq_node.node_info,
    foreign key (queue_name, provider_node) references pgq_node.node_location
);

create table if not exists pgq_node.subscriber_info (
    queue_name          text not null,
    subscriber_node     text not null,
    worker_name         text not null,
    watermark_name      text not null,

    primary key (queue_name, subscriber_node),
    foreign key (queue_name) references pgq_node.node_info,
    foreign key (queue_name, subscriber_node) references pgq_node.node_location,
    foreign key (worker_name) references pgq.consumer (co_name),
    foreign key (watermark_name) references pgq.consumer (co_name)
);
