"""How daemons write their log lines: Skytools' text, or one JSON object per line.

The text form is the original's (``time pid LEVEL message``), which people grep and
the supervisor reads.  The JSON form (``log_format = json``) is for log shippers:
every line an object with fixed keys (time, pid, level, job, message) plus the
fields the code passed with ``extra=`` (table, tick_id, batch_id, stats ...), so a
replication worker's lines can be filtered by table or tick without parsing prose.
"""

from __future__ import annotations

import datetime
import json
import logging
import re

__all__ = [
    "LOG_FORMATS",
    "TEXT_FORMAT",
    "JsonLineFormatter",
    "formatter",
    "message_of",
    "supervisor_line",
]

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(process)d %(levelname)s %(message)s"

# "2026-01-02 03:04:05,678 1234 ERROR " before a text line's message
_TEXT_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ [A-Z]+ ")
# what every LogRecord has; anything else on a record came from extra=
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record, on one line (tracebacks go in a field).

    job is the daemon's job name (the modules log under their own names, which
    go in "logger").
    """

    def __init__(self, job: str | None = None) -> None:
        super().__init__()
        self.job = job

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        out: dict[str, object] = {
            "time": when.isoformat(timespec="milliseconds"),
            "pid": record.process,
            "level": record.levelname,
            "job": self.job or record.name,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, default=str, ensure_ascii=False)


def formatter(name: str, job: str | None = None) -> logging.Formatter:
    """The formatter of a log_format setting; ValueError names the choices."""
    if name == "text":
        return logging.Formatter(TEXT_FORMAT)
    if name == "json":
        return JsonLineFormatter(job)
    raise ValueError(f"log_format must be one of {', '.join(LOG_FORMATS)}, not {name!r}")


def supervisor_line(name: str | None, message: str) -> str:
    """A line the supervisor writes into a daemon's log, in the daemon's format."""
    if name == "json":
        record = logging.LogRecord("supervisor", logging.INFO, __file__, 0, message, None, None)
        return JsonLineFormatter("supervisor").format(record) + "\n"
    stamp = datetime.datetime.now().isoformat(sep=" ", timespec="seconds")
    return f"--- {stamp} supervisor: {message}\n"


def message_of(line: str) -> str:
    """A log line's message, whichever format wrote it."""
    line = line.strip()
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return line
        if isinstance(obj, dict) and "message" in obj:
            return str(obj["message"])
    return _TEXT_PREFIX.sub("", line).strip()
