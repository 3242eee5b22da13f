"""Emails about companies. Each goes out in the recipient's language (their account's preferred
language when they have one, else the site default); it is queued in the outbox inside the
transaction (marketplace.outbox) and sent after the commit, in the background."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import translation

from marketplace import outbox


def language_for_email(email: str) -> str:
    user = get_user_model().objects.filter(email__iexact=email).only("preferred_language").first()
    return getattr(user, "preferred_language", None) or settings.LANGUAGE_CODE


def send_invitation(*, invitation, accept_url: str) -> None:
    language = language_for_email(invitation.email)
    with translation.override(language):
        context = {"invitation": invitation, "company": invitation.company, "accept_url": accept_url}
        subject = render_to_string("buyers/email/invitation_subject.txt", context).strip()
        body = render_to_string("buyers/email/invitation.txt", context)
    outbox.enqueue(
        f"invitation:{invitation.pk}",
        to=invitation.email,
        subject=subject,
        body=body,
        kind="invitation",
        language=language,
    )
