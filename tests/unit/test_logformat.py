"""Daemon log lines: the original's text, or one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from engine import logformat


def record(msg: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError:
            exc_info = sys.exc_info()
    rec = logging.LogRecord("myjob", logging.WARNING, __file__, 1, msg, args, exc_info)
    for k, v in extra.items():
        setattr(rec, k, v)
    return rec


def test_json_line_has_the_fixed_keys_and_the_extra_fields() -> None:
    line = logformat.formatter("json", "br_worker").format(
        record("table %s: at tick %s", "public.t1", 7, table="public.t1", tick_id=7)
    )
    assert "\n" not in line
    obj = json.loads(line)
    assert obj["message"] == "table public.t1: at tick 7"
    assert (obj["level"], obj["job"], obj["table"], obj["tick_id"]) == (
        "WARNING",
        "br_worker",
        "public.t1",
        7,
    )
    assert obj["logger"] == "myjob" and obj["time"].endswith("+00:00")
    assert isinstance(obj["pid"], int)
    assert not {"args", "msg", "levelno", "exc_info"} & obj.keys()


def test_a_traceback_stays_on_the_line() -> None:
    line = logformat.formatter("json").format(record("boom", exc=True))
    assert "\n" not in line
    assert "ZeroDivisionError" in json.loads(line)["exception"]


def test_values_json_cannot_hold_are_written_as_text() -> None:
    obj = json.loads(logformat.formatter("json").format(record("x", where=object())))
    assert obj["where"].startswith("<object object")


def test_text_is_the_original_line() -> None:
    line = logformat.formatter("text").format(record("hello %s", "there", table="t"))
    assert line.endswith(" WARNING hello there") and "table" not in line


def test_message_of_either_format() -> None:
    text = logformat.formatter("text").format(record("No such queue: q"))
    js = logformat.formatter("json").format(record("No such queue: q"))
    assert logformat.message_of(text) == logformat.message_of(js) == "No such queue: q"
    assert logformat.message_of("{not json") == "{not json"
    assert logformat.message_of("plain words") == "plain words"


def test_unknown_format_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"text, json.*'xml'"):
        logformat.formatter("xml")
