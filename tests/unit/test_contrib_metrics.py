"""contrib/ (Grafana dashboard, alert rules) uses exactly the metric names the exporter emits."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.exporter.collector import METRIC_NAMES

CONTRIB = Path(__file__).resolve().parents[2] / "contrib"
# a metric name of ours inside a PromQL expression (or prose)
METRIC = re.compile(r"\b(?:pgq|qadmin|londiste)_[a-z_]+\b")
# words of that shape that are not metric names: SQL schemas, the project's modules
NOT_METRICS = {"pgq_node", "pgq_coop", "qadmin_ext", "pgq_ext"}


def names_in(path: Path) -> set[str]:
    return set(METRIC.findall(path.read_text())) - NOT_METRICS


def test_contrib_uses_only_emitted_names():
    files = [p for p in CONTRIB.rglob("*") if p.suffix in (".json", ".yml", ".yaml", ".md")]
    assert len(files) >= 3
    for path in files:
        unknown = names_in(path) - set(METRIC_NAMES)
        assert not unknown, f"{path.relative_to(CONTRIB)} uses {sorted(unknown)}"


def test_alerts_cover_lag_ticker_daemon_and_node():
    rules = (CONTRIB / "prometheus" / "qadmin-alerts.yml").read_text()
    exprs = re.findall(r"^\s+expr: (.+)$", rules, re.MULTILINE)
    used = {name for e in exprs for name in METRIC.findall(e)}
    for needed in (
        "pgq_consumer_lag_seconds",
        "pgq_queue_ticker_lag_seconds",
        "qadmin_daemon_up",
        "pgq_node_lag_seconds",
        "pgq_up",
    ):
        assert needed in used, needed


def test_dashboard_is_valid_json_and_charts_the_families():
    dash = json.loads((CONTRIB / "grafana" / "qadmin-dashboard.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = {name for e in exprs for name in METRIC.findall(e)}
    assert used == set(METRIC_NAMES)
    assert len({p["id"] for p in dash["panels"]}) == len(dash["panels"])


def test_promtool_accepts_the_alert_rules():
    """Prometheus' own checker (the distribution's prometheus package; .ci/run installs it)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    rules = CONTRIB / "prometheus" / "qadmin-alerts.yml"
    proc = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout
