"""The original PgQ project's own SQL regression suite, run against our schema.

The suites of PgQ 3.5 (``sql/`` + ``expected/`` of github.com/pgq/pgq) and pgq_coop 3.4
(github.com/pgq/pgq-coop) run as pg_regress runs them (one database, ``psql -X -a -q``
reading each file on stdin, the output compared with ``expected/NAME.out`` or an
alternative ``NAME_N.out``, white space ignored), in the order of each project's
Makefile (``Extension_regress``: both rounds of PgQ's schedule, the PL-only round
included).  Only ``create extension``/``drop extension`` lines are replaced, by our
installer and a DROP SCHEMA, through wrapper files whose echo is mapped back to the
original line, so a run that matches is the original's output byte for byte (but for
white space).

The original's files are never copied into this repository: they are read at test
time from a source tree named by ``QADMIN_ORIGINAL_PGQ`` / ``QADMIN_ORIGINAL_PGQ_COOP``
(a checkout, or a bare git directory), or from a fetched mirror
(``/work/.mirror/pgq+pgq/repo``); without one the test is skipped and says why.
``structure/newgrants_pgq.sql``, a build product that ``pgq_perms`` includes, is made
with the original's own generator (``mk/grantfu.py``), as its Makefile does.

Runs that do not (yet) give the original's output are listed in KNOWN_DIFFERENT with
the reason; the test fails when another run differs, and when a listed one starts to
match (so the list stays true).  ``QADMIN_SUITE_OUT=dir`` keeps every output and diff.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from engine.install import sql_root
from engine.pgcluster import Cluster

MIRRORS = {
    "pgq": ("QADMIN_ORIGINAL_PGQ", Path("/work/.mirror/pgq+pgq/repo")),
    "pgq_coop": ("QADMIN_ORIGINAL_PGQ_COOP", Path("/work/.mirror/pgq+pgq-coop/repo")),
}

# (project, "round:test") -> why its output is not the original's
KNOWN_DIFFERENT: dict[tuple[str, str], str] = {
    ("pgq", "1:pgq_init_ext"): "ours is not an extension: no pg_extension row (extconfig)",
    ("pgq", "2:pgq_init_ext"): "ours is not an extension: no pg_extension row (extconfig)",
}

# pg_regress's environment and database settings
REGRESS_ENV = {
    "PGTZ": "PST8PDT",
    "PGDATESTYLE": "Postgres, MDY",
    "LC_MESSAGES": "C",
}
REGRESS_DB_SETTINGS = {
    "lc_messages": "C",
    "lc_monetary": "C",
    "lc_numeric": "C",
    "lc_time": "C",
    "bytea_output": "hex",
    "timezone_abbreviations": "Default",
    "intervalstyle": "postgres_verbose",
}

_EXT_LINE = re.compile(r"^\s*(create|drop)\s+extension\s+(pgq_coop|pgq)\s*;\s*$", re.I)


def source_tree(project: str, dest: Path) -> Path | None:
    """The original's source tree, unpacked into dest; None when there is none here."""
    env, mirror = MIRRORS[project]
    given = os.environ.get(env)
    src = Path(given) if given else mirror
    if (src / "sql").is_dir() and (src / "expected").is_dir():
        shutil.copytree(src, dest)
        return dest
    if (src / "HEAD").is_file() and (src / "objects").is_dir():
        data = subprocess.run(
            ["git", "--git-dir", str(src), "archive", "--format=tar", "HEAD"],
            capture_output=True,
            check=True,
        ).stdout
        dest.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(dest, filter="data")
        return dest
    return None


def _make_vars(makefile: str) -> dict[str, str]:
    text = makefile.replace("\\\n", " ")
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z_]+)\s*=\s*(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2).split("#")[0]
    return out


def schedule(tree: Path) -> list[str]:
    """Extension_regress of the original's Makefile, variables expanded."""
    variables = _make_vars((tree / "Makefile").read_text())

    def expand(value: str) -> list[str]:
        names: list[str] = []
        for word in value.split():
            m = re.fullmatch(r"\$\((\w+)\)", word)
            names.extend(expand(variables.get(m.group(1), "")) if m else [word])
        return names

    return expand(variables["Extension_regress"])


def _wrapper(path: Path, body: str) -> None:
    # the first two lines are echoed under ECHO all; outcome() maps them back
    path.write_text(
        "\\set qadmin_echo :ECHO\n"
        "\\set ECHO none\n"
        "\\o /dev/null\n"
        "select pg_catalog.current_setting('client_min_messages') as qadmin_cmm \\gset\n"
        + body
        + "set client_min_messages = :'qadmin_cmm';\n"
        "\\o\n"
        "\\set ECHO :qadmin_echo\n"
    )


