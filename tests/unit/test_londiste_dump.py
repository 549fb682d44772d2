"""engine.londiste.dump's pure parts: the --table patterns, the trigger filter of the
table of contents, the facts kept beside an archive.  Pure: no database."""

from __future__ import annotations

import pytest

from engine.londiste import dump

TOC = """\
;
; Archive created at 2026-12-02 20:00:00 UTC
;
215; 1259 16390 TABLE public t postgres
216; 1259 16395 TABLE public ev postgres
3301; 2606 16399 CONSTRAINT public t t_pkey postgres
3302; 1259 16400 INDEX public ev_k postgres
3303; 2620 16401 TRIGGER public t _londiste_lq postgres
3304; 2620 16402 TRIGGER public t _londiste_lq_truncate postgres
3305; 2620 16403 TRIGGER public t zzz__londiste_lq postgres
3306; 2620 16404 TRIGGER public t audit_londiste postgres
3307; 2620 16405 TRIGGER public ev my_trigger postgres
"""


def test_londiste_triggers_are_left_out():
    kept = [ln for ln in TOC.splitlines() if not dump._is_londiste_trigger(ln)]
    assert [ln.split()[-2] for ln in kept if " TRIGGER " in ln] == [
        "audit_londiste",
        "my_trigger",
    ]
    assert sum(" TABLE " in ln or " INDEX " in ln or " CONSTRAINT " in ln for ln in kept) == 4


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("public.t", '"public"."t"'),
        ("Big.log_*", '"Big"."log_*"'),
        ('we"ird.a.b', '"we""ird"."a.b"'),
    ],
)
def test_table_patterns_are_quoted(name, pattern):
    assert dump._table_pattern(name) == pattern


def test_facts_round_trip(tmp_path):
    info = dump.DumpInfo("q", "root", ("public.t",), "10:20:12,15", 7, str(tmp_path / "a.dump"))
    info.save()
    assert dump.read_info(info.archive) == info
    (tmp_path / ("b.dump" + dump.META_SUFFIX)).write_text("{not json")
    with pytest.raises(dump.DumpError, match="not a dump description"):
        dump.read_info(str(tmp_path / "b.dump"))
    with pytest.raises(dump.DumpError, match="only a dump made by from_dump"):
        dump.read_info(str(tmp_path / "c.dump"))
