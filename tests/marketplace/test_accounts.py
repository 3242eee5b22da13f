from urllib.parse import urlparse

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from marketplace.models import AuditEvent
from tests.factories.accounts import PASSWORD, UserFactory
from tests.helpers import activate_totp, current_totp, link_in_last_email, sign_in

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_sign_up_requires_email_verification_before_sign_in(client, django_capture_on_commit_callbacks):
    # Emails leave through the outbox after the commit (marketplace.outbox): run what the commit runs.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "full_name": "สมชาย ทดสอบ",
                "email": "Somchai@Example.org",
                "password1": "a-long-enough-password-2569",
                "password2": "a-long-enough-password-2569",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email__iexact="somchai@example.org")
    assert user.full_name == "สมชาย ทดสอบ"
    assert user.preferred_language == "th"
    assert not EmailAddress.objects.get(user=user).verified

    # Not verified: signing in only re-sends the verification email.
    client.logout()
    response = sign_in(client, "somchai@example.org", "a-long-enough-password-2569")
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    confirm_url = link_in_last_email(r"http://testserver/accounts/confirm-email/[^\s]+/")
    path = urlparse(confirm_url).path
    assert client.get(path).status_code == 200  # confirmation asks for a POST
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert int(client.session["_auth_user_id"]) == user.pk
    assert AuditEvent.objects.filter(action="auth.email_confirmed", object_id=str(user.pk)).exists()


def test_sign_up_refuses_a_duplicate_email_and_a_weak_password(client, user):
    response = client.post(
        reverse("account_signup"),
        {"full_name": "x", "email": "new@example.org", "password1": "12345", "password2": "12345"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.filter(email="new@example.org").exists()


def test_sign_in_with_email_and_password_is_audited(client, user, password):
    response = sign_in(client, user.email, password)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == user
    assert event.ip_address == "127.0.0.1"


def test_failed_sign_in_is_audited_without_the_password(client, user):
    response = sign_in(client, user.email, "wrong-password")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.details == {"email": user.email}
    assert "wrong-password" not in str(event.details)
    assert event.actor is None


def test_failed_sign_ins_are_rate_limited_per_account(client, user, password):
    for _attempt in range(5):
        assert sign_in(client, user.email, "wrong-password").status_code == 200
    # After five failures within five minutes the account is locked for a while, even with the
    # right password; another account from the same address is not.
    response = sign_in(client, user.email, password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    other = UserFactory()
    assert sign_in(client, other.email, PASSWORD).status_code == 302


def test_many_sign_in_attempts_from_one_address_get_429(client, db):
    statuses = [sign_in(client, f"nobody{n}@example.org", "wrong").status_code for n in range(31)]
    # Ten failures a minute from one address (login_failed), then 429 for any account.
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429] * 21


def test_password_reset_sets_a_new_password(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    reset_url = link_in_last_email(r"http://testserver/accounts/password/reset/key/[^\s]+/")
    response = client.get(urlparse(reset_url).path)
    assert response.status_code == 302  # allauth moves the key into the session
    form_path = response["Location"]
    response = client.post(form_path, {"password1": "brand-new-password-2569", "password2": "brand-new-password-2569"})
    assert response.status_code == 302
    client.logout()
    assert sign_in(client, user.email, "brand-new-password-2569").status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    assert AuditEvent.objects.filter(action="auth.password_reset", object_id=str(user.pk)).exists()


def test_password_reset_for_unknown_email_sends_no_reset_link(client, db):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    # No enumeration: the page says the same thing, and no reset link goes out.
    assert all("/password/reset/key/" not in message.body for message in mail.outbox)


def test_coordinator_must_set_up_mfa_before_the_admin(
    client, coordinator, password, django_capture_on_commit_callbacks
):
    sign_in(client, coordinator.email, password)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")

    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        secret = activate_totp(client)
    assert Authenticator.objects.filter(user=coordinator, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(action="mfa.added", object_id=str(coordinator.pk)).exists()
    assert client.get(reverse("wagtailadmin_home")).status_code == 200

    # From now on signing in asks for the code.
    client.logout()
    response = sign_in(client, coordinator.email, password)
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp(secret)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == coordinator.pk
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_ordinary_users_may_enable_mfa_but_are_not_forced_to(client, user, password):
    sign_in(client, user.email, password)
    assert client.get(reverse("mfa_index")).status_code == 200
    activate_totp(client)
    assert Authenticator.objects.filter(user=user).exists()


def test_ordinary_users_do_not_reach_the_wagtail_admin(client, user, password):
    sign_in(client, user.email, password)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert not response["Location"].startswith(reverse("wagtailadmin_home"))


def test_wagtail_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/admin/pages/"
    response = client.get(reverse("wagtailadmin_home"))
    assert response["Location"].startswith(reverse("account_login"))


def test_django_admin_is_for_superusers_only(client, coordinator, superuser, password):
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/django-admin/login/")
    assert client.get(response["Location"])["Location"].startswith(reverse("account_login"))

    sign_in(client, coordinator.email, password)
    activate_totp(client)
    assert client.get("/django-admin/").status_code == 302  # a coordinator is not a superuser

    client.logout()
    sign_in(client, superuser.email, password)
    assert client.get("/django-admin/")["Location"] == reverse("mfa_activate_totp")
    activate_totp(client)
    assert client.get("/django-admin/").status_code == 200


def test_a_coordinator_first_sign_in_reaches_the_admin_in_one_pass(
    client, coordinator, password, django_capture_on_commit_callbacks
):
    """sign-in → TOTP set-up → recovery codes → Continue to the admin, with no second password
    prompt: the password typed seconds ago is the confirmation allauth wants."""
    sign_in(client, coordinator.email, password)
    assert client.get(reverse("wagtailadmin_home"))["Location"] == reverse("mfa_activate_totp")

    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200  # not the re-authentication page
    secret = client.session[totp_auth.SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")

    page = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert f'href="{reverse("wagtailadmin_home")}" id="mfa-continue"' in page
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_changing_an_authenticator_from_before_the_sign_in_still_asks_for_the_password(client, coordinator, password):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(coordinator, secret)
    sign_in(client, coordinator.email, password)
    client.post(reverse("mfa_authenticate"), {"code": current_totp(secret)})

    response = client.get(reverse("mfa_generate_recovery_codes"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))


def test_an_old_sign_in_does_not_count_as_the_confirmation(client, coordinator, password):
    sign_in(client, coordinator.email, password)
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] -= 3600  # signed in an hour ago
    session["account_authentication_methods"] = records
    session.save()

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
