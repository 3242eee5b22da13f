"""Small helpers the account tests share: drive allauth's real flows through the test client."""

import re

from allauth.mfa.totp.internal import auth as totp_auth
from django.core import mail
from django.urls import reverse

from tests.factories.accounts import PASSWORD


def sign_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def current_totp(secret: str) -> str:
    # The middle of the tolerance window is "now".
    counters = list(totp_auth.yield_hotp_counters_from_time())
    counter = counters[len(counters) // 2]
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, counter))


def activate_totp(client, password: str = PASSWORD) -> str:
    """Run allauth's TOTP set-up as the signed-in user (confirming the password first, as allauth
    asks before any change to authenticators); returns the secret."""
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate")):
        response = client.post(response["Location"], {"password": password})
        assert response.status_code == 302, response.content.decode()[:2000]
        response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200, response
    secret = client.session[totp_auth.SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


def link_in_last_email(pattern: str) -> str:
    body = mail.outbox[-1].body
    match = re.search(pattern, body)
    assert match, body
    return match.group(0)


def give_totp(user) -> None:
    """Give a user an authenticator app, as if they had set one up (the admin demands it of staff
    and coordinators). Tests that exercise the set-up itself use activate_totp instead."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
