"""Sign-in defences: guessing passwords and TOTP codes is refused with 429 per account and per
address, the admin sign-in pages cannot be used around that, and sessions end on a password
change and after a staff member's idle time."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from marketplace.middleware import LAST_ACTIVITY_SESSION_KEY
from tests.factories.accounts import PASSWORD, UserFactory
from tests.helpers import current_totp, give_totp, sign_in
from tests.marketplace.test_settings import PRODUCTION_ENV, print_setting, run_manage

pytestmark = pytest.mark.django_db
User = get_user_model()

# The 429 page, in Thai (the site's language for a visitor who chose none).
THAI_429 = "คุณลองหลายครั้งเกินไปในเวลาอันสั้น"
THAI_IDLE = "ไม่มีการใช้งาน"


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def assert_refused_in_thai(response):
    assert response.status_code == 429
    assert THAI_429 in response.content.decode()


# --- guessing passwords -----------------------------------------------------------------------


def test_failed_sign_ins_beyond_the_account_limit_answer_429_in_thai(client, user, password):
    for _attempt in range(5):
        assert sign_in(client, user.email, "wrong-password").status_code == 200

    # Locked for a while, even with the right password.
    assert_refused_in_thai(sign_in(client, user.email, password))
    assert not signed_in(client)


def test_the_account_limit_holds_from_another_address(user, password):
    for _attempt in range(5):
        sign_in(Client(REMOTE_ADDR="203.0.113.1"), user.email, "wrong-password")

    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), user.email, password).status_code == 429


def test_failed_sign_ins_are_limited_per_address_across_accounts(client, db):
    accounts = [UserFactory() for _ in range(11)]
    for account in accounts[:10]:
        assert sign_in(client, account.email, "wrong-password").status_code == 200

    assert_refused_in_thai(sign_in(client, accounts[10].email, PASSWORD))
    assert not signed_in(client)
    # Someone at another address is not locked out with them.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert sign_in(elsewhere, accounts[10].email, PASSWORD).status_code == 302


def test_behind_the_proxy_each_client_address_has_its_own_limit(db, settings):
    # Production sits behind one proxy that appends the client's address to X-Forwarded-For;
    # without trusting it every visitor would share the proxy's address, and its limit.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    attacker = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1")
    for n in range(10):
        sign_in(attacker, f"nobody{n}@example.org", "wrong-password")
    assert sign_in(attacker, "nobody@example.org", "wrong-password").status_code == 429

    colleague = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    account = UserFactory()
    assert sign_in(colleague, account.email, PASSWORD).status_code == 302


def test_production_trusts_one_proxy_and_development_none(tmp_path):
    expression = "settings.ALLAUTH_TRUSTED_PROXY_COUNT"
    assert print_setting(expression, PRODUCTION_ENV, tmp_path) == "1"
    assert print_setting(expression, {**PRODUCTION_ENV, "DJANGO_TRUSTED_PROXY_COUNT": "2"}, tmp_path) == "2"
    assert print_setting(expression, {"DJANGO_SETTINGS_MODULE": "config.settings.base"}, tmp_path) == "0"


def test_production_rate_limits_live_in_redis(tmp_path):
    # One counter for every app process: a per-process cache would multiply the limits.
    assert "RedisCache" in print_setting("settings.CACHES['default']['BACKEND']", PRODUCTION_ENV, tmp_path)

    without_redis = {key: value for key, value in PRODUCTION_ENV.items() if key != "REDIS_URL"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=without_redis, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "marketplace.W001" in result.stdout + result.stderr


def test_a_successful_sign_in_does_not_reset_the_count_of_failures(client, user, password):
    for _attempt in range(4):
        sign_in(client, user.email, "wrong-password")
    assert sign_in(client, user.email, password).status_code == 302
    client.logout()

    assert sign_in(client, user.email, "wrong-password").status_code == 200
    assert sign_in(client, user.email, password).status_code == 429


# --- guessing TOTP codes ----------------------------------------------------------------------


def test_guessing_the_totp_code_is_limited(client, user, password):
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = sign_in(client, user.email, password)
    assert response["Location"] == reverse("mfa_authenticate")
    right = current_totp(secret)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"

    for _attempt in range(5):
        assert client.post(reverse("mfa_authenticate"), {"code": wrong}).status_code == 200

    assert_refused_in_thai(client.post(reverse("mfa_authenticate"), {"code": right}))
    assert not signed_in(client)


# --- the admin sign-in pages ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/login/", "/django-admin/login/"])
def test_admin_sign_in_pages_check_no_password(client, superuser, password, path):
    credentials = {"username": superuser.email, "login": superuser.email, "password": password}

    response = client.post(f"{path}?next=/admin/", credentials)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not signed_in(client)


@pytest.mark.parametrize("path", ["/admin/login/", "/django-admin/login/"])
def test_admin_sign_in_pages_do_not_get_around_the_limit(client, superuser, password, path):
    for _attempt in range(5):
        sign_in(client, superuser.email, "wrong-password")

    client.post(path, {"username": superuser.email, "login": superuser.email, "password": password})
    assert not signed_in(client)
    # The only sign-in there is still refuses, for a while, even the right password.
    assert sign_in(client, superuser.email, password).status_code == 429


def test_the_django_admin_password_change_goes_to_the_rate_limited_page(client, superuser, password):
    give_totp(superuser)
    client.force_login(superuser)

    response = client.post(
        "/django-admin/password_change/",
        {"old_password": "guess", "new_password1": "N3w-Passw0rd!x", "new_password2": "N3w-Passw0rd!x"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")


# --- sessions end on a password change --------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions(client, user, password):
    phone = Client()
    assert sign_in(phone, user.email, password).status_code == 302
    assert sign_in(client, user.email, password).status_code == 302
    assert phone.get(reverse("account_change_password")).status_code == 200

    new_password = "another-long-password-2569"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    response = phone.get(reverse("account_change_password"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not signed_in(phone)


def test_a_password_reset_ends_every_session(client, user, password):
    phone = Client()
    assert sign_in(phone, user.email, password).status_code == 302
    user.set_password("reset-by-email-password-2569")
    user.save()

    assert phone.get(reverse("account_change_password")).status_code == 302
    assert not signed_in(phone)


# --- staff sessions end when idle -------------------------------------------------------------


@pytest.fixture
def staff_client(client, coordinator):
    give_totp(coordinator)
    client.force_login(coordinator)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    return client


def set_idle(client, seconds: float) -> float:
    session = client.session
    session[LAST_ACTIVITY_SESSION_KEY] = time.time() - seconds
    session.save()
    return session[LAST_ACTIVITY_SESSION_KEY]


def test_an_idle_staff_session_ends_with_a_thai_message(staff_client):
    set_idle(staff_client, 31 * 60)

    response = staff_client.get(reverse("wagtailadmin_home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={reverse('wagtailadmin_home')}"
    assert not signed_in(staff_client)
    assert THAI_IDLE in staff_client.get(response["Location"]).content.decode()


def test_an_active_staff_session_continues(staff_client):
    set_idle(staff_client, 29 * 60)

    assert staff_client.get(reverse("wagtailadmin_home")).status_code == 200

    assert signed_in(staff_client)
    assert staff_client.session[LAST_ACTIVITY_SESSION_KEY] == pytest.approx(time.time(), abs=5)


def test_activity_is_written_to_the_session_at_most_once_a_minute(staff_client):
    recent = set_idle(staff_client, 10)

    staff_client.get(reverse("wagtailadmin_home"))

    assert staff_client.session[LAST_ACTIVITY_SESSION_KEY] == recent


def test_the_idle_time_is_a_setting(staff_client, settings):
    settings.STAFF_SESSION_IDLE_SECONDS = 5 * 60
    set_idle(staff_client, 6 * 60)

    assert staff_client.get(reverse("wagtailadmin_home")).status_code == 302
    assert not signed_in(staff_client)


def test_an_ordinary_users_session_does_not_end_when_idle(client, user, password):
    sign_in(client, user.email, password)
    set_idle(client, 8 * 60 * 60)

    assert client.get(reverse("account_change_password")).status_code == 200
    assert signed_in(client)
