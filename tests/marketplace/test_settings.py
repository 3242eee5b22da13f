"""Settings come from the environment; these run manage.py in a fresh process, as a server would."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "Zq8v!x3Lr#p0W^m2Tn&k7Jb9Yc4Hd6Fs1Ge5Ua8Io0Pl3Kj2Mn7Bv",
    "DJANGO_ALLOWED_HOSTS": "market.example.ac.th",
    "CITIZEN_ID_HASH_KEY": "Jd83-kq0v-Mz71-pX5s-Lw2e-Nb9c-Ty4u",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    # Production refuses to start without them (orders.checks).
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_live_example",
}


def run_manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    clean["MARKETPLACE_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_variables(tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_on_an_insecure_setting(tmp_path):
    # The check above could pass vacuously if checks were silenced: prove one still fires.
    env = {**PRODUCTION_ENV, "DJANGO_SECURE_SSL_REDIRECT": "0"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def print_setting(expression: str, env: dict[str, str], tmp_path: Path) -> str:
    result = run_manage(
        "shell", "-c", f"from django.conf import settings; print({expression})", env=env, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_defaults_are_sqlite_in_var_with_wal_and_immediate_transactions(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.base"}
    db = print_setting("settings.DATABASES['default']", env, tmp_path)
    assert "sqlite3" in db
    assert str(tmp_path / "marketplace.sqlite3") in db
    assert "'transaction_mode': 'IMMEDIATE'" in db
    assert "journal_mode=WAL" in db
    assert print_setting("settings.TIME_ZONE, settings.LANGUAGE_CODE", env, tmp_path) == "Asia/Bangkok th"
    assert "LocMemCache" in print_setting("settings.CACHES['default']['BACKEND']", env, tmp_path)
    assert print_setting("repr(settings.STRIPE_SECRET_KEY)", env, tmp_path) == "''"


def test_database_and_cache_come_from_the_environment(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/somewhere",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
    }
    assert print_setting("settings.DATABASES['default']['ENGINE']", env, tmp_path) == "django.db.backends.postgresql"
    assert print_setting("settings.DATABASES['default']['NAME']", env, tmp_path) == "somewhere"
    assert print_setting("settings.CACHES['default']['LOCATION']", env, tmp_path) == "redis://127.0.0.1:6379/3"


def test_a_malformed_boolean_is_refused(tmp_path):
    result = run_manage("check", env={"DJANGO_DEBUG": "maybe"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode()


def test_collectstatic_builds_the_compressed_manifest(tmp_path):
    env = {**PRODUCTION_ENV, "DJANGO_STATIC_ROOT": str(tmp_path / "static")}
    result = run_manage("collectstatic", "--noinput", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()
    assert list((tmp_path / "static" / "marketplace" / "css").glob("site.*.css.gz"))