def prepare(tree: Path) -> dict[str, str]:
    """Rewrite the extension lines of the tree's tests; returns wrapper line -> original."""
    root = sql_root()
    mapping: dict[str, str] = {}
    for module in ("pgq", "pgq_coop"):
        inst = tree / f"qadmin_install_{module}.sql"
        _wrapper(inst, f"\\i {root / module / 'structure' / 'install.sql'}\n")
        drop = tree / f"qadmin_drop_{module}.sql"
        _wrapper(drop, f"set client_min_messages = warning;\ndrop schema {module} cascade;\n")
        mapping[f"\\i {inst}"] = f"create extension {module};"
        mapping[f"\\i {drop}"] = f"drop extension {module};"
    for test in (tree / "sql").glob("*.sql"):
        lines = test.read_text().splitlines(keepends=True)
        for i, line in enumerate(lines):
            m = _EXT_LINE.match(line)
            if m:
                kind = "install" if m.group(1).lower() == "create" else "drop"
                lines[i] = f"\\i {tree / f'qadmin_{kind}_{m.group(2).lower()}.sql'}\n"
        test.write_text("".join(lines))
    if (tree / "mk" / "grantfu.py").is_file() and (tree / "structure" / "grants.ini").is_file():
        project = re.search(r"^EXTENSION\s*=\s*(\S+)", (tree / "Makefile").read_text(), re.M)
        name = project.group(1) if project else "pgq"
        grants = subprocess.run(
            ["python3", "mk/grantfu.py", "-r", "-d", "structure/grants.ini"],
            cwd=tree,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (tree / "structure" / f"newgrants_{name}.sql").write_text(grants)
    return mapping


def outcome(raw: str, mapping: dict[str, str]) -> str:
    """psql's output with our wrappers' echo mapped back to the original lines."""
    for wrapper, original in mapping.items():
        raw = raw.replace(f"{wrapper}\n\\set qadmin_echo :ECHO\n\\set ECHO none\n", original + "\n")
        raw = raw.replace(f"{wrapper}\n", original + "\n")
    return raw


def _normal(text: str) -> list[str]:
    return [re.sub(r"\s+", "", line) for line in text.splitlines()]


def matches(tree: Path, name: str, output: str) -> tuple[bool, str]:
    """Whether output is one of the expected outputs of a test, and the smallest diff."""
    best = None
    for expected in sorted((tree / "expected").glob(f"{name}*.out")):
        if expected.stem != name and not re.fullmatch(rf"{re.escape(name)}_\d+", expected.stem):
            continue
        want = expected.read_text()
        if _normal(want) == _normal(output):
            return True, ""
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True),
                output.splitlines(keepends=True),
                str(expected.name),
                "ours",
            )
        )
        if best is None or len(diff) < len(best):
            best = diff
    return False, best or f"no expected output for {name}"


def run_suite(cluster: Cluster, tree: Path, psql: str) -> dict[str, tuple[bool, str, str]]:
    """Run the schedule in one database; round:name -> (matches, diff, output)."""
    admin = psycopg2.connect(cluster.dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("drop database if exists contrib_regression")
        cur.execute("create database contrib_regression template template0")
        for key, value in REGRESS_DB_SETTINGS.items():
            cur.execute(
                sql.SQL("alter database contrib_regression set {} to {}").format(
                    sql.Identifier(key), sql.Literal(value)
                )
            )
    admin.close()
    mapping = prepare(tree)
    env = dict(os.environ, **REGRESS_ENV)
    env.pop("PGOPTIONS", None)
    results: dict[str, tuple[bool, str, str]] = {}
    rounds: dict[str, int] = {}
    for name in schedule(tree):
        rounds[name] = rounds.get(name, 0) + 1
        with (tree / "sql" / f"{name}.sql").open() as stdin:
            proc = subprocess.run(
                [psql, "-X", "-a", "-q", "-d", cluster.dsn("contrib_regression")],
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=tree,
                env=env,
                timeout=600,
            )
        output = outcome(proc.stdout, mapping)
        ok, diff = matches(tree, name, output)
        results[f"{rounds[name]}:{name}"] = (ok, diff, output)
    return results


@pytest.fixture
def original_suite_cluster(
    cluster_factory: Callable[..., Cluster],
) -> Iterator[Cluster]:
    yield cluster_factory(install_modules=False)


def _psql(cluster: Cluster) -> str:
    for candidate in (cluster.bindir / "psql", Path(shutil.which("psql") or "")):
        if candidate.is_file():
            return str(candidate)
    pytest.skip("psql not found")
    raise AssertionError  # unreachable


@pytest.mark.parametrize("project", ["pgq", "pgq_coop"])
def test_original_regression_suite(
    project: str, original_suite_cluster: Cluster, tmp_path: Path, capsys: Any
) -> None:
    tree = source_tree(project, tmp_path / project)
    if tree is None:
        env, mirror = MIRRORS[project]
        pytest.skip(
            f"the original {project} sources are not here: set {env} to a checkout"
            f" (or git dir) of github.com/pgq/{project.replace('_', '-')}, or fetch it to {mirror}"
        )
    results = run_suite(original_suite_cluster, tree, _psql(original_suite_cluster))
    keep = os.environ.get("QADMIN_SUITE_OUT")
    if keep:
        out = Path(keep) / project
        out.mkdir(parents=True, exist_ok=True)
        for run, (_ok, diff, output) in results.items():
            (out / f"{run.replace(':', '_')}.out").write_text(output)
            (out / f"{run.replace(':', '_')}.diff").write_text(diff)
    same = sorted(run for run, (ok, _d, _o) in results.items() if ok)
    with capsys.disabled():
        print(f"\n{project}: {len(same)} of {len(results)} runs give the original's output")
    unexpected = {
        run: results[run][1]
        for run in results
        if not results[run][0] and (project, run) not in KNOWN_DIFFERENT
    }
    now_same = [run for run in same if (project, run) in KNOWN_DIFFERENT]
    assert not unexpected, "runs that differ from the original:\n" + "\n".join(
        f"--- {run}\n{diff}" for run, diff in unexpected.items()
    )
    assert not now_same, f"listed in KNOWN_DIFFERENT but now the original's output: {now_same}"
