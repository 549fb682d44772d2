"""Describe ordinary database objects (tables, sequences) and installed versions."""

from __future__ import annotations

import psycopg2.extensions

from engine.admin import AdminError, Table, fetch_table
from engine.db import fetch_value, sql

__all__ = ["describe_sequence", "describe_table", "module_versions", "resolve_relation"]

RESOLVE_SQL = """
select c.oid, n.nspname, c.relname, c.relkind
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relname = %(name)s
   and (%(schema)s::text is null and pg_catalog.pg_table_is_visible(c.oid)
        or n.nspname = %(schema)s)
"""

COLUMNS_SQL = """
select a.attname as column, pg_catalog.format_type(a.atttypid, a.atttypmod) as type,
       case when a.attnotnull then 'not null' else '' end as nullable,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default
  from pg_catalog.pg_attribute a
  left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
 where a.attrelid = %s and a.attnum > 0 and not a.attisdropped
 order by a.attnum
"""

INDEXES_SQL = """
select i.relname as index, pg_catalog.pg_get_indexdef(x.indexrelid) as definition
  from pg_catalog.pg_index x
  join pg_catalog.pg_class i on i.oid = x.indexrelid
 where x.indrelid = %s
 order by x.indisprimary desc, i.relname
"""

CONSTRAINTS_SQL = """
select conname as constraint, pg_catalog.pg_get_constraintdef(oid) as definition
  from pg_catalog.pg_constraint
 where conrelid = %s and contype in ('c', 'f', 'x')
 order by conname
"""

TRIGGERS_SQL = """
select tgname as trigger, pg_catalog.pg_get_triggerdef(oid) as definition
  from pg_catalog.pg_trigger
 where tgrelid = %s and not tgisinternal
 order by tgname
"""

SEQUENCE_SQL = """
select s.seqtypid::regtype::text as type, s.seqstart as start, s.seqincrement as increment,
       s.seqmin as minvalue, s.seqmax as maxvalue, s.seqcache as cache, s.seqcycle as cycle,
       pg_catalog.pg_sequence_last_value(s.seqrelid) as last_value
  from pg_catalog.pg_sequence s
 where s.seqrelid = %s
"""

VERSIONS_SQL = """
select n.nspname
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
 where p.proname = 'version' and p.pronargs = 0
   and n.nspname in ('pgq', 'pgq_coop', 'pgq_node', 'londiste', 'pgq_ext')
 order by n.nspname
"""


def resolve_relation(
    cur: psycopg2.extensions.cursor, name: str, kinds: str, what: str
) -> tuple[int, str]:
    """(oid, qualified name) of a table or sequence given as name or schema.name."""
    schema, _, rel = name.rpartition(".")
    cur.execute(RESOLVE_SQL, {"name": rel, "schema": schema or None})
    rows = [r for r in cur.fetchall() if r[3] in kinds]
    if not rows:
        raise AdminError(f'{what} "{name}" does not exist')
    oid, nsp, relname, _ = rows[0]
    return oid, f"{nsp}.{relname}"


def describe_table(cur: psycopg2.extensions.cursor, name: str) -> tuple[str, list[Table]]:
    """Qualified name and tables of columns, indexes, constraints and triggers."""
    oid, qname = resolve_relation(cur, name, "rpf", "table")
    parts = [fetch_table(cur, q, [oid]) for q in (COLUMNS_SQL, INDEXES_SQL)]
    parts += [fetch_table(cur, q, [oid]) for q in (CONSTRAINTS_SQL, TRIGGERS_SQL)]
    return qname, parts


def describe_sequence(cur: psycopg2.extensions.cursor, name: str) -> tuple[str, Table]:
    """Qualified name and settings plus current value of a sequence."""
    oid, qname = resolve_relation(cur, name, "S", "sequence")
    return qname, fetch_table(cur, SEQUENCE_SQL, [oid])


def module_versions(cur: psycopg2.extensions.cursor) -> dict[str, str]:
    """Installed SQL modules and their versions."""
    cur.execute(VERSIONS_SQL)
    out = {}
    for (schema,) in cur.fetchall():
        out[schema] = fetch_value(
            cur, sql.SQL("select {}.version()").format(sql.Identifier(schema))
        )
    return out
