"""Daemon base: config, logging, pidfile, signals, status file and the work loop.

The shape of Skytools' ``BaseScript``: a subclass implements ``work() -> bool`` (True
means "more work right now") and optionally ``startup()``, ``shutdown()``,
``reload()`` and ``reset()``.  The loop calls ``work()`` again at once while it
returns True, otherwise sleeps ``loop_delay`` seconds.  The sleep is a ``select()``
on the wake-up file descriptors the subclass offers (its database sockets), so a
NOTIFY ends it early, and on a self-pipe that signals write to.

Readiness: a daemon is *up* once it has done what it needs to work (connected,
registered, holding its lock); it says so with ``mark_ready()``, which sets
``ready`` in its status file, and the supervisor's START waits for that (or for the
daemon's exit, or for the first error it records).  Daemons that do not call it
are up after their first successful round.  A round that fails before the daemon
was ever up, for a reason other than a lost connection (the queue does not exist,
a second ticker), ends the daemon with exit status 1 and one log line: retrying
would not help, and the supervisor reports the line.

Errors a daemon expects (database errors, ``DaemonError``) are logged as one line;
only a failure that is a bug in the code (any other exception) gets a traceback.

Signals: SIGHUP re-reads the config between two rounds, SIGINT stops after the
current round (a consumer finishes its batch), SIGTERM stops now: it raises
``SystemExit`` wherever the daemon is, because "now" must also interrupt a long
batch or a handler's child process; the database rolls back what was not committed.

Command line (all daemons)::

    python -m engine.<daemon> [-q] [-v] [-d] [--set key=value ...] CONFIG.ini
    python -m engine.<daemon> -s|-k|-r CONFIG.ini   # stop / kill / reload the running one
    python -m engine.<daemon> --ini                 # documented config template
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import logging.handlers
import os
import random
import select
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import psycopg2

from engine import logformat
from engine.config import Config, ConfigError
from engine.db import describe_error

__all__ = [
    "KILL_AT_ENV",
    "KILL_HOOKS",
    "KILL_PROB_ENV",
    "Daemon",
    "DaemonError",
    "UsageError",
    "kill_point",
    "one_line",
    "pid_alive",
    "read_pidfile",
]

log = logging.getLogger(__name__)

# Test hook: SIGKILL the daemon at named points of its loop (see kill_point()).
KILL_AT_ENV = "QADMIN_TEST_KILL_AT"
KILL_PROB_ENV = "QADMIN_TEST_KILL_PROB"
_KILL_AT = frozenset(p for p in os.environ.get(KILL_AT_ENV, "").replace(",", " ").split() if p)
_KILL_PROB = float(os.environ.get(KILL_PROB_ENV) or 1.0)
#: True when the test hook is armed (hot loops skip kill_point() calls otherwise)
KILL_HOOKS = bool(_KILL_AT)


class UsageError(Exception):
    """The user asked for something impossible: logged as an error, exit status 1."""


class DaemonError(Exception):
    """An expected failure of a round (a command failed): logged without a traceback."""


def one_line(text: str) -> str:
    """A (multi-line) error message as one log line: its lines joined with spaces."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def expected_error(err: BaseException) -> bool:
    """Errors that are not bugs in the daemon's code: logged without a traceback."""
    return isinstance(err, psycopg2.Error | DaemonError | UsageError | OSError)


