"""Pure: draw sampled values as text, a one-cell-per-sample sparkline or a terminal line chart.

The chart is drawn by plotext (``plotext>=5.3,<6``), chosen over asciichartpy
because PLOT LAG's samples are irregular in time (WATCH intervals, gaps
between commands) and plotext plots each point at its own time on a real
x axis with our clock labels, while asciichartpy takes an evenly spaced series
and draws no x axis at all; plotext is also maintained (asciichartpy's last
release is from 2020), pure Python with no dependencies in its 5.x line
(6.x moved to a compiled kernel and a new API; revisit once it has settled),
and ``build()`` returns the chart as a string, so rendering stays a function
of its input.  It is imported only when a chart is drawn (it costs tens of
milliseconds) and its one global figure is used under a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

__all__ = ["BARS", "SPARK_WIDTH", "chart_unit", "line_chart", "sparkline"]

BARS = "▁▂▃▄▅▆▇█"
# samples a sparkline shows (the newest): short enough to sit in a table column
SPARK_WIDTH = 20

_plot_lock = threading.Lock()

# (upper bound in seconds, unit name, seconds per unit) for a chart's y axis
_UNITS = ((120.0, "s", 1.0), (7200.0, "min", 60.0), (172800.0, "h", 3600.0))


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """One bar per value (the newest `width`), scaled from 0 (or a negative minimum) to the maximum.

    A zero base keeps a lag that moves from 10.0 s to 10.5 s looking flat
    instead of jumping from the lowest bar to the highest.
    """
    shown = list(values)[-width:] if width > 0 else []
    if not shown:
        return ""
    low = min(0.0, *shown)
    high = max(shown)
    if high <= low:
        return BARS[0] * len(shown)
    top = len(BARS) - 1
    return "".join(BARS[round((v - low) / (high - low) * top)] for v in shown)


def chart_unit(max_seconds: float) -> tuple[str, float]:
    """The unit a duration axis up to max_seconds reads best in: (name, seconds per unit)."""
    for bound, name, size in _UNITS:
        if max_seconds < bound:
            return name, size
    return "d", 86400.0


def _clock(when: float, span: float) -> str:
    """A tick label: the local time, with the date over a day, with tenths under 10 s."""
    if span > 86400:
        return time.strftime("%m-%d %H:%M", time.localtime(when))
    label = time.strftime("%H:%M:%S", time.localtime(when))
    if span < 10:
        label += f".{int(when * 10) % 10}"
    return label


def line_chart(
    points: Sequence[tuple[float, float]],
    *,
    title: str,
    width: int = 80,
    height: int = 16,
    duration: bool = True,
) -> str:
    """A line chart of (seconds since the epoch, value) points, no colours, as lines of text.

    With duration=True the values are seconds, shown in the unit that reads
    best (s, min, h, d), and the y axis starts at zero.
    """
    if not points:
        return title
    import plotext as plt

    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    if duration:
        unit, size = chart_unit(max(ys))
        ys = [y / size for y in ys]
        title = f"{title} ({unit})"
    start, end = xs[0], xs[-1]
    span = end - start
    # five labels, fewer when the span is too short to tell them apart in tenths
    parts = 4 if span >= 0.4 else 1
    ticks = [start] if span <= 0 else [start + span * i / parts for i in range(parts + 1)]
    with _plot_lock:
        plt.clear_figure()
        plt.theme("clear")
        plt.plotsize(max(width, 30), max(height, 8))
        plt.plot(xs, ys, marker="braille")
        plt.title(title)
        plt.xticks(ticks, [_clock(t, span) for t in ticks])
        if span <= 0:
            plt.xlim(start - 1, start + 1)
        low, high = min(0.0, *ys), max(ys)
        plt.ylim(low, high if high > low else low + 1)
        text = plt.uncolorize(plt.build())
        plt.clear_figure()
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n")
