"""E-mails about referrals, queued in the outbox inside the change's transaction, each in its
recipient's language. They carry the referral's number, the dimension and a link, never the
household's name or contact: those are read on the signed-in page, where the access is logged."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from marketplace import access, outbox
from producers.models import CoordinatorAssignment

from .models import AgencyMembership


def _absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _send(*, to: str, language: str, template: str, context: dict, key: str) -> None:
    with translation.override(language):
        subject = render_to_string(f"referrals/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"referrals/email/{template}.txt", context)
    outbox.enqueue(key, to=to, subject=subject, body=body, kind=f"referral_{template}", language=language)


def _agency_recipients(referral) -> list[tuple[str, str]]:
    """(address, language): the agency's staff, and its contact mailbox (in Thai)."""
    people = (
        AgencyMembership.objects.filter(agency_id=referral.agency_id, user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    )
    found = [(m.user.email, m.user.preferred_language or settings.LANGUAGE_CODE) for m in people]
    if referral.agency.contact_email and referral.agency.contact_email not in {email for email, _l in found}:
        found.append((referral.agency.contact_email, settings.LANGUAGE_CODE))
    return found


def _to_agency(referral, template: str, event: str) -> None:
    context = {"referral": referral, "url": _absolute(reverse("agency:referral", args=[referral.pk]))}
    for address, language in _agency_recipients(referral):
        _send(to=address, language=language, template=template, context=context, key=f"{event}:{address}")


def referral_received(referral) -> None:
    _to_agency(referral, "received", f"referral-{referral.pk}:received")


def referral_reminder(referral) -> None:
    _to_agency(referral, "reminder", f"referral-{referral.pk}:reminder-{referral.reminders_sent}")


def referral_answered(referral) -> None:
    """To whoever referred it: the agency's answer or the outcome."""
    user = referral.referred_by
    if user is None or not user.is_active:
        return
    context = {"referral": referral, "url": _absolute(reverse("field:household", args=[referral.household_id]))}
    _send(
        to=user.email,
        language=user.preferred_language or settings.LANGUAGE_CODE,
        template="answered",
        context=context,
        key=f"referral-{referral.pk}:{referral.state}:user-{user.pk}",
    )


def referral_escalated(referral) -> None:
    """To the coordinators of the household's province (or of one of its groups)."""
    household = referral.household
    group_ids = household.enrolments.filter(active=True).values("group_id")
    coordinators = {
        assignment.user
        for assignment in CoordinatorAssignment.objects.filter(user__is_active=True)
        .filter(province_code=household.province_code)
        .select_related("user")
    } | {
        assignment.user
        for assignment in CoordinatorAssignment.objects.filter(
            user__is_active=True, group_id__in=group_ids
        ).select_related("user")
    }
    context = {"referral": referral, "url": _absolute(reverse("field:analysis"))}
    for user in sorted(coordinators, key=lambda u: u.email):
        if not access.is_coordinator(user):
            continue
        _send(
            to=user.email,
            language=user.preferred_language or settings.LANGUAGE_CODE,
            template="escalated",
            context=context,
            key=f"referral-{referral.pk}:escalated:user-{user.pk}",
        )
