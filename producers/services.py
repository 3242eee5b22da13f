"""Writes about producer groups and households. Each function is one transaction and leaves an
audit event; views and the importer call these, never the models' save() for these changes."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import access, audit

from . import hooks
from .models import Consent, GroupMembership, Household, ProducerGroup


def group_set_verification(*, group: ProducerGroup, status: str, reason: str = "") -> ProducerGroup:
    """Verify, suspend or reinstate a group (coordinators only; the caller checks scope)."""
    if status not in ProducerGroup.Verification.values:
        raise ValidationError(_("Unknown verification status."))
    with transaction.atomic():
        group = ProducerGroup.objects.select_for_update().get(pk=group.pk)
        before = group.verification_status
        if before == status:
            return group
        group.verification_status = status
        group.verified_at = timezone.now() if status == ProducerGroup.Verification.VERIFIED else group.verified_at
        group.save(update_fields=["verification_status", "verified_at"])
        audit.record("group.verification", group, details={"from": before, "to": status, "reason": reason})
    return group


def membership_grant(*, user, group: ProducerGroup, role: str, granted_by=None) -> GroupMembership:
    if role not in GroupMembership.Role.values:
        raise ValidationError(_("Unknown group role."))
    with transaction.atomic():
        membership, created = GroupMembership.objects.select_for_update().get_or_create(
            user=user, group=group, defaults={"role": role, "created_by": granted_by}
        )
        if created:
            access.record_membership_change(membership, "granted")
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
            access.record_membership_change(membership, "changed")
        hooks.fire(hooks.MEMBERSHIP_CHANGED, group=group)  # managers and treasurers edit the group's pages
    return membership


def membership_revoke(*, membership: GroupMembership) -> None:
    with transaction.atomic():
        access.record_membership_change(membership, "revoked")
        membership.delete()
        hooks.fire(hooks.MEMBERSHIP_CHANGED, group=membership.group)


def consent_record(
    *,
    household: Household,
    status: str,
    scope: str = Consent.Scope.PROGRAMME,
    recorded_by=None,
    recorded_at: datetime.datetime | None = None,
    evidence=None,
) -> Consent:
    """Append a consent decision. Withdrawal takes effect at once: the household drops out of
    identifiable views and exports (see HouseholdQuerySet.identifiable)."""
    if household.is_erased:
        raise ValidationError(_("This household's data was erased."))
    consent = Consent(
        household=household,
        status=status,
        scope=scope,
        recorded_by=recorded_by,
        recorded_at=recorded_at or timezone.now(),
    )
    if evidence is not None:
        consent.evidence = evidence
    consent.full_clean()
    with transaction.atomic():
        consent.save()
        audit.record(
            f"consent.{status}",
            household,
            details={"scope": scope, "consent_id": consent.pk, "when": consent.recorded_at.isoformat()},
        )
    return consent


ERASED_NAME = "—"


def household_erase(*, household: Household, reason: str) -> Household:
    """PDPA erasure: remove what identifies the people (name, phone, citizen ID hash, village,
    subdistrict, household code, consent evidence files) and keep the anonymous figures (province,
    district, members, incomes, enrolments) that the programme's totals are made of."""
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if household.is_erased:
            return household
        files = [consent.evidence for consent in household.consents.exclude(evidence="")]
        household.erased_code_hash = Household.erased_code_hash_of(household.code)
        household.code = f"ERASED-{household.pk}"
        household.head_name = ERASED_NAME
        household.phone = ""
        household.citizen_id_hash = None
        household.citizen_id_last4 = ""
        household.village = ""
        household.subdistrict_code = ""
        household.erased_at = timezone.now()
        household.save()
        household.consents.exclude(evidence="").update(evidence="")
        audit.record("household.erased", household, details={"reason": reason})
        # Delete the files only once the database agrees they are gone.
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
    return household


def was_erased(code: str) -> bool:
    return Household.objects.filter(erased_code_hash=Household.erased_code_hash_of(code)).exists()
