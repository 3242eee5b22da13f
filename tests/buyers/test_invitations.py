import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from buyers import services
from buyers.models import CompanyMembership, Invitation, hash_token
from marketplace.models import AuditEvent
from tests.factories.accounts import UserFactory
from tests.helpers import sign_in


@pytest.fixture
def invite(company, company_admin, django_capture_on_commit_callbacks):
    def invite(email="new.buyer@company.example", role="purchaser"):
        with django_capture_on_commit_callbacks(execute=True):
            return services.invitation_create(company=company, email=email, role=role, invited_by=company_admin)

    return invite


def test_an_invitation_stores_only_a_hash_and_emails_the_link(invite, company):
    invitation, token = invite()

    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=7)
    [message] = mail.outbox
    assert message.to == ["new.buyer@company.example"]
    assert reverse("buyers:invitation", args=[token]) in message.body
    assert company.name_th in message.subject
    assert AuditEvent.objects.filter(action="invitation.sent", object_id=str(invitation.pk)).exists()


def test_the_invitation_email_is_in_the_invitees_language(invite):
    UserFactory(email="english.reader@company.example", preferred_language="en")
    invite(email="english.reader@company.example")
    assert mail.outbox[0].subject.startswith("You are invited to join")


def test_accepting_creates_the_membership_once(invite, company):
    invitation, token = invite()
    user = UserFactory(email="new.buyer@company.example")

    membership = services.invitation_accept(token=token, user=user)

    assert (membership.company, membership.role) == (company, "purchaser")
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action="invitation.accepted").exists()
    assert AuditEvent.objects.filter(action="role.granted", details__kind="company").exists()


def test_a_used_link_is_refused(invite):
    _invitation, token = invite()
    user = UserFactory(email="new.buyer@company.example")
    services.invitation_accept(token=token, user=user)

    with pytest.raises(services.InvitationError, match="already been used"):
        services.invitation_accept(token=token, user=user)
    assert AuditEvent.objects.filter(action="invitation.refused", details__reason="used").exists()


def test_an_expired_link_is_refused(invite):
    invitation, token = invite()
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=now - datetime.timedelta(days=7, seconds=1), expires_at=now - datetime.timedelta(seconds=1)
    )
    user = UserFactory(email="new.buyer@company.example")

    with pytest.raises(services.InvitationError, match="has expired"):
        services.invitation_accept(token=token, user=user)
    assert not CompanyMembership.objects.filter(user=user).exists()


def test_the_wrong_account_cannot_accept(invite):
    _invitation, token = invite()
    someone_else = UserFactory(email="someone.else@example.org")

    with pytest.raises(services.InvitationError, match=r"This invitation is for new\.buyer@company\.example"):
        services.invitation_accept(token=token, user=someone_else)
    assert not CompanyMembership.objects.filter(user=someone_else).exists()


def test_an_unknown_or_withdrawn_link_is_refused(invite):
    invitation, token = invite()
    user = UserFactory(email="new.buyer@company.example")
    with pytest.raises(services.InvitationError, match="not valid"):
        services.invitation_accept(token=token + "x", user=user)

    services.invitation_revoke(invitation=invitation)
    with pytest.raises(services.InvitationError, match="withdrawn"):
        services.invitation_accept(token=token, user=user)


def test_a_new_invitation_replaces_the_pending_one(invite):
    _first, first_token = invite()
    _second, second_token = invite()
    user = UserFactory(email="new.buyer@company.example")

    with pytest.raises(services.InvitationError, match="withdrawn"):
        services.invitation_accept(token=first_token, user=user)
    services.invitation_accept(token=second_token, user=user)


def test_members_are_not_invited_again(invite, purchaser):
    with pytest.raises(ValidationError, match="already a member"):
        invite(email=purchaser.email.upper())


def test_a_company_keeps_at_least_one_admin(company_admin):
    membership = CompanyMembership.objects.get(user=company_admin)
    with pytest.raises(ValidationError, match="at least one admin"):
        services.membership_revoke(membership=membership)


# --- Through the browser's eyes --------------------------------------------------------------


def test_an_anonymous_visitor_is_asked_to_sign_up_or_in_and_comes_back(client, invite):
    _invitation, token = invite()
    url = reverse("buyers:invitation", args=[token])

    page = client.get(url).content.decode()

    assert f'{reverse("account_signup")}?next={url}"' in page
    assert f'{reverse("account_login")}?next={url}"' in page


def test_signing_up_then_accepting(client, invite, password, company, django_capture_on_commit_callbacks):
    _invitation, token = invite()
    url = reverse("buyers:invitation", args=[token])
    with django_capture_on_commit_callbacks(execute=True):  # the verification mail leaves after the commit
        client.post(
            reverse("account_signup") + f"?next={url}",
            {"email": "new.buyer@company.example", "password1": password, "password2": password, "full_name": "คุณใหม่"},
        )
    confirm = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", mail.outbox[-1].body).group(1)
    client.post(confirm)

    response = client.post(url)

    assert response.status_code == 302 and response["Location"] == reverse("buyers:company", args=[company.pk])
    assert CompanyMembership.objects.filter(user__email="new.buyer@company.example", company=company).exists()


def test_signed_in_with_another_address_the_page_says_so(client, invite):
    _invitation, token = invite()
    other = UserFactory(email="other@example.org")
    client.force_login(other)

    response = client.get(reverse("buyers:invitation", args=[token]))

    assert response.status_code == 403
    assert "This invitation is for new.buyer@company.example" in response.content.decode()
    assert client.post(reverse("buyers:invitation", args=[token])).status_code == 403
    assert not CompanyMembership.objects.filter(user=other).exists()


def test_a_used_link_shows_why(client, invite, password):
    _invitation, token = invite()
    user = UserFactory(email="new.buyer@company.example")
    services.invitation_accept(token=token, user=user)
    sign_in(client, user.email, password)

    response = client.get(reverse("buyers:invitation", args=[token]))

    assert response.status_code == 410
    assert "already been used" in response.content.decode()
