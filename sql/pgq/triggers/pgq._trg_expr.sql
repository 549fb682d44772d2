create or replace function pgq._trg_expr(i_expr text, i_columns text[], i_row text)
returns text as $fn$
-- ----------------------------------------------------------------------
-- Function: pgq._trg_expr(3)
--
--      Internal: prepare a when=/ev_*= expression for the generated code:
--      every plain word that is exactly a column name (case included)
--      becomes a reference to that column of the row, (<row>)."<column>".
--      This is the original's rule (it passed such words as query
--      parameters), so the same expressions mean the same thing.  Quoted
--      identifiers naming a column are references too (the original
--      rejected them).  Strings, dollar quotes, comments and dotted names
--      are copied as they are.
--
-- Parameters:
--      i_expr    - the expression from the trigger argument
--      i_columns - the table's column names
--      i_row     - SQL for the row, e.g. '$6'
--
-- Returns:
--      The expression, parenthesized.
-- ----------------------------------------------------------------------
declare
    rest    text collate "C" := i_expr;
    res     text := '';
    tok     text collate "C";
    depth   integer;
    tag     text;
    pos     integer;
begin
    while rest <> '' loop
        if rest like '/*%' then
            -- nested C-style comment
            depth := 0;
            pos := 1;
            loop
                if substr(rest, pos, 2) = '/*' then
                    depth := depth + 1;
                    pos := pos + 2;
                elsif substr(rest, pos, 2) = '*/' then
                    depth := depth - 1;
                    pos := pos + 2;
                    exit when depth = 0;
                elsif pos > length(rest) then
                    raise exception 'QB: syntax error' using detail = 'unterminated comment in: ' || i_expr;
                else
                    pos := pos + 1;
                end if;
            end loop;
            tok := substr(rest, 1, pos - 1);
        elsif rest ~ '^\$[A-Za-z_][A-Za-z0-9_]*\$' or rest like '$$%' then
            tag := substring(rest from '^(\$[A-Za-z0-9_]*\$)');
            pos := strpos(substr(rest, length(tag) + 1), tag);
            if pos = 0 then
                raise exception 'QB: syntax error' using detail = 'unterminated dollar quote in: ' || i_expr;
            end if;
            tok := substr(rest, 1, length(tag) * 2 + pos - 1);
        else
            tok := substring(rest from
                '^([[:space:]]+|--[^\n]*|[eE]''(?:[^''\\]|''''|\\.)*''|''(?:[^'']|'''')*''|"(?:[^"]|"")*"'
                '|[A-Za-z_](?:[A-Za-z0-9_.]|"(?:[^"]|"")*")*|(?:[0-9]|\.[0-9])(?:[0-9.]|[eE][-+.0-9])*'
                '|\$[0-9]+)');
            if tok is null then
                if rest ~ '^([eE]?''|")' then
                    raise exception 'QB: syntax error' using detail = 'unterminated quote in: ' || i_expr;
                end if;
                tok := substr(rest, 1, 1);
            elsif (tok !~ '[."]' and tok = any (i_columns))
                  or (tok ~ '^"' and replace(substr(tok, 2, length(tok) - 2), '""', '"') = any (i_columns))
            then
                -- a column: plain word as written, or a quoted identifier
                res := res || '(' || i_row || ').' || case when tok ~ '^"' then tok else quote_ident(tok) end;
                rest := substr(rest, length(tok) + 1);
                continue;
            end if;
        end if;
        res := res || tok;
        rest := substr(rest, length(tok) + 1);
    end loop;
    -- the newline ends a trailing -- comment
    return '(' || res || E'\n)';
end;
$fn$ language plpgsql immutable;
