"""Render a Result as psql-like aligned or expanded text, CSV or JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import io
import json
import shutil
from collections.abc import Sequence
from typing import Any

from qadmin.charts import line_chart, sparkline
from qadmin.result import Chart, Result, Settings

__all__ = ["MASK", "readable_duration", "readable_rate", "render", "seconds"]

MASK = "***"
_NUMERIC = (int, float, decimal.Decimal)


def seconds(value: Any) -> float | None:
    """A duration (timedelta or number of seconds) in seconds."""
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


def readable_duration(value: Any) -> str:
    """`0.4 s`, `12.0 s`, `3.5 min`, `2.0 h`, `1.5 d`."""
    s = seconds(value)
    if s is None:
        return ""
    sign, s = ("-" if s < 0 else ""), abs(s)
    if s < 60:
        return f"{sign}{s:.1f} s"
    if s < 3600:
        return f"{sign}{s / 60:.1f} min"
    if s < 86400:
        return f"{sign}{s / 3600:.1f} h"
    return f"{sign}{s / 86400:.1f} d"


def readable_rate(value: Any) -> str:
    if value is None:
        return ""
    return f"{float(value):.1f} ev/s"


def _text(value: Any, kind: str | None) -> str:
    """One value as a table cell."""
    if value.__class__ is str and (kind is None or kind == "number"):
        return value  # what the server wrote (plain SQL): the common case first
    if value is None:
        return ""
    if kind == "duration":
        return readable_duration(value)
    if kind == "rate":
        return readable_rate(value)
    if kind == "sparkline":
        return sparkline(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (list, tuple)):
        return "{" + ",".join(_text(v, None) for v in value) + "}"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _plain(value: Any, kind: str | None) -> Any:
    """One value for CSV/JSON: numbers stay numbers, durations become seconds."""
    if value is None:
        return None
    if kind == "duration":
        return seconds(value)
    if kind == "number" and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _masked(result: Result, settings: Settings) -> list[list[Any]] | tuple[tuple[Any, ...], ...]:
    """The rows with volatile values masked; the result's own rows when none is (read only)."""
    if not (settings.mask_volatile and result.volatile):
        return result.rows
    rows = [list(r) for r in result.rows]
    idx = [i for i, c in enumerate(result.columns) if c in result.volatile]
    for row in rows:
        for i in idx:
            if row[i] is not None:
                row[i] = MASK
    return rows


def _kinds(result: Result) -> list[str | None]:
    return [result.types.get(c) for c in result.columns]


def _is_right(result: Result, rows: Sequence[Sequence[Any]], i: int, kind: str | None) -> bool:
    if kind in ("number", "duration", "rate"):
        return True
    vals = [r[i] for r in rows if r[i] is not None and r[i] != MASK]
    return bool(vals) and all(isinstance(v, _NUMERIC) and not isinstance(v, bool) for v in vals)


def _width(s: str) -> int:
    if "\n" not in s:
        return len(s)
    return max(len(line) for line in s.split("\n"))


def _aligned(result: Result, settings: Settings) -> list[str]:
    rows = _masked(result, settings)
    kinds = _kinds(result)
    cells = [
        [_text(v, k) if v != MASK else MASK for v, k in zip(r, kinds, strict=True)] for r in rows
    ]
    cols = list(result.columns)
    widths = [max([len(c), *(_width(r[i]) for r in cells)]) for i, c in enumerate(cols)]
    right = [_is_right(result, rows, i, k) for i, k in enumerate(kinds)]
    out = []
    total = sum(widths) + 3 * (len(widths) - 1) + 2
    if result.title:
        out.append(
            result.title.center(total).rstrip() if len(result.title) < total else result.title
        )
    out.append(" " + " | ".join(c.center(w) for c, w in zip(cols, widths, strict=True)).rstrip())
    out.append("-" + "-+-".join("-" * w for w in widths) + "-")
    for r in cells:
        if not any("\n" in c for c in r):  # one line per row: the common case, quicker
            parts = [
                c.rjust(w) if ri else c.ljust(w) for c, w, ri in zip(r, widths, right, strict=True)
            ]
            out.append((" " + " | ".join(parts)).rstrip())
            continue
        split = [c.split("\n") for c in r]
        height = max(len(s) for s in split)
        for k in range(height):
            parts = []
            for i, w in enumerate(widths):
                piece = split[i][k] if k < len(split[i]) else ""
                parts.append(piece.rjust(w) if right[i] else piece.ljust(w))
            out.append((" " + " | ".join(parts)).rstrip())
    n = len(cells)
    out.append(f"({n} row{'s' if n != 1 else ''})")
    return out


