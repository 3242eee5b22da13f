"""The daily job: agencies are reminded of referrals unanswered after the expected date (at most
every three days), and the area's coordinators are told once when one is a week later still."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from marketplace.models import AuditEvent
from referrals import services
from referrals.models import Referral, ReferralState

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _late(referral, days: int) -> Referral:
    Referral.objects.filter(pk=referral.pk).update(expected_by=timezone.localdate() - days * DAY)
    return Referral.objects.get(pk=referral.pk)


def _run(django_capture_on_commit_callbacks) -> str:
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("referral_reminders", stdout=out)
    return out.getvalue()


def test_nothing_before_the_expected_date(referral, agency_user, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    assert "0 reminders queued; 0 referrals escalated" in _run(django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_a_late_referral_reminds_the_agency_once_every_three_days(
    referral, agency_user, django_capture_on_commit_callbacks
):
    _late(referral, 1)
    mail.outbox.clear()

    assert "1 reminders queued" in _run(django_capture_on_commit_callbacks)
    assert "0 reminders queued" in _run(django_capture_on_commit_callbacks)  # the same day: not again

    assert sorted(m.to[0] for m in mail.outbox) == ["rphs@agency.example", "staff@agency.example"]
    assert referral.number in mail.outbox[0].subject
    later = timezone.now() + 3 * DAY + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.referrals_remind(now=later) == 1
    assert Referral.objects.get(pk=referral.pk).reminders_sent == 2


def test_an_answered_referral_is_not_reminded(referral, agency_user, django_capture_on_commit_callbacks):
    services.referral_transition(referral=referral, to=ReferralState.ACCEPTED, actor=agency_user)
    _late(referral, 5)
    assert "0 reminders queued" in _run(django_capture_on_commit_callbacks)


def test_a_week_late_goes_to_the_area_coordinators_once(
    referral, kalasin_coordinator, roiet_coordinator, django_capture_on_commit_callbacks
):
    _late(referral, 8)
    mail.outbox.clear()

    assert "1 referrals escalated" in _run(django_capture_on_commit_callbacks)
    assert "0 referrals escalated" in _run(django_capture_on_commit_callbacks)

    escalations = [m for m in mail.outbox if kalasin_coordinator.email in m.to]
    assert len(escalations) == 1 and referral.number in escalations[0].subject
    assert not [m for m in mail.outbox if roiet_coordinator.email in m.to]
    assert AuditEvent.objects.filter(action="referral.escalated", object_id=str(referral.pk)).count() == 1


def test_six_days_late_is_not_escalated(referral, kalasin_coordinator, django_capture_on_commit_callbacks):
    _late(referral, 6)
    assert "0 referrals escalated" in _run(django_capture_on_commit_callbacks)
