create or replace function pgq.set_queue_config(
    x_queue_name    text,
    x_param_name    text,
    x_param_value   text)
returns integer as $$
-- ----------------------------------------------------------------------
-- Function: pgq.set_queue_config(3)
--
--      Change one setting of a queue.
--
-- Parameters:
--      x_queue_name    - name of the queue
--      x_param_name    - setting, with or without the 'queue_' prefix:
--                        ticker_max_count, ticker_max_lag,
--                        ticker_idle_period, ticker_paused,
--                        rotation_period, external_ticker,
--                        per_tx_limit, disable_insert, extra_maint,
--                        notify (producers send NOTIFY pgq_insert)
--      x_param_value   - new value as text, cast to the setting's type;
--                        NULL clears per_tx_limit and extra_maint
--
-- Returns:
--      1 on success.
--
-- Tables directly manipulated:
--      update - pgq.queue
-- ----------------------------------------------------------------------
declare
    v_param_name    text;
begin
    if x_param_name is null then
        raise exception 'Invalid NULL value';
    end if;

    -- discard NULL input
    if x_queue_name is null then
        raise exception 'Invalid NULL value';
    end if;

    -- check if queue exists
    perform 1 from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'No such event queue: %', x_queue_name;
    end if;

    -- check if valid parameter name
    v_param_name := lower(x_param_name);
    if v_param_name not like 'queue\_%' then
        v_param_name := 'queue_' || v_param_name;
    end if;
    if v_param_name not in (
        'queue_ticker_max_count',
        'queue_ticker_max_lag',
        'queue_ticker_idle_period',
        'queue_ticker_paused',
        'queue_rotation_period',
        'queue_external_ticker',
        'queue_per_tx_limit',
        'queue_disable_insert',
        'queue_extra_maint',
        'queue_notify')
    then
        raise exception 'cannot change parameter "%"', x_param_name
            using hint = 'settings: ticker_max_count, ticker_max_lag, ticker_idle_period,'
                || ' ticker_paused, rotation_period, external_ticker, per_tx_limit,'
                || ' disable_insert, extra_maint, notify';
    end if;
    if x_param_value is null
       and v_param_name not in ('queue_per_tx_limit', 'queue_extra_maint')
    then
        raise exception 'parameter "%" cannot be NULL', x_param_name;
    end if;

    execute 'update pgq.queue set '
        || quote_ident(v_param_name) || ' = ' || quote_nullable(x_param_value)
        || ' where queue_name = ' || quote_literal(x_queue_name);

    return 1;
end;
$$ language plpgsql security definer set search_path = pg_catalog, pg_temp;
