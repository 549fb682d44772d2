"""The renderer: psql-like aligned and expanded text, CSV, JSON, units, test mode."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from qadmin.output import readable_duration, readable_rate, render
from qadmin.result import Result, Settings

RESULT = Result(
    title="Queue",
    columns=("name", "lag", "rate", "n"),
    rows=(("q1", dt.timedelta(seconds=1.23), 12.345, 5), ("queue_two", None, None, 10)),
    types={"lag": "duration", "rate": "rate"},
    volatile=frozenset({"lag"}),
)


def test_aligned():
    assert render(RESULT, Settings()) == (
        "               Queue\n"
        "    name   |  lag  |    rate   | n\n"
        "-----------+-------+-----------+----\n"
        " q1        | 1.2 s | 12.3 ev/s |  5\n"
        " queue_two |       |           | 10\n"
        "(2 rows)\n"
        "\n"
    )


def test_expanded():
    out = render(RESULT, Settings(format="expanded"))
    assert "-[ RECORD 1 ]" in out and "lag  | 1.2 s" in out and "-[ RECORD 2 ]" in out


def test_csv_and_json_keep_numbers_and_nulls():
    assert render(RESULT, Settings(format="csv")).splitlines() == [
        "name,lag,rate,n",
        "q1,1.23,12.345,5",
        "queue_two,,,10",
    ]
    data = json.loads(render(RESULT, Settings(format="json")))
    assert data[1] == {"name": "queue_two", "lag": None, "rate": None, "n": 10}
    assert data[0]["lag"] == 1.23


def test_mask_volatile():
    out = render(RESULT, Settings(mask_volatile=True))
    assert "***" in out and "1.2 s" not in out
    assert " queue_two |     |" in out  # NULL stays empty


def test_status_notes_and_empty_result():
    r = Result(columns=("a",), rows=(), status=None, notes=("note",))
    assert render(r, Settings()) == "note\n a\n---\n(0 rows)\n\n"
    assert render(Result(status="CREATE QUEUE"), Settings()) == "CREATE QUEUE\n"
    assert render(Result(status="CREATE QUEUE"), Settings(format="json")) == ""


def test_multiline_cells_and_more_tables():
    r = Result(columns=("a",), rows=(("x\ny",),), more=(Result(title="More", columns=("b",)),))
    out = render(r, Settings())
    assert " x\n y\n(1 row)" in out and "More" in out


def test_units():
    assert readable_duration(0.04) == "0.0 s"
    assert readable_duration(dt.timedelta(minutes=3, seconds=30)) == "3.5 min"
    assert readable_duration(7200) == "2.0 h"
    assert readable_duration(-5) == "-5.0 s"
    assert readable_rate(3) == "3.0 ev/s"


# ---- the aligned table's one-line-row fast path against the general layout


def _reference_aligned_rows(
    cells: list[list[str]], widths: list[int], right: list[bool]
) -> list[str]:
    """How _aligned laid out every row before its one-line fast path (any cell may wrap)."""
    out = []
    for r in cells:
        split = [c.split("\n") for c in r]
        for k in range(max(len(s) for s in split)):
            parts = []
            for i, w in enumerate(widths):
                piece = split[i][k] if k < len(split[i]) else ""
                parts.append(piece.rjust(w) if right[i] else piece.ljust(w))
            out.append((" " + " | ".join(parts)).rstrip())
    return out


_CELL = st.text(alphabet="ab \n|-", max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda n: st.lists(st.lists(_CELL, min_size=n, max_size=n), max_size=4)
    )
)
def test_aligned_rows_match_the_general_layout(rows):
    ncols = len(rows[0]) if rows else 1
    columns = tuple(f"c{i}" for i in range(ncols))
    result = Result(columns=columns, rows=tuple(tuple(r) for r in rows), types={"c0": "number"})
    lines = render(result, Settings()).split("\n")
    widths = [
        max([len(c), *(max(len(x) for x in r[i].split("\n")) for r in rows)])
        for i, c in enumerate(columns)
    ]
    body = lines[2 : len(lines) - 3]  # between the header rule and "(n rows)"
    right = [True] + [False] * (ncols - 1)
    assert body == _reference_aligned_rows([list(r) for r in rows], widths, right)
