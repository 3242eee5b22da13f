"""deploy/ ships what a person follows: every command a unit, timer or the crontab runs exists,
every timer starts a unit that exists, and the gunicorn config loads."""

import re
import runpy
from pathlib import Path

import pytest
from django.core.management import get_commands

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SYSTEMD = DEPLOY / "systemd"


def test_every_timer_runs_an_existing_command_through_the_job_unit():
    assert (SYSTEMD / "marketplace-job@.service").exists()
    timers = sorted(SYSTEMD.glob("*.timer"))
    assert len(timers) >= 8
    for timer in timers:
        name = timer.stem.removeprefix("marketplace-")
        assert f"Unit=marketplace-job@{name}.service" in timer.read_text(), timer.name
        assert name in get_commands(), f"{timer.name} runs `manage.py {name}`, which does not exist"


@pytest.mark.parametrize(
    "command",
    [
        "run_outbox",
        "retry_stripe_calls",
        "expire_checkouts",
        "auto_accept_deliveries",
        "check_ledger_totals",
        "purge_idempotency_records",
        "purge_import_previews",
        "purge_agreement_documents",
    ],
)
def test_the_scheduled_jobs_of_the_issue_are_on_both_schedules(command):
    assert (SYSTEMD / f"marketplace-{command}.timer").exists()
    assert f"$M {command}" in (DEPLOY / "crontab.example").read_text()


def test_the_crontab_and_the_services_name_existing_commands():
    text = (DEPLOY / "crontab.example").read_text()
    for unit in SYSTEMD.glob("*.service"):
        text += unit.read_text()
    named = set(re.findall(r"manage\.py (\w+)", text)) | set(re.findall(r"\$M (\w+)", text))
    assert {"db_worker", "run_outbox"} <= named
    assert not named - set(get_commands()) - {"%i"}


def test_the_gunicorn_config_loads(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    config = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert config["workers"] == 3 and config["worker_class"] == "gthread"
    assert config["timeout"] <= 60