def _expanded(result: Result, settings: Settings) -> list[str]:
    rows = _masked(result, settings)
    kinds = _kinds(result)
    out = []
    if result.title:
        out.append(result.title)
    if not rows:
        out.append("(0 rows)")
        return out
    width = max(len(c) for c in result.columns)
    for n, row in enumerate(rows, 1):
        cells = [_text(v, k) if v != MASK else MASK for v, k in zip(row, kinds, strict=True)]
        head = f"-[ RECORD {n} ]"
        valw = max([_width(c) for c in cells] + [0])
        out.append(head + "-" * max(1, width + 3 + valw - len(head)))
        for col, cell in zip(result.columns, cells, strict=True):
            lines = cell.split("\n")
            out.append(f"{col.ljust(width)} | {lines[0]}".rstrip())
            out.extend(f"{'':{width}} | {line}".rstrip() for line in lines[1:])
    return out


def _csv(result: Result, settings: Settings) -> list[str]:
    import csv  # only --csv output needs it

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(result.columns)
    kinds = _kinds(result)
    for row in _masked(result, settings):
        w.writerow(
            [
                "" if v is None else v if v == MASK else _csv_cell(v, k)
                for v, k in zip(row, kinds, strict=True)
            ]
        )
    return buf.getvalue().rstrip("\n").split("\n")


def _csv_cell(value: Any, kind: str | None) -> Any:
    plain = _plain(value, kind)
    if isinstance(plain, bool):
        return "t" if plain else "f"
    if isinstance(plain, float):
        return f"{plain:.6g}"
    if isinstance(plain, (list, dict)):
        return json.dumps(plain)
    return plain


def _json(result: Result, settings: Settings) -> list[str]:
    kinds = _kinds(result)
    objs = []
    for row in _masked(result, settings):
        objs.append(
            {
                c: (v if v == MASK else _plain(v, k))
                for c, v, k in zip(result.columns, row, kinds, strict=True)
            }
        )
    return [json.dumps(objs, default=str, ensure_ascii=False)]


def _without_sparklines(result: Result) -> Result:
    """The result less its sparkline columns (plain output has no bar glyphs)."""
    if "sparkline" not in result.types.values():
        return result
    keep = [i for i, c in enumerate(result.columns) if result.types.get(c) != "sparkline"]
    if len(keep) == len(result.columns):
        return result
    return dataclasses.replace(
        result,
        columns=tuple(result.columns[i] for i in keep),
        rows=tuple(tuple(row[i] for i in keep) for row in result.rows),
    )


def _chart(chart: Chart) -> list[str]:
    """A chart as wide as the terminal (less a margin) and at most 20 lines high."""
    size = shutil.get_terminal_size((80, 24))
    width = min(max(size.columns - 2, 40), 160)
    height = min(max(size.lines - 8, 8), 20)
    text = line_chart(
        chart.points, title=chart.title, width=width, height=height, duration=chart.duration
    )
    return text.split("\n")


def render(result: Result, settings: Settings, *, format: str | None = None) -> str:
    """The text to print for a result (tables, notes and status line).

    Sparkline columns and charts are drawn only with settings.charts and in the
    aligned or expanded format; otherwise the columns are left out and a chart's
    rows (its data) are shown as a table, CSV or JSON.
    """
    fmt = format or settings.format
    lines: list[str] = []
    data_only = fmt in ("csv", "json")
    drawn = settings.charts and not data_only
    if not drawn:
        result = _without_sparklines(result)
    if not data_only:
        lines.extend(result.notes)
    if drawn and result.chart is not None:
        lines.extend(_chart(result.chart))
        lines.append("")
    elif result.has_table:
        if fmt == "expanded":
            lines.extend(_expanded(result, settings))
        elif fmt == "csv":
            lines.extend(_csv(result, settings))
        elif fmt == "json":
            lines.extend(_json(result, settings))
        else:
            lines.extend(_aligned(result, settings))
        if not data_only:
            lines.append("")
    for extra in result.more:
        text = render(extra, settings, format=fmt)
        if text:
            lines.append(text.rstrip("\n"))
            if not data_only:
                lines.append("")
    if result.status and not data_only:
        lines.append(result.status)
    if not lines:
        return ""
    return "\n".join(lines) + "\n"


def side_notes(result: Result, settings: Settings) -> Sequence[str]:
    """Notes that CSV/JSON output sends to stderr so stdout stays machine-readable."""
    if settings.format in ("csv", "json"):
        return result.notes
    return ()
