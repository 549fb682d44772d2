"""Pure: the values of quoted names and string literals as the user typed them."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["parse_interval", "unquote_name", "unquote_string"]

# seconds per unit, by every spelling an interval may use
_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}
_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", re.IGNORECASE)


def unquote_name(token: str) -> str:
    """A bare name folded to lower case, a "quoted" one kept exactly."""
    if token.startswith('"'):
        return token[1:-1].replace('""', '"')
    return token.lower()


def unquote_string(token: str) -> str:
    """The value of a 'string', E'string' or $tag$string$tag$ literal."""
    if token.startswith("$"):
        tag_end = token.index("$", 1) + 1
        return token[tag_end : len(token) - tag_end]
    if token[0] in "Ee":
        body = token[2:-1].replace("''", "'")
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    return token[1:-1].replace("''", "'")


def parse_interval(text: str) -> dt.timedelta:
    """`90`, `90 s`, `5min`, `2 hours`, `1 hour 30 min` as a timedelta (no unit: seconds).

    ValueError (naming the units) for anything else, or for zero.
    """
    pos, total = 0, 0.0
    while pos < len(text):
        m = _PART.match(text, pos)
        if m is None or m.end() == pos:
            break
        unit = m.group(2).lower() or "s"
        if unit not in _UNITS:
            raise ValueError(
                f"unknown unit {m.group(2)!r} in interval {text!r} (use s, min, h or d)"
            )
        total += float(m.group(1)) * _UNITS[unit]
        pos = m.end()
    if pos < len(text) or not text.strip():
        raise ValueError(f"bad interval {text!r} (like 90 s, 5 min, 2 hours)")
    if total <= 0:
        raise ValueError(f"interval {text!r} is not positive")
    return dt.timedelta(seconds=total)