def kill_point(name: str) -> None:
    """Test hook: SIGKILL this process here if $QADMIN_TEST_KILL_AT names this point.

    ``QADMIN_TEST_KILL_AT=after_process,after_finish`` (or ``*``) and
    ``QADMIN_TEST_KILL_PROB=0.3``: reliability tests use it to die at exact places,
    such as after processing a batch but before finishing it.  Costs nothing when
    the variable is unset.
    """
    if _KILL_AT and (name in _KILL_AT or "*" in _KILL_AT) and random.random() < _KILL_PROB:
        with contextlib.suppress(OSError):
            os.write(2, f"test hook: SIGKILL at {name}\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)


def read_pidfile(path: str | os.PathLike[str]) -> int | None:
    """The pid in the first line of a pidfile, or None if missing or unreadable."""
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def _signalable(pid: int) -> bool:
    """True while the pid exists (signal 0 reaches it or is refused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_exists(pid: int) -> bool:
    """True while the pid exists at all (a zombie too, unless it is our child: reaped)."""
    if not _signalable(pid):
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def pid_alive(pid: int) -> bool:
    """True while pid runs (a zombie is dead); never reaps it."""
    if not _signalable(pid):
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _daemonize() -> None:
    """Go to the background: double fork, new session, stdio on /dev/null."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    fd = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(fd, std)
    if fd > 2:
        os.close(fd)


class Daemon:
    """Config, logging, pidfile, signals and the loop; subclasses implement work()."""

    #: ini section the daemon reads (Skytools' service name)
    service_name: ClassVar[str] = "daemon"
    #: what the supervisor shows in its "kind" column
    kind: ClassVar[str] = "daemon"
    #: module to run with python -m (for --help)
    main_module: ClassVar[str | None] = None
    #: up after the first good round unless mark_ready() said so earlier; False when
    #: a good round does not mean up (the ticker: its databases answer in threads)
    ready_after_round: ClassVar[bool] = True
    #: documented keys for --ini; templates of the whole class hierarchy are joined
    ini_template: ClassVar[str] = """
# name for logs, pidfile and stats (default: the config file's base name)
#job_name = myjob

# log file; empty = log to stderr only
#logfile = ~/log/%(job_name)s.log
# rotate the log at this size (bytes), keep this many old ones
#log_size = 10485760
#log_count = 3
# text (the original's lines) or json (one object per line, with fields such
# as table, tick_id and batch_id beside the message, for log shippers)
#log_format = text

# pidfile, needed by -d, -s, -k and -r; it also stops a second instance
#pidfile = ~/pid/%(job_name)s.pid

# JSON status (pid, last error, lag ...) for the supervisor; empty = none
#statusfile =

# seconds to sleep when there is no work (a notification wakes up earlier);
# negative = run one round and exit
#loop_delay = 1.0

# after an error: sleep this long (connection errors retry sooner, doubling)
#exception_sleep = 20
# exception class names (or ALL) logged as a warning without traceback ...
#exception_quiet =
# ... during this many seconds after the first of a series of failures
#exception_grace = 300
# a failure this long after the previous one starts a new series
#exception_reset = 900

# seconds between stats lines in the log
#stats_period = 30
"""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        self.parser = self.build_parser()
        self.args = self.parser.parse_args(argv)
        self.cf: Config | None = None
        self.job_name = self.service_name
        self.looping = True
        self.need_reload = False
        self.exit_code = 0
        self.pidfile = ""
        self.loop_delay = 1.0
        self.stop_now = False
        self._terminating = False
        self._wake_r = -1
        self._wake_w = -1
        self._log_handlers: list[logging.Handler] = []
        self.log_formatter = logformat.formatter("text")
        self._pid_written = False
        self._status: dict[str, Any] = {}
        self._status_written = 0.0
        self._fail_count = 0
        self._fail_since: float | None = None
        self._last_fail = 0.0
        self._stats: dict[str, float] = {}
        self._stats_since = time.monotonic()
        self.ready = False
        #: the logger handlers use, named after the job as Skytools' self.log is
        self.log = logging.getLogger(self.service_name)

    # -- command line ------------------------------------------------------------------
    @classmethod
    def build_parser(cls) -> argparse.ArgumentParser:
        p = argparse.ArgumentParser(
            prog=f"python -m {cls.main_module or cls.__module__}",
            description=(cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else None,
        )
        p.add_argument("config", nargs="?", help="config file (ini)")
        p.add_argument("-q", "--quiet", action="store_true", help="log only warnings on stderr")
        p.add_argument("-v", "--verbose", action="count", default=0, help="debug logging")
        p.add_argument("-d", "--daemon", action="store_true", help="go to the background")
        p.add_argument(
            "-s", "--stop", action="store_true", help="stop the running one after its current round"
        )
        p.add_argument("-k", "--kill", action="store_true", help="stop the running one now")
        p.add_argument("-r", "--reload", action="store_true", help="make the running one reload")
        p.add_argument("--ini", action="store_true", help="print a documented config template")
        p.add_argument("-V", "--version", action=_VersionAction, nargs=0, help="show the version")
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a config key (repeatable)",
        )
        cls.add_arguments(p)
        return p

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Hook: extra switches of a subclass."""

    def overrides(self) -> dict[str, str]:
        out = {}
        for item in self.args.set:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--set needs KEY=VALUE, got {item!r}")
            out[key.strip()] = value
        return out

    # -- config ------------------------------------------------------------------------
    def load_config(self) -> Config:
        """Read the config file; subclasses may choose the section."""
        return Config(self.service_name, self.args.config, overrides=self.overrides())

    @classmethod
    def ini_text(cls) -> str:
        """The documented template of every key this daemon reads."""
        parts, seen = [], set()
        for klass in reversed(cls.__mro__):
            tpl = klass.__dict__.get("ini_template")
            if tpl and tpl not in seen:
                seen.add(tpl)
                parts.append(tpl.strip("\n"))
        return f"[{cls.service_name}]\n" + "\n\n".join(parts) + "\n"

    def load_settings(self) -> None:
        """Read the keys every daemon has; subclasses extend (and call super)."""
        cf = self.cf
        assert cf is not None
        self.job_name = cf.job_name
        self.log = logging.getLogger(self.job_name)
        self.pidfile = cf.getfile("pidfile", "")
        self.logfile = cf.getfile("logfile", "")
        self.statusfile = cf.getfile("statusfile", "")
        self.loop_delay = cf.getinterval("loop_delay", 1.0)
        self.exception_sleep = cf.getinterval("exception_sleep", 20.0)
        self.exception_quiet = set(cf.getlist("exception_quiet", []))
        self.exception_grace = cf.getinterval("exception_grace", 300.0)
        self.exception_reset = cf.getinterval("exception_reset", 900.0)
        self.stats_period = cf.getinterval("stats_period", 30.0)
        try:
            self.log_formatter = logformat.formatter(cf.get("log_format", "text"), self.job_name)
        except ValueError as e:
            raise ConfigError(str(e)) from None

    # -- logging -----------------------------------------------------------------------
    def setup_logging(self) -> None:
        root = logging.getLogger()
        for h in self._log_handlers:
            root.removeHandler(h)
            h.close()
        self._log_handlers = []
        level = logging.DEBUG if self.args.verbose else logging.INFO
        root.setLevel(level)
        if not self.args.daemon:
            console = logging.StreamHandler(sys.stderr)
            console.setLevel(logging.WARNING if self.args.quiet else level)
            self._log_handlers.append(console)
        if self.logfile:
            Path(self.logfile).parent.mkdir(parents=True, exist_ok=True)
            assert self.cf is not None
            fh = logging.handlers.RotatingFileHandler(
                self.logfile,
                maxBytes=self.cf.getint("log_size", 10 * 1024 * 1024),
                backupCount=self.cf.getint("log_count", 3),
            )
            self._log_handlers.append(fh)
        for h in self._log_handlers:
            h.setFormatter(self.log_formatter)
            root.addHandler(h)

    # -- pidfile -----------------------------------------------------------------------
    def _write_pidfile(self) -> None:
        if not self.pidfile:
            return
        pf = Path(self.pidfile)
        pf.parent.mkdir(parents=True, exist_ok=True)
        tmp = pf.with_name(f".{pf.name}.{os.getpid()}")
        tmp.write_text(f"{os.getpid()}\n")
        try:
            for _ in range(3):
                try:
                    os.link(tmp, pf)  # atomic: fails if another instance made it first
                    self._pid_written = True
                    return
                except FileExistsError:
                    other = read_pidfile(pf)
                    if other and other != os.getpid() and pid_alive(other):
                        raise UsageError(
                            f"pidfile {pf} exists and process {other} is running: "
                            f"{self.job_name} is already running (stop it with -s or -k)"
                        ) from None
                    log.warning("removing stale pidfile %s (pid %s is not running)", pf, other)
                    with contextlib.suppress(FileNotFoundError):
                        pf.unlink()
            raise UsageError(f"cannot create pidfile {pf}")
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _remove_pidfile(self) -> None:
        if self._pid_written and read_pidfile(self.pidfile) == os.getpid():
            with contextlib.suppress(OSError):
                os.unlink(self.pidfile)
        self._pid_written = False

    def signal_running(self, sig: signal.Signals) -> int:
        """-s/-k/-r: send a signal to the instance named in the pidfile."""
        what = {signal.SIGINT: "stop", signal.SIGTERM: "kill", signal.SIGHUP: "reload"}[sig]
        if not self.pidfile:
            raise UsageError(f"cannot {what}: no pidfile in the config")
        pid = read_pidfile(self.pidfile)
        if pid is None:
            self._say(f"{self.job_name} is not running (no pidfile {self.pidfile})")
            return 1
        if not pid_alive(pid):
            self._say(f"{self.job_name} is not running (stale pidfile {self.pidfile}, pid {pid})")
            return 1
        os.kill(pid, sig)
        self._say(f"sent {signal.Signals(sig).name} to {self.job_name} (pid {pid})")
        return 0

    def _say(self, text: str) -> None:
        if not self.args.quiet:
            print(text, file=sys.stderr)

    # -- signals -----------------------------------------------------------------------
    def _install_signals(self) -> None:
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            fl = fcntl.fcntl(fd, fcntl.F_GETFL)
            fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGHUP, self._on_sighup)
        signal.signal(signal.SIGINT, self._on_sigint)
        signal.signal(signal.SIGTERM, self._on_sigterm)

    def _on_sighup(self, signum: int, frame: object) -> None:
        self.need_reload = True

    def _on_sigint(self, signum: int, frame: object) -> None:
        self.looping = False

    def _on_sigterm(self, signum: int, frame: object) -> None:
        self.looping = False
        self.stop_now = True
        if not self._terminating:
            self._terminating = True
            raise SystemExit(0)

    def wake(self) -> None:
        """Make a sleep() in progress return (for other threads)."""
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"\0")

    # -- sleeping ----------------------------------------------------------------------
    def wake_fds(self) -> list[int]:
        """Hook: file descriptors whose readability ends a sleep (database sockets)."""
        return []

    def wake_pending(self) -> bool:
        """Hook: True if there is a reason not to sleep at all (a notification read already)."""
        return False

    def on_readable(self, fds: list[int]) -> bool:
        """Hook: a wake fd became readable; return True to end the sleep."""
        return True

    def sleep(self, seconds: float) -> None:
        """Wait up to seconds; a signal, or a wake fd that on_readable() accepts, ends it."""
        deadline = time.monotonic() + seconds
        while self.looping and not self.need_reload:
            if self.wake_pending():
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            fds = [self._wake_r, *self.wake_fds()] if self._wake_r >= 0 else self.wake_fds()
            try:
                ready, _, _ = select.select(fds, [], [], left)
            except (OSError, ValueError):  # a socket closed under us
                time.sleep(min(left, 0.05))
                return
            if self._wake_r in ready:
                with contextlib.suppress(OSError):
                    while os.read(self._wake_r, 512):
                        pass
                ready.remove(self._wake_r)
            if ready and self.on_readable(ready):
                return

    # -- status file -------------------------------------------------------------------
    def update_status(self, force: bool = False, **fields: Any) -> None:
        """Merge fields into the JSON status file; written at most once a second."""
        self._status.update(fields)
        if not self.statusfile:
            return
        now = time.time()
        if not force and now - self._status_written < 1.0:
            return
        self._status_written = now
        self._status["updated"] = now
        path = Path(self.statusfile)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self._status, default=str))
            os.replace(tmp, path)
        except OSError as e:
            log.debug("cannot write status file %s: %s", path, e)

    def mark_ready(self, **fields: Any) -> None:
        """Say that the daemon is up (connected, registered ...): START stops waiting."""
        if self.ready:
            return
        self.ready = True
        log.debug("%s is up", self.job_name)
        self.update_status(force=True, ready=True, ready_time=time.time(), **fields)

    def record_error(self, message: str) -> None:
        """Remember the last error for the status file (SHOW DAEMONS)."""
        self.update_status(
            force=True,
            last_error=message.splitlines()[0][:500] if message else message,
            last_error_time=time.time(),
            errors=self._status.get("errors", 0) + 1,
        )

    # -- stats -------------------------------------------------------------------------
    def stat_increase(self, key: str, value: float = 1) -> None:
        self._stats[key] = self._stats.get(key, 0) + value

    def stat_put(self, key: str, value: float) -> None:
        self._stats[key] = value

    def maybe_log_stats(self, force: bool = False) -> None:
        """Log the stats line ``{key: value, ...}`` every stats_period seconds."""
        now = time.monotonic()
        if not force and now - self._stats_since < self.stats_period:
            return
        if self._stats:
            body = ", ".join(f"{k}: {_fmt_stat(v)}" for k, v in self._stats.items())
            log.info("{%s}", body, extra={"stats": dict(self._stats)})
        self._stats = {}
        self._stats_since = now

    # -- hooks -------------------------------------------------------------------------
    def startup(self) -> None:
        """Hook: once, before the loop (no database work here: it may be down)."""

    def shutdown(self) -> None:
        """Hook: once, after the loop, also after SIGTERM; close connections."""

    def reload(self) -> None:
        """Hook: after the config file was read again (SIGHUP)."""

    def reset(self) -> None:
        """Hook: after work() failed; drop connections and state."""

    def work(self) -> bool:
        """One round of work; True if there is more to do right away."""
        raise NotImplementedError

    def run_command(self) -> int | None:
        """Hook: one-shot commands (--register ...); return an exit code to stop there."""
        return None

    def is_connection_error(self, err: BaseException) -> bool:
        """Errors that mean "the database went away": retried sooner, with backoff."""
        return isinstance(err, psycopg2.OperationalError | psycopg2.InterfaceError)

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> int:
        """Entry point: parse, configure, then loop until stopped; returns exit status."""
        a = self.args
        if a.ini:
            sys.stdout.write(self.ini_text())
            return 0
        if not a.config:
            self.parser.error("a config file is needed")
        try:
            self.cf = self.load_config()
            self.load_settings()
            if a.stop or a.kill or a.reload:
                sig = signal.SIGINT if a.stop else signal.SIGTERM if a.kill else signal.SIGHUP
                return self.signal_running(sig)
            if a.daemon:
                if not self.pidfile:
                    raise UsageError("-d needs a pidfile in the config")
                other = read_pidfile(self.pidfile)
                if other and pid_alive(other):
                    raise UsageError(f"{self.job_name} is already running (pid {other})")
                _daemonize()
            self.setup_logging()
            rc = self.run_command()
            if rc is not None:
                return rc
            self._write_pidfile()
        except (ConfigError, UsageError) as e:
            if self._log_handlers:
                log.error("%s", e)
            else:
                print(f"{self.parser.prog}: {e}", file=sys.stderr)
            return 1
        self._install_signals()
        self._status = {
            "pid": os.getpid(),
            "kind": self.kind,
            "job_name": self.job_name,
            "started": time.time(),
            "state": "running",
            "ready": False,
        }
        self.update_status(force=True)
        try:
            log.info("%s %s starting (pid %d)", self.kind, self.job_name, os.getpid())
            self.startup()
            self._loop()
        except UsageError as e:
            log.error("%s", e)
            self.record_error(str(e))
            self.exit_code = 1
        except SystemExit as e:
            if e.code not in (None, 0):
                self.exit_code = e.code if isinstance(e.code, int) else 1
        finally:
            self._terminating = True  # a SIGTERM during cleanup only sets flags now
            try:
                self.shutdown()
            except Exception as e:
                log.warning("shutdown: %s", describe_error(e))
            finally:
                self.update_status(force=True, state="stopped", pid=None)
                self._remove_pidfile()
                log.info("%s %s stopped", self.kind, self.job_name)
        return self.exit_code

    def _loop(self) -> None:
        while self.looping:
            if self.need_reload:
                self._reload()
            try:
                more = self.work()
            except (SystemExit, KeyboardInterrupt, UsageError):
                raise
            except Exception as e:
                self._work_failed(e)
                continue
            if not self.ready and self.ready_after_round:
                self.mark_ready()
            if self._fail_count:
                log.info(
                    "%s recovered after %d failed rounds (%.1f s)",
                    self.job_name,
                    self._fail_count,
                    time.time() - (self._fail_since or time.time()),
                )
                self._fail_count = 0
                self.update_status(force=True, error_active=False)
            self.maybe_log_stats()
            if not self.looping or self.loop_delay < 0:
                break
            if not more:
                self.sleep(self.loop_delay)

    def _reload(self) -> None:
        self.need_reload = False
        try:
            assert self.cf is not None
            self.cf.reload()
            self.load_settings()
            self.setup_logging()
            self.reload()
            log.info("config reloaded from %s", self.cf.filename)
        except (ConfigError, UsageError) as e:
            log.error("reload failed, keeping the old config: %s", e)

    def _work_failed(self, err: Exception) -> None:
        if not self.ready and not self.is_connection_error(err):
            self._start_failed(err)
            return
        now = time.time()
        if self._fail_since is None or now - self._last_fail > self.exception_reset:
            self._fail_since = now
        self._last_fail = now
        self._fail_count += 1
        msg = describe_error(err)
        if self.is_connection_error(err):
            delay = min(self.exception_sleep, 0.5 * 2 ** min(self._fail_count - 1, 10))
            log.warning(
                "%s: database connection problem: %s; reconnecting in %.1f s",
                self.job_name,
                one_line(msg),
                delay,
            )
        else:
            delay = self.exception_sleep
            quiet = "ALL" in self.exception_quiet or type(err).__name__ in self.exception_quiet
            if quiet and now - self._fail_since < self.exception_grace:
                log.warning("Job %s got error: %s", self.job_name, one_line(msg))
            elif expected_error(err):
                log.error("Job %s failed: %s", self.job_name, one_line(msg))
            else:
                log.error("Job %s crashed: %s", self.job_name, msg, exc_info=err)
        self.update_status(error_active=True)
        self.record_error(msg)
        try:
            self.reset()
        except Exception as e:
            log.debug("reset: %s", e)
        self.sleep(delay)

    def _start_failed(self, err: Exception) -> None:
        """A failure before the daemon was ever up: one line, recorded, and exit 1."""
        if expected_error(err):
            msg = one_line(describe_error(err, context=False))
            log.error("%s failed at start: %s", self.job_name, msg)
        else:
            msg = f"{type(err).__name__}: {err}"
            log.error("%s crashed at start: %s", self.job_name, msg, exc_info=err)
        self.record_error(msg)
        self.exit_code = 1
        self.looping = False


class _VersionAction(argparse.Action):
    """-V: looks the version up only when asked (importlib.metadata is slow to load)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kw: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            ver = version("qadmin")
        except PackageNotFoundError:
            ver = "unknown"
        print(f"{parser.prog} (qadmin) {ver}")
        parser.exit()


def _fmt_stat(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}"
    return str(int(value))
