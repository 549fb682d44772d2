create or replace function pgq.get_consumer_info(
    in i_queue_name     text,
    in i_consumer_name  text,
    out queue_name      text,
    out consumer_name   text,
    out lag             interval,
    out last_seen       interval,
    out last_tick       bigint,
    out current_batch   bigint,
    out next_tick       bigint,
    out pending_events  bigint)
returns setof record as $$
-- ----------------------------------------------------------------------
-- Function: pgq.get_consumer_info(2)
--
--      Position and quick stats of consumers.
--
-- Parameters:
--      i_queue_name    - queue name, NULL for all
--      i_consumer_name - consumer name, NULL for all
--
-- Returns:
--      One row per subscription (cooperative subconsumers included):
--      lag            - time since the tick the consumer stands on
--      last_seen      - time since the consumer's last activity
--      last_tick      - tick the consumer stands on
--      current_batch  - open batch, if any
--      next_tick      - end tick of the open batch
--      pending_events - events inserted after its tick and before the
--                       queue's last tick (an estimate from sequence
--                       positions)
-- ----------------------------------------------------------------------
    select q.queue_name, c.co_name,
           current_timestamp - t.tick_time,
           current_timestamp - s.sub_active,
           s.sub_last_tick, s.sub_batch, s.sub_next_tick,
           top.tick_event_seq - t.tick_event_seq
      from pgq.subscription s
      join pgq.queue q on (q.queue_id = s.sub_queue)
      join pgq.consumer c on (c.co_id = s.sub_consumer)
      left join pgq.tick t
           on (t.tick_queue = s.sub_queue and t.tick_id = s.sub_last_tick)
      left join lateral (
           select tt.tick_event_seq from pgq.tick tt
            where tt.tick_queue = s.sub_queue
            order by tt.tick_queue desc, tt.tick_id desc
            limit 1) top on true
     where (i_queue_name is null or q.queue_name = i_queue_name)
       and (i_consumer_name is null or c.co_name = i_consumer_name)
     order by 1, 2;
$$ language sql stable;

create or replace function pgq.get_consumer_info(
    in i_queue_name     text,
    out queue_name      text,
    out consumer_name   text,
    out lag             interval,
    out last_seen       interval,
    out last_tick       bigint,
    out current_batch   bigint,
    out next_tick       bigint,
    out pending_events  bigint)
returns setof record as $$
-- ----------------------------------------------------------------------
-- Function: pgq.get_consumer_info(1)
--
--      Consumers of one queue; see get_consumer_info(2).
-- ----------------------------------------------------------------------
    select * from pgq.get_consumer_info(i_queue_name, null);
$$ language sql stable;

create or replace function pgq.get_consumer_info(
    out queue_name      text,
    out consumer_name   text,
    out lag             interval,
    out last_seen       interval,
    out last_tick       bigint,
    out current_batch   bigint,
    out next_tick       bigint,
    out pending_events  bigint)
returns setof record as $$
-- ----------------------------------------------------------------------
-- Function: pgq.get_consumer_info(0)
--
--      All consumers of all queues; see get_consumer_info(2).
-- ----------------------------------------------------------------------
    select * from pgq.get_consumer_info(null, null);
$$ language sql stable;
