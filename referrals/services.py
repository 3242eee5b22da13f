"""Writes of the referrals app: verifying a household, assessing its needs, referring a need to
an agency and moving the referral through its states, reminding agencies and escalating late
referrals. Each function is one transaction and leaves audit events; views, the import, the demo
and the reminder job call these."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import audit
from marketplace.templatetags.thai import local_date
from producers.models import Household, VerificationMethod, VerificationStatus

from . import emails
from .models import (
    CLOSED_STATES,
    OPEN_STATES,
    TRANSITIONS,
    Agency,
    Dimension,
    Need,
    NeedsAssessment,
    Referral,
    ReferralEvent,
    ReferralState,
    Severity,
)
from .selectors import has_referral_consent

REMIND_EVERY = datetime.timedelta(days=3)


class ReferralRefused(ValidationError):
    """A referral or a move of one that the rules do not allow; the message says why."""


# --- Verification ---------------------------------------------------------------------------


def household_verify(
    *, household: Household, actor, status: str, method: str = "", note: str = "", at=None
) -> Household:
    """Record the field check of a household: verified (how: home visit, village meeting,
    document, registry match) or needs correction (the note says what is wrong)."""
    if status not in (VerificationStatus.VERIFIED, VerificationStatus.NEEDS_CORRECTION):
        raise ValidationError(_("Choose verified or needs correction."))
    if status == VerificationStatus.VERIFIED and method not in VerificationMethod.values:
        raise ValidationError({"method": _("Say how the data was verified.")})
    if status == VerificationStatus.NEEDS_CORRECTION and not note.strip():
        raise ValidationError({"note": _("Say what needs correcting.")})
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        before = household.verification_status
        household.verification_status = status
        household.verification_method = method if status == VerificationStatus.VERIFIED else ""
        household.verification_note = note.strip()
        household.verified_by = actor
        household.verified_at = at or timezone.now()
        # Straight to the row: the figures did not change, so Household.save's reset rule is moot.
        Household.objects.filter(pk=household.pk).update(
            verification_status=household.verification_status,
            verification_method=household.verification_method,
            verification_note=household.verification_note,
            verified_by=actor,
            verified_at=household.verified_at,
        )
        audit.record(
            "household.verified" if status == VerificationStatus.VERIFIED else "household.needs_correction",
            household,
            actor=actor,
            details={"from": before, "method": household.verification_method},
        )
    return household


# --- Needs ----------------------------------------------------------------------------------


def needs_assess(
    *,
    household: Household,
    actor,
    needs: Iterable[tuple[str, int, str]],
    assessed_on: datetime.date | None = None,
    note: str = "",
) -> NeedsAssessment:
    """A dated assessment of the household's needs: [(dimension, severity, what is needed)]. An
    assessment with no needs is recorded too (the household was asked and needs nothing)."""
    assessed_on = assessed_on or timezone.localdate()
    if assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": _("The assessment date cannot be in the future.")})
    rows = list(needs)
    dimensions = [dimension for dimension, _severity, _text in rows]
    if len(set(dimensions)) != len(dimensions):
        raise ValidationError(_("Each dimension once per assessment."))
    for dimension, severity, _text in rows:
        if dimension not in Dimension.values or severity not in Severity.values:
            raise ValidationError(_("Unknown dimension or severity."))
    with transaction.atomic():
        assessment = NeedsAssessment.objects.create(
            household=household, assessed_on=assessed_on, assessed_by=actor, note=note.strip()
        )
        Need.objects.bulk_create(
            [
                Need(assessment=assessment, dimension=dimension, severity=severity, description=text.strip())
                for dimension, severity, text in rows
            ]
        )
        audit.record(
            "household.needs_assessed",
            household,
            actor=actor,
            details={"assessment": assessment.pk, "dimensions": sorted(dimensions)},
        )
    return assessment


# --- Referrals ------------------------------------------------------------------------------


def referral_create(
    *, need: Need, agency: Agency, actor, expected_by: datetime.date | None = None, note: str = ""
) -> Referral:
    """Send one household's need to one agency. Refused without the household's referral
    consent, for an agency that does not handle the need's dimension or serve the household's
    province, with an answer date before the assessment, or while the need is already open with
    that agency."""
    household = need.assessment.household
    if household.is_erased or not has_referral_consent(household):
        raise ReferralRefused(
            _(
                "This household has not consented to referral: record its consent to share its name, "
                "contact and needs with agencies first."
            ),
            code="no_consent",
        )
    if need.dimension not in agency.dimensions:
        raise ReferralRefused(
            _("%(agency)s does not handle %(dimension)s.")
            % {"agency": agency.name, "dimension": Dimension(need.dimension).label},
            code="dimension",
        )
    if not agency.serves(household.province_code):
        raise ReferralRefused(_("%(agency)s does not serve this province.") % {"agency": agency.name}, code="area")
    today = timezone.localdate()
    expected_by = expected_by or today + datetime.timedelta(days=agency.answer_days)
    if expected_by < need.assessment.assessed_on:
        raise ReferralRefused(
            _("The answer date cannot be before the assessment (%(date)s).")
            % {"date": local_date(need.assessment.assessed_on)},
            code="date",
        )
    if expected_by < today:
        raise ReferralRefused(_("The answer date cannot be in the past."), code="date")
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).first()  # one referrer at a time
        if Referral.objects.filter(need=need, agency=agency, state__in=OPEN_STATES).exists():
            raise ReferralRefused(_("This need is already with %(agency)s.") % {"agency": agency.name}, code="open")
        now = timezone.now()
        referral = Referral.objects.create(
            need=need,
            household=household,
            agency=agency,
            referred_by=actor,
            referred_at=now,
            expected_by=expected_by,
            note=note.strip(),
        )
        ReferralEvent.objects.create(referral=referral, to_state=ReferralState.REFERRED, actor=actor, at=now, note=note)
        audit.record(
            "referral.referred",
            referral,
            actor=actor,
            details={"household": household.pk, "agency": agency.pk, "dimension": need.dimension},
        )
        emails.referral_received(referral)
    return referral


def referral_transition(*, referral: Referral, to: str, actor, reason: str = "") -> Referral:
    """Move a referral on: referred → accepted | declined (with a reason); accepted → in progress
    | resolved | not resolvable; in progress → resolved | not resolvable. Anything else, including
    closing a closed referral, is refused."""
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if to not in TRANSITIONS.get(referral.state, set()):
            raise ReferralRefused(
                _("A referral that is %(state)s cannot become %(to)s.")
                % {
                    "state": ReferralState(referral.state).label,
                    "to": ReferralState(to).label if to in ReferralState.values else to,
                },
                code="transition",
            )
        reason = reason.strip()
        if to in (ReferralState.DECLINED, ReferralState.NOT_RESOLVABLE) and not reason:
            raise ReferralRefused(_("Give the reason."), code="reason")
        now = timezone.now()
        before = referral.state
        referral.state = to
        if to == ReferralState.ACCEPTED:
            referral.accepted_at = now
        if to in CLOSED_STATES:
            referral.closed_at = now
            referral.reason = reason
        referral.save(update_fields=["state", "accepted_at", "closed_at", "reason"])
        ReferralEvent.objects.create(
            referral=referral, from_state=before, to_state=to, actor=actor, at=now, note=reason
        )
        audit.record(f"referral.{to}", referral, actor=actor, details={"from": before, "reason": reason[:500]})
        emails.referral_answered(referral)
    return referral


# --- Reminders and escalation (manage.py referral_reminders, daily) --------------------------


def referrals_remind(now=None) -> int:
    """Remind the agency of every referral still unanswered after its expected date, at most
    every REMIND_EVERY. Returns how many reminders were queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = Referral.objects.filter(state=ReferralState.REFERRED, expected_by__lt=today).exclude(
        last_reminded_at__gt=now - REMIND_EVERY
    )
    sent = 0
    for referral in due.select_related("agency", "household").order_by("pk"):
        with transaction.atomic():
            locked = Referral.objects.select_for_update().get(pk=referral.pk)
            if locked.state != ReferralState.REFERRED or (
                locked.last_reminded_at and locked.last_reminded_at > now - REMIND_EVERY
            ):
                continue
            locked.reminders_sent += 1
            locked.last_reminded_at = now
            locked.save(update_fields=["reminders_sent", "last_reminded_at"])
            emails.referral_reminder(locked)
            audit.record("referral.reminded", locked, actor=None, details={"count": locked.reminders_sent})
            sent += 1
    return sent


def referrals_escalate(now=None) -> int:
    """Tell the coordinators of the household's area about every referral unanswered
    REFERRALS_ESCALATE_AFTER_DAYS days after its expected date (once per referral)."""
    now = now or timezone.now()
    cutoff = timezone.localdate(now) - datetime.timedelta(days=settings.REFERRALS_ESCALATE_AFTER_DAYS)
    late = Referral.objects.filter(state=ReferralState.REFERRED, expected_by__lt=cutoff, escalated_at__isnull=True)
    escalated = 0
    for referral in late.select_related("agency", "household").order_by("pk"):
        with transaction.atomic():
            locked = Referral.objects.select_for_update().get(pk=referral.pk)
            if locked.state != ReferralState.REFERRED or locked.escalated_at is not None:
                continue
            locked.escalated_at = now
            locked.save(update_fields=["escalated_at"])
            emails.referral_escalated(locked)
            audit.record("referral.escalated", locked, actor=None, details={"expected_by": str(locked.expected_by)})
            escalated += 1
    return escalated
