"""Writes about companies, their people and invitations. Each function is one transaction and
leaves an audit event; views and the demo call these."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import access, audit

from . import emails
from .models import (
    INVITATION_LIFETIME,
    Company,
    CompanyMembership,
    CompanyRole,
    DeliveryAddress,
    Invitation,
    hash_token,
    new_token,
)


class InvitationError(ValidationError):
    """An invitation link that cannot be used; the message says why, for the person holding it."""


def membership_grant(*, user, company: Company, role: str, granted_by=None) -> CompanyMembership:
    if role not in CompanyRole.values:
        raise ValidationError(_("Unknown company role."))
    with transaction.atomic():
        membership, created = CompanyMembership.objects.select_for_update().get_or_create(
            user=user, company=company, defaults={"role": role, "created_by": granted_by}
        )
        if created:
            access.record_membership_change(membership, "granted")
        elif membership.role != role:
            check_keeps_an_admin(membership, new_role=role)
            membership.role = role
            membership.save(update_fields=["role"])
            access.record_membership_change(membership, "changed")
    return membership


def check_keeps_an_admin(membership: CompanyMembership, *, new_role: str | None) -> None:
    """A company must keep at least one admin, or nobody could invite anyone again.
    Call while holding the membership row lock."""
    if membership.role != CompanyRole.ADMIN or new_role == CompanyRole.ADMIN:
        return
    others = CompanyMembership.objects.filter(company_id=membership.company_id, role=CompanyRole.ADMIN).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise ValidationError(_("A company needs at least one admin: make someone else admin first."))


def membership_revoke(*, membership: CompanyMembership) -> None:
    with transaction.atomic():
        membership = CompanyMembership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        check_keeps_an_admin(membership, new_role=None)
        access.record_membership_change(membership, "revoked")
        membership.delete()


def invitation_accept_url(token: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("buyers:invitation", args=[token])


def invitation_create(*, company: Company, email: str, role: str, invited_by) -> tuple[Invitation, str]:
    """Invite an email address into the company; returns the invitation and the link's token (the
    only time the token exists in clear: it goes into the email). The email is sent after commit."""
    email = email.strip().lower()
    if role not in CompanyRole.values:
        raise ValidationError(_("Unknown company role."))
    if not company.is_active:
        raise ValidationError(_("This company is suspended: it cannot invite anyone."))
    if CompanyMembership.objects.filter(company=company, user__email__iexact=email).exists():
        raise ValidationError(_("%(email)s is already a member of this company.") % {"email": email})
    token, token_hash = new_token()
    now = timezone.now()
    with transaction.atomic():
        # A new invitation replaces any pending one for the same address: only the newest link works.
        for old in Invitation.objects.select_for_update().filter(company=company, email__iexact=email).pending(now):
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
            audit.record("invitation.revoked", old, details={"email": old.email, "reason": "replaced"})
        invitation = Invitation.objects.create(
            company=company,
            email=email,
            role=role,
            token_hash=token_hash,
            invited_by=invited_by,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        audit.record("invitation.sent", invitation, details={"email": email, "role": role, "company_id": company.pk})
        accept_url = invitation_accept_url(token)
        emails.send_invitation(invitation=invitation, accept_url=accept_url)  # outbox: sent after the commit
    return invitation, token


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at or invitation.revoked_at:
            return invitation
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record("invitation.revoked", invitation, details={"email": invitation.email})
    return invitation


def invitation_find(token: str) -> Invitation:
    invitation = Invitation.objects.select_related("company", "invited_by").filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise InvitationError(
            _("This invitation link is not valid. Ask the company admin for a new one."), code="unknown"
        )
    return invitation


def check_invitation_usable(invitation: Invitation, user=None) -> None:
    """Raise InvitationError saying why this link cannot be used (by this user, when given)."""
    if invitation.accepted_at is not None:
        raise InvitationError(
            _("This invitation has already been used. Ask the company admin for a new one."), code="used"
        )
    if invitation.revoked_at is not None:
        raise InvitationError(_("This invitation was withdrawn. Ask the company admin for a new one."), code="revoked")
    if invitation.is_expired():
        raise InvitationError(_("This invitation has expired. Ask the company admin for a new one."), code="expired")
    if not invitation.company.is_active:
        raise InvitationError(_("This company is suspended."), code="suspended")
    if user is not None and user.email.lower() != invitation.email.lower():
        raise InvitationError(
            _("This invitation is for %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email},
            code="wrong_email",
        )


def invitation_accept(*, token: str, user) -> CompanyMembership:
    """The signed-in user accepts the invitation behind the token: check it, use it up and create
    (or change) the membership, all in one transaction so that a link works exactly once."""
    invitation = invitation_find(token)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.select_for_update().select_related("company").get(pk=invitation.pk)
            check_invitation_usable(invitation, user)
            invitation.accepted_at = timezone.now()
            invitation.accepted_by = user
            invitation.save(update_fields=["accepted_at", "accepted_by"])
            audit.record("invitation.accepted", invitation, actor=user, details={"email": invitation.email})
            membership = membership_grant(
                user=user, company=invitation.company, role=invitation.role, granted_by=invitation.invited_by
            )
    except InvitationError as error:
        # Recorded outside the rolled-back transaction, so refusals stay in the trail.
        audit.record(
            "invitation.refused", invitation, actor=user, details={"email": invitation.email, "reason": error.code}
        )
        raise
    return membership


# --- Procurement settings: delivery addresses and the PO number rule -----------------------


def address_save(*, address: DeliveryAddress, actor) -> DeliveryAddress:
    """Add or change one delivery address. Made the default, it takes over from the old default;
    a company's first address is its default."""
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=address.company_id).first()  # one writer at a time
        siblings = DeliveryAddress.objects.filter(company_id=address.company_id).exclude(pk=address.pk)
        if not siblings.exists():
            address.is_default = True
        if address.is_default:
            siblings.filter(is_default=True).update(is_default=False)
        created = address.pk is None
        address.full_clean()
        address.save()
        audit.record(
            "company.address_added" if created else "company.address_changed",
            address.company,
            actor=actor,
            details={"address": address.pk, "label": address.label, "default": address.is_default},
        )
    return address


def address_make_default(*, address: DeliveryAddress, actor) -> DeliveryAddress:
    address.is_default = True
    return address_save(address=address, actor=actor)


def address_delete(*, address: DeliveryAddress, actor) -> None:
    """Remove an address (orders keep their copy of it). If it was the default, the oldest other
    address becomes the default."""
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=address.company_id).first()
        was_default = address.is_default
        company = address.company
        details = {"address": address.pk, "label": address.label}
        address.delete()
        if was_default:
            successor = DeliveryAddress.objects.filter(company=company).order_by("created_at", "pk").first()
            if successor is not None:
                DeliveryAddress.objects.filter(pk=successor.pk).update(is_default=True)
                details["new_default"] = successor.pk
        audit.record("company.address_removed", company, actor=actor, details=details)


def po_number_rule_set(*, company: Company, required: bool, actor) -> None:
    with transaction.atomic():
        if company.po_number_required == required:
            return
        company.po_number_required = required
        company.save(update_fields=["po_number_required"])
        audit.record("company.updated", company, actor=actor, details={"fields": ["po_number_required"]})
