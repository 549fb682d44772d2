"""Skytools-style ini configuration for daemons: one section per service, %(job_name)s."""

from __future__ import annotations

import configparser
import os
import re
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["Config", "ConfigError", "parse_interval", "split_list"]

_MISSING = object()
_INTERVAL = re.compile(
    r"^\s*(?P<num>[0-9]*\.?[0-9]+)\s*(?P<unit>ms|msec|s|sec|secs?|seconds?|m|mins?|minutes?|"
    r"h|hours?|d|days?)?\s*$",
    re.I,
)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """A config file is missing, unreadable, or a key has a bad value."""


def split_list(value: str) -> list[str]:
    """Split a comma and/or space separated list, dropping empty items."""
    return [item for item in re.split(r"[,\s]+", value.strip()) if item]


def parse_interval(value: str) -> float:
    """Seconds from '30', '1.5', '500 ms', '2 min', '1 hour' (PostgreSQL-like units)."""
    m = _INTERVAL.match(value)
    if not m:
        raise ValueError(f"not a time interval: {value!r}")
    unit = (m.group("unit") or "s").lower()
    key = "ms" if unit in ("ms", "msec") else unit[0]
    return float(m.group("num")) * _UNIT_SECONDS[key]


class Config:
    """One section of an ini file, read like Skytools' ``skytools.Config``.

    Interpolation variables available to every value: ``job_name`` (default: the
    file's base name without extension, or the section's own ``job_name``),
    ``service_name``, ``host_name``, ``config_dir`` and ``config_file``.  ``overrides``
    (``--set key=value`` on the command line) win over the file.
    """

    def __init__(
        self,
        service_name: str,
        filename: str | os.PathLike[str] | None,
        *,
        overrides: Mapping[str, str] | None = None,
        section: str | None = None,
    ) -> None:
        self.service_name = service_name
        self.filename = Path(filename).expanduser().resolve() if filename else None
        self.section = section or service_name
        self.overrides = dict(overrides or {})
        self._cp: configparser.ConfigParser
        self.reload()

    def reload(self) -> None:
        """Read the file again (SIGHUP)."""
        fn = self.filename
        defaults = {
            "service_name": self.service_name,
            "host_name": socket.gethostname(),
            "job_name": fn.stem if fn else self.service_name,
            "config_dir": str(fn.parent) if fn else os.getcwd(),
            "config_file": str(fn) if fn else "",
        }
        cp = configparser.ConfigParser(defaults=defaults, interpolation=None)
        if fn is not None:
            try:
                with open(fn, encoding="utf-8") as f:
                    cp.read_file(f)
            except OSError as e:
                raise ConfigError(f"cannot read config file {fn}: {e.strerror}") from None
            except configparser.Error as e:
                raise ConfigError(f"bad config file {fn}: {e}") from None
        if not cp.has_section(self.section):
            if fn is None or self.overrides:
                cp.add_section(self.section)
            else:
                have = ", ".join(f"[{s}]" for s in cp.sections()) or "none"
                raise ConfigError(f"{fn}: no [{self.section}] section (sections: {have})")
        for key, value in self.overrides.items():
            # a lone % (a path, a password) is taken literally; %(name)s still works
            cp.set(self.section, key, value if "%(" in value else value.replace("%", "%%"))
        self._cp = cp
        self._interp = configparser.BasicInterpolation()

    # -- reading -----------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return self._cp.has_option(self.section, key)

    def keys(self) -> list[str]:
        """Keys set in this section (defaults excluded)."""
        own = self._cp._sections.get(self.section, {})  # type: ignore[attr-defined]
        return list(own)

    def _raw(self, key: str) -> str | None:
        if not self._cp.has_option(self.section, key):
            return None
        raw = self._cp.get(self.section, key, raw=True)
        try:
            vars_ = dict(self._cp.items(self.section, raw=True))
            return self._interp.before_get(self._cp, self.section, key, raw, vars_)
        except configparser.Error as e:
            raise ConfigError(f"[{self.section}] {key}: {e}") from None

    def get(self, key: str, default: object = _MISSING) -> str:
        """The value of key; raises ConfigError when missing and no default is given."""
        value = self._raw(key)
        if value is None:
            if default is _MISSING:
                where = f" in {self.filename}" if self.filename else ""
                raise ConfigError(f"config key '{key}' missing from [{self.section}]{where}")
            return default  # type: ignore[return-value]
        return value

    def get_first(self, keys: Iterable[str], default: object = _MISSING) -> str:
        """The first of several (new name, legacy name) keys that is set."""
        keys = list(keys)
        for key in keys:
            value = self._raw(key)
            if value is not None:
                return value
        if default is _MISSING:
            raise ConfigError(f"config key '{keys[0]}' missing from [{self.section}]")
        return default  # type: ignore[return-value]

    def _typed(self, key: str, default: object, conv, what: str):  # type: ignore[no-untyped-def]
        value = self._raw(key)
        if value is None or value.strip() == "":
            if default is _MISSING:
                raise ConfigError(f"config key '{key}' missing from [{self.section}]")
            return default
        try:
            return conv(value.strip())
        except ValueError:
            raise ConfigError(f"[{self.section}] {key} = {value!r}: not {what}") from None

    def getint(self, key: str, default: object = _MISSING) -> int:
        return self._typed(key, default, int, "an integer")

    def getfloat(self, key: str, default: object = _MISSING) -> float:
        return self._typed(key, default, float, "a number")

    def getinterval(self, key: str, default: object = _MISSING) -> float:
        """Seconds: a number or a number with a unit (ms, s, min, h, d)."""
        return self._typed(key, default, parse_interval, "a time interval")

    def getbool(self, key: str, default: object = _MISSING) -> bool:
        def conv(v: str) -> bool:
            low = v.lower()
            if low in ("1", "yes", "true", "on", "t", "y"):
                return True
            if low in ("0", "no", "false", "off", "f", "n"):
                return False
            raise ValueError(v)

        return self._typed(key, default, conv, "a boolean (1/0, yes/no, true/false)")

    def getlist(self, key: str, default: object = _MISSING) -> list[str]:
        return self._typed(key, default, split_list, "a list")

    def getfile(self, key: str, default: object = _MISSING) -> str:
        """A path with ~ expanded; empty string when unset and default is ''."""
        value = self.get(key, default)
        return os.path.expanduser(value) if value else value

    @property
    def job_name(self) -> str:
        return self.get("job_name")
