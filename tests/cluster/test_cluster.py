"""The several-app-server checks of bench/cluster.py, shortened: two gunicorn hosts, PostgreSQL,
Redis, SeaweedFS, a worker and an SMTP server on loopback. Marked `cluster`: `make test` leaves it
out (it takes a few minutes); `.ci/run` runs it on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.cluster


def test_two_hosts_share_media_pages_orders_and_mail_and_survive_losing_one(tmp_path):
    database_url = os.environ.get("CLUSTER_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres") and not os.environ.get("CI"):
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    report_file = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "bench/cluster.py",
            "--duration",
            os.environ.get("CLUSTER_TEST_SECONDS", "20"),
            "--clients",
            "8",
            "--json",
            str(report_file),
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert report_file.exists(), result.stderr[-4000:]
    report = json.loads(report_file.read_text())
    print(json.dumps(report, ensure_ascii=False, indent=2))  # the figures, in the CI log
    assert report["image"]["ok"], report["image"]
    assert report["publish"]["ok"] and report["publish"]["latency_s"] < 1, report["publish"]
    for phase in ("load", "kill"):
        figures = report[phase]
        assert figures["problems"] == [], (phase, figures["problems"])
        assert figures["server_errors"] == 0
        assert figures["orders_in_database"] == figures["orders_answered"] > 0
        assert figures["duplicate_emails"] == 0 and figures["emails_not_sent"] == 0
        assert figures["emails_received"] == figures["emails_in_outbox_sent"]
    assert sum(report["kill"]["failovers"].values()) > 0, "host 2 was killed: some requests must have met it"
    assert result.returncode == 0, result.stdout[-4000:]
