"""EXECUTE header parsing and encoding (engine.londiste.exec_attrs), no database."""

from __future__ import annotations

import pytest

from engine.londiste import exec_attrs


def test_header_with_continuations_stops_at_first_statement() -> None:
    text = (
        "\n  --\n--*-- Local-Table: foo ,\n--\n--*-- bar ,\n--*--\n--*-- zoo\n--*--\n"
        "--*-- local-sequence: goo\n-- plain comment\ncreate table x (id int);\n"
        "--*-- Need-Table: ignored\n"
    )
    assert exec_attrs.parse_sql(text) == {
        "Local-Table": ["foo", "bar", "zoo"],
        "Local-Sequence": ["goo"],
    }


def test_invalid_key_is_an_error() -> None:
    with pytest.raises(exec_attrs.ExecAttrsError, match="invalid key 'Local-Tabel'"):
        exec_attrs.parse_sql("--*-- Local-Tabel: t\n")


def test_urlencoding_is_the_originals() -> None:
    attrs = {"Local-Table": ["mytable"], "Local-Sequence": ["seq1", "seq2"]}
    enc = exec_attrs.to_urlenc(attrs)
    assert enc == "local-table=mytable&local-sequence=seq1%2Cseq2"
    assert exec_attrs.parse_urlenc(enc) == attrs
    # the original's spelling (lower-case percent escapes) reads the same
    assert exec_attrs.parse_urlenc("local-sequence=seq1%2cseq2") == {
        "Local-Sequence": ["seq1", "seq2"]
    }
    assert exec_attrs.to_urlenc({}) is None
    assert exec_attrs.parse_urlenc(None) == {}


def test_local_matches_without_database() -> None:
    attrs = {"Local-Table": ["t1", "public.t2"]}
    tables = {"public.t1": "public.t1", "public.t2": "other.T2"}
    assert exec_attrs.need_execute(None, attrs, tables, {})
    assert not exec_attrs.need_execute(None, attrs, {}, {})
    with pytest.raises(exec_attrs.ExecAttrsError, match=r"partly.*lacks Local-Table public\.t2"):
        exec_attrs.need_execute(None, attrs, {"public.t1": "public.t1"}, {})
    # no header: runs everywhere
    assert exec_attrs.need_execute(None, {}, {}, {})
