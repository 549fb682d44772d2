create or replace function pgq._insert_code_kept(i_signature text)
returns void as $$
-- ----------------------------------------------------------------------
-- Function: pgq._insert_code_kept(1)
--
--      Internal: say that an insert function someone replaced is kept
--      (pgq._refresh_insert_code never overwrites it): a NOTICE naming
--      it, once per version of its text.  The version told about is
--      remembered in the function's comment, which is set only when the
--      function has no comment of its own (else the NOTICE comes every
--      time).
--
-- Parameters:
--      i_signature - the function, as regprocedure input text
--
-- Returns:
--      Nothing.
-- ----------------------------------------------------------------------
declare
    fn      regprocedure := pg_catalog.to_regprocedure(i_signature);
    note    text;
    tag     text;
begin
    if fn is null then
        return;
    end if;
    select 'pgq: kept as its user replaced it (text md5 ' || pg_catalog.md5(p.prosrc) || ')',
           pg_catalog.obj_description(p.oid, 'pg_proc')
      into tag, note
      from pg_catalog.pg_proc p where p.oid = fn;
    if note is not distinct from tag then
        return;
    end if;
    raise notice 'pgq: % is not the generated one (replaced by its user?): left as it is', fn;
    if note is null or note like 'pgq: kept as its user replaced it %' then
        begin
            execute 'comment on function ' || fn::text || ' is ' || pg_catalog.quote_literal(tag);
        exception when insufficient_privilege then
            null;
        end;
    end if;
end;
$$ language plpgsql;
