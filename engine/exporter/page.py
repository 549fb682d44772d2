"""The status page: server-rendered HTML tables and an inline SVG lag plot per consumer.

No script and no build step: the tables are readable in any browser (a phone
too: a viewport meta and tables that scroll sideways on their own), the page
reloads itself with a meta refresh, and each plot is an SVG polyline drawn from
the exporter's in-memory history.  Every text that comes from a database is
escaped.  ``status_json`` gives the same data for scripts (/api/status).
"""

from __future__ import annotations

import html
import time
from typing import Any

from engine.exporter.history import LagHistory
from engine.exporter.scraper import ScrapeResult

__all__ = ["render_page", "status_json"]

PLOT_W, PLOT_H = 240, 48

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:.5rem;color:#222}
h1{font-size:1.3rem} h2{font-size:1.05rem;margin:1.2rem 0 .3rem}
.scroll{overflow-x:auto} table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #ddd;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums} td.wrap{white-space:normal}
.down{color:#b00;font-weight:bold} .up{color:#070}
svg.plot{background:#f6f8fa;border:1px solid #ddd}
svg.plot polyline{fill:none;stroke:#1f6feb;stroke-width:1.5}
svg.plot text{font-size:9px;fill:#555}
.muted{color:#777;font-size:.8rem}
@media (max-width:640px){
 thead{display:none} tr{display:block;border-bottom:1px solid #ddd;padding:.3rem 0}
 td{display:inline-block;border:none;padding:.1rem .4rem;white-space:normal}
 td[data-label]::before{content:attr(data-label) ": ";color:#777}
 td.n{text-align:left} .scroll{overflow-x:visible}
}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _secs(value: float | None) -> str:
    if value is None:
        return ""
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def _cell(content: str, header: str, numeric: bool) -> str:
    attrs = ' class="n"' if numeric else ' class="wrap"' if header == "error" else ""
    if header and content:
        attrs += f' data-label="{_e(header)}"'
    return f"<td{attrs}>{content}</td>"


def _table(headers: list[str], rows: list[list[str]], numeric: set[int], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        # data-label: a narrow window shows each row as a card of "label: value"
        cells = "".join(_cell(c, headers[i], i in numeric) for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def plot_svg(points: list[tuple[float, float]], now: float, window: float, label: str) -> str:
    """An SVG polyline of (time, lag) points: from the oldest kept (at most window
    seconds ago, at least a minute) to now, lag from 0 to its maximum."""
    top = max([p[1] for p in points] + [1.0])
    span = min(window, max(60.0, now - points[0][0])) if points else window
    coords = []
    for when, lag in points:
        x = PLOT_W * (1 - (now - when) / span)
        y = PLOT_H - 2 - (PLOT_H - 14) * lag / top
        coords.append(f"{max(0.0, x):.1f},{y:.1f}")
    last = f"{points[-1][1]:.3f}" if points else ""
    return (
        f'<svg class="plot" role="img" width="{PLOT_W}" height="{PLOT_H}" '
        f'viewBox="0 0 {PLOT_W} {PLOT_H}" data-points="{len(points)}" data-last="{last}" '
        f'aria-label="{_e(label)}"><title>{_e(label)}: max {_secs(top)}</title>'
        f'<text x="3" y="10">max {_secs(top)}</text>'
        f'<text x="{PLOT_W - 3}" y="10" text-anchor="end">last {_secs(span)}</text>'
        f'<polyline points="{" ".join(coords)}"/></svg>'
    )


def render_page(result: ScrapeResult, history: LagHistory, refresh: float) -> str:
    """The whole status page for one scrape."""
    now = result.taken
    dbs = []
    queues, consumers, nodes, tables = [], [], [], []
    for snap in result.databases:
        state = '<span class="up">up</span>' if snap.up else '<span class="down">down</span>'
        dbs.append(
            [
                _e(snap.database),
                state,
                _e(", ".join(snap.modules)),
                f"{snap.duration * 1000:.1f} ms",
                _e(snap.error or ""),
            ]
        )
        d = snap.database
        for q in snap.queues:
            queues.append(
                [
                    _e(d),
                    _e(q.queue),
                    _secs(q.ticker_lag),
                    f"{q.events:.0f}",
                    "" if q.ev_per_sec is None else f"{q.ev_per_sec:.1f}",
                    str(q.retry_events),
                    "paused" if q.paused else "",
                ]
            )
        for c in snap.consumers:
            label = f"lag of {c.consumer} on {c.queue}"
            svg = plot_svg(history.series((d, c.queue, c.consumer)), now, history.window, label)
            consumers.append(
                [
                    _e(d),
                    _e(c.queue),
                    _e(c.consumer),
                    _secs(c.lag),
                    "" if c.pending_events is None else str(c.pending_events),
                    _secs(c.last_seen),
                    svg,
                ]
            )
        for n in snap.nodes:
            kind = n.node_type or result.node_types.get((n.queue, n.node), "unknown")
            nodes.append([_e(d), _e(n.queue), _e(n.node), _e(kind), _secs(n.lag)])
        for t in snap.tables:
            tables.append([_e(d), _e(t.queue), _e(t.table), _e(t.state)])
    daemons = [
        [_e(dm.name), _e(dm.kind), _e(dm.state), _e(dm.detail), _e(dm.last_error or "")]
        for dm in result.daemons
    ]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="refresh" content="{refresh:g}">',
        "<title>qadmin status</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>qadmin status</h1>",
        f'<p class="muted">{_e(stamp)} · refreshes every {refresh:g} s · '
        '<a href="/metrics">metrics</a> · <a href="/api/status">json</a></p>',
        "<h2>Databases</h2>",
        _table(["database", "state", "modules", "read in", "error"], dbs, {3}, "none"),
        '<h2 id="consumers">Consumers</h2>',
        _table(
            ["database", "queue", "consumer", "lag", "pending", "last seen", "lag history"],
            consumers,
            {3, 4, 5},
            "no consumers",
        ),
        '<h2 id="queues">Queues</h2>',
        _table(
            ["database", "queue", "ticker lag", "events", "ev/s", "retry", ""],
            queues,
            {2, 3, 4, 5},
            "no queues",
        ),
        '<h2 id="nodes">Cascade nodes</h2>',
        _table(["database", "queue", "node", "type", "lag"], nodes, {4}, "no cascaded queues"),
        '<h2 id="tables">Londiste tables</h2>',
        _table(["database", "queue", "table", "state"], tables, set(), "no replicated tables"),
        '<h2 id="daemons">Daemons</h2>',
        _table(["name", "kind", "state", "detail", "last error"], daemons, set(), "no daemons"),
        "</body></html>",
    ]
    return "\n".join(parts)


def status_json(result: ScrapeResult, history: LagHistory) -> dict[str, Any]:
    """The page's data as plain JSON values, with each consumer's lag history."""
    out: dict[str, Any] = {"taken": result.taken, "databases": [], "daemons": []}
    for snap in result.databases:
        d = snap.database
        out["databases"].append(
            {
                "database": d,
                "up": snap.up,
                "error": snap.error,
                "modules": list(snap.modules),
                "queries": snap.queries,
                "duration": snap.duration,
                "queues": [
                    {
                        "queue": q.queue,
                        "ticker_lag": q.ticker_lag,
                        "events": q.events,
                        "retry_events": q.retry_events,
                    }
                    for q in snap.queues
                ],
                "consumers": [
                    {
                        "queue": c.queue,
                        "consumer": c.consumer,
                        "lag": c.lag,
                        "pending_events": c.pending_events,
                        "last_seen": c.last_seen,
                        "history": history.series((d, c.queue, c.consumer)),
                    }
                    for c in snap.consumers
                ],
                "nodes": [
                    {
                        "queue": n.queue,
                        "node": n.node,
                        "type": n.node_type or result.node_types.get((n.queue, n.node), "unknown"),
                        "lag": n.lag,
                    }
                    for n in snap.nodes
                ],
                "tables": [
                    {"queue": t.queue, "table": t.table, "state": t.state} for t in snap.tables
                ],
            }
        )
    out["daemons"] = [
        {"name": dm.name, "kind": dm.kind, "state": dm.state, "detail": dm.detail}
        for dm in result.daemons
    ]
    return out
