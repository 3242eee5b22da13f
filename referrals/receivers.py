"""A household that withdraws its referral consent is no longer visible to any agency (the
selectors check the newest consent on every request). Here the open referrals are closed too, as
"not resolvable", so agencies are not left with work they can no longer see, and the closure is
audited."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import audit
from producers.models import Consent

from .models import OPEN_STATES, Referral, ReferralEvent, ReferralState


@receiver(post_save, sender=Consent, dispatch_uid="referrals_close_on_consent_withdrawal")
def close_referrals_on_withdrawal(sender, instance: Consent, created: bool, **kwargs) -> None:
    if not created or instance.scope != Consent.Scope.REFERRAL or instance.status != Consent.Status.WITHDRAWN:
        return
    with transaction.atomic():
        now = timezone.now()
        for referral in Referral.objects.select_for_update().filter(
            household_id=instance.household_id, state__in=OPEN_STATES
        ):
            before = referral.state
            referral.state = ReferralState.NOT_RESOLVABLE
            referral.closed_at = now
            referral.reason = _("The household withdrew its consent to referral.")
            referral.save(update_fields=["state", "closed_at", "reason"])
            ReferralEvent.objects.create(
                referral=referral,
                from_state=before,
                to_state=referral.state,
                actor=instance.recorded_by,
                at=now,
                note=referral.reason,
            )
            audit.record(
                "referral.closed_by_consent_withdrawal", referral, actor=instance.recorded_by, details={"from": before}
            )
