"""Production refuses to run on the offline Stripe fake, whose webhook secret is in the source.

The settings tests run manage.py (and the WSGI entry point) in a fresh process, as a server would;
the webhook tests run in-process with DEBUG off, as a production server answers.
"""

import json
import os
import subprocess
import sys
import time

import pytest
import stripe
from django.urls import reverse

from orders import gateway, webhooks
from orders.models import StripeEvent
from orders.stripe_fake import FakeStripeHTTPClient
from tests.marketplace.test_settings import PRODUCTION_ENV, ROOT, run_manage

WITHOUT_STRIPE = {
    key: value for key, value in PRODUCTION_ENV.items() if key not in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
}


def test_the_deploy_check_fails_without_stripe_keys(tmp_path):
    result = run_manage("check", "--deploy", env=WITHOUT_STRIPE, tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "orders.E001" in output
    assert "STRIPE_OFFLINE_DEMO" in output  # the hint names the way out for a demo site


def test_the_plain_check_run_at_every_start_fails_too(tmp_path):
    # `migrate` and `runserver` run the same checks; `check` without --deploy is what they run.
    result = run_manage("check", env=WITHOUT_STRIPE, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "orders.E001" in result.stdout + result.stderr


def test_the_wsgi_application_refuses_to_load_without_stripe_keys(tmp_path):
    # gunicorn runs no system checks: the WSGI entry point runs the start-up ones itself.
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env = {**clean, **WITHOUT_STRIPE, "MARKETPLACE_VAR_DIR": str(tmp_path)}
    command = [sys.executable, "-c", "import config.wsgi"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "orders.E001" in result.stderr

    with_keys = {**env, "STRIPE_SECRET_KEY": "sk_live_example", "STRIPE_WEBHOOK_SECRET": "whsec_live_example"}
    result = subprocess.run(command, cwd=ROOT, env=with_keys, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_a_secret_key_without_its_webhook_secret_fails(tmp_path):
    env = {**WITHOUT_STRIPE, "STRIPE_SECRET_KEY": "sk_live_example"}
    result = run_manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "orders.E002" in output
    assert "orders.E001" not in output


def test_the_source_code_secret_is_refused_as_the_configured_one(tmp_path):
    env = {**PRODUCTION_ENV, "STRIPE_WEBHOOK_SECRET": gateway.OFFLINE_WEBHOOK_SECRET}
    result = run_manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "orders.E003" in result.stdout + result.stderr


def test_the_deploy_check_passes_with_stripe_keys(tmp_path):
    assert PRODUCTION_ENV["STRIPE_SECRET_KEY"] and PRODUCTION_ENV["STRIPE_WEBHOOK_SECRET"]
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_passes_for_an_explicit_offline_demo(tmp_path):
    env = {**WITHOUT_STRIPE, "STRIPE_OFFLINE_DEMO": "1"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_needs_no_stripe_keys(tmp_path):
    result = run_manage("check", env={"DJANGO_SETTINGS_MODULE": "config.settings.base"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the webhook at run time ----------------------------------------------------------------


def unknown_session_event() -> dict:
    """A genuine-looking event about a session that is not ours: processed (stored) when accepted."""
    return {
        "id": "evt_test_forged_payment",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {"object": {"id": "cs_test_someone", "object": "checkout.session", "payment_status": "paid"}},
    }


def post_signed_with_source_secret(client):
    body = json.dumps(unknown_session_event())
    signature = webhooks.sign(body, secret=gateway.OFFLINE_WEBHOOK_SECRET)
    return client.post(
        reverse("payments:stripe_webhook"), body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


@pytest.fixture
def production(settings):
    """Run time as on a production server that was (wrongly) started without Stripe keys."""
    settings.DEBUG = False
    settings.STRIPE_OFFLINE_DEMO = False
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    return settings


@pytest.mark.django_db
def test_webhook_signed_with_the_source_secret_is_refused_in_production(client, production):
    response = post_signed_with_source_secret(client)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_webhook_signed_with_the_source_secret_is_refused_even_when_configured(client, production):
    production.STRIPE_SECRET_KEY = "sk_live_example"
    production.STRIPE_WEBHOOK_SECRET = gateway.OFFLINE_WEBHOOK_SECRET

    assert post_signed_with_source_secret(client).status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_webhook_signed_with_the_source_secret_is_accepted_on_an_explicit_demo(client, production):
    production.STRIPE_OFFLINE_DEMO = True

    assert post_signed_with_source_secret(client).status_code == 200
    assert StripeEvent.objects.filter(event_id="evt_test_forged_payment").exists()


@pytest.mark.django_db
def test_webhook_signed_with_the_source_secret_is_accepted_with_debug_on(client, production):
    production.DEBUG = True

    assert post_signed_with_source_secret(client).status_code == 200


def open_fake_session() -> str:
    client = stripe.StripeClient(gateway.OFFLINE_API_KEY, http_client=FakeStripeHTTPClient())
    item = {"price_data": {"currency": "thb", "unit_amount": 150000, "product_data": {"name": "ข้าว"}}, "quantity": 1}
    params = {"mode": "payment", "line_items": [item], "success_url": "/", "cancel_url": "/"}
    return client.v1.checkout.sessions.create(params).id


@pytest.mark.django_db
def test_demo_payment_pages_exist_only_where_the_fake_is_allowed(client, production):
    # They let anyone mark a checkout paid through the fake.
    page = reverse("payments:demo_checkout", args=[open_fake_session()])

    assert client.get(page).status_code == 404
    production.STRIPE_OFFLINE_DEMO = True
    assert client.get(page).status_code == 200
