"""The referral state machine: every legal move works and is an audited event; every other move,
including closing a closed referral, is refused and changes nothing."""

import itertools

import pytest

from marketplace.models import AuditEvent
from referrals import services
from referrals.models import TRANSITIONS, Referral, ReferralState

pytestmark = pytest.mark.django_db

LEGAL = {(source, to) for source, targets in TRANSITIONS.items() for to in targets}
ALL_PAIRS = set(itertools.product(ReferralState.values, ReferralState.values))


def _bring_to(referral, state, actor):
    """Walk a fresh referral to `state` by legal moves."""
    path = {
        ReferralState.REFERRED: [],
        ReferralState.ACCEPTED: [ReferralState.ACCEPTED],
        ReferralState.DECLINED: [ReferralState.DECLINED],
        ReferralState.IN_PROGRESS: [ReferralState.ACCEPTED, ReferralState.IN_PROGRESS],
        ReferralState.RESOLVED: [ReferralState.ACCEPTED, ReferralState.RESOLVED],
        ReferralState.NOT_RESOLVABLE: [ReferralState.ACCEPTED, ReferralState.NOT_RESOLVABLE],
    }[state]
    for to in path:
        services.referral_transition(referral=referral, to=to, actor=actor, reason="เหตุผล")
    referral.refresh_from_db()
    return referral


@pytest.mark.parametrize("source,to", sorted(ALL_PAIRS - LEGAL))
def test_every_illegal_transition_is_refused(referral, agency_user, source, to):
    referral = _bring_to(referral, source, agency_user)
    events = referral.events.count()

    with pytest.raises(services.ReferralRefused):
        services.referral_transition(referral=referral, to=to, actor=agency_user, reason="เหตุผล")

    referral.refresh_from_db()
    assert referral.state == source and referral.events.count() == events


@pytest.mark.parametrize("source,to", sorted(LEGAL))
def test_every_legal_transition_is_an_audited_event(referral, agency_user, source, to):
    referral = _bring_to(referral, source, agency_user)

    services.referral_transition(referral=referral, to=to, actor=agency_user, reason="เหตุผล")

    referral.refresh_from_db()
    assert referral.state == to
    event = referral.events.last()
    assert (event.from_state, event.to_state, event.actor) == (source, to, agency_user)
    assert AuditEvent.objects.filter(action=f"referral.{to}", object_id=str(referral.pk), actor=agency_user).exists()


def test_closing_twice_is_refused(referral, agency_user):
    _bring_to(referral, ReferralState.RESOLVED, agency_user)
    with pytest.raises(services.ReferralRefused):
        services.referral_transition(referral=referral, to=ReferralState.RESOLVED, actor=agency_user)


def test_declining_needs_a_reason_and_keeps_it(referral, agency_user):
    with pytest.raises(services.ReferralRefused):
        services.referral_transition(referral=referral, to=ReferralState.DECLINED, actor=agency_user, reason="  ")
    services.referral_transition(referral=referral, to=ReferralState.DECLINED, actor=agency_user, reason="นอกเขตบริการ")
    referral = Referral.objects.get(pk=referral.pk)
    assert referral.reason == "นอกเขตบริการ" and referral.closed_at is not None


def test_an_unknown_state_is_refused(referral, agency_user):
    with pytest.raises(services.ReferralRefused):
        services.referral_transition(referral=referral, to="lost", actor=agency_user)
