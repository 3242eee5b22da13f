"""Partner companies, their people and the invitations that bring people in."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, FilteredRelation, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.access import Membership

from .tax_id import validate_tax_id

INVITATION_LIFETIME = datetime.timedelta(days=7)


class Company(models.Model):
    """A partner company that signs offtake agreements and buys from producer groups."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")

    name_th = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    tax_id = models.CharField(
        _("tax ID"),
        max_length=13,
        unique=True,
        validators=[validate_tax_id],
        help_text=_("The 13-digit taxpayer identification number from the company's registration."),
    )
    address = models.TextField(_("address"), blank=True)
    billing_email = models.EmailField(
        _("billing email"), blank=True, help_text=_("Where invoices for this company are sent.")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    po_number_required = models.BooleanField(
        _("purchase order number required"),
        default=False,
        help_text=_("Every order must carry the company's own purchase order (PO) number."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    stripe_customer_id = models.CharField(_("Stripe customer"), max_length=255, blank=True, editable=False)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name_th"]

    def __str__(self) -> str:
        return self.name_th

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class DeliveryAddress(models.Model):
    """Where a company wants goods delivered. One of a company's addresses is its default; an order
    copies the address's text when it is placed, so later edits never change a placed order."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="delivery_addresses"
    )
    label = models.CharField(_("name"), max_length=100, help_text=_("For example: Bangkok warehouse."))
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.TextField(_("address"))
    is_default = models.BooleanField(_("default address"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery address")
        verbose_name_plural = _("delivery addresses")
        ordering = ["company", "-is_default", "label", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["company"], condition=Q(is_default=True), name="one_default_delivery_address_per_company"
            )
        ]

    def __str__(self) -> str:
        return self.label

    def as_text(self) -> str:
        """The address as it is copied into an order: label, recipient and phone, then the address."""
        head = " · ".join(part for part in (self.label, self.recipient, self.phone) if part)
        return f"{head}\n{self.address.strip()}"


class CompanyRole(models.TextChoices):
    ADMIN = "admin", _("company admin")
    PURCHASER = "purchaser", _("purchaser")
    VIEWER = "viewer", _("viewer")


class CompanyMembership(Membership):
    """A person's role in one company: admins manage people, purchasers place call-offs, viewers
    only read."""

    Role = CompanyRole

    role = models.CharField(_("role"), max_length=20, choices=CompanyRole.choices)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        verbose_name = _("company membership")
        verbose_name_plural = _("company memberships")
        ordering = ["company", "user__email"]
        constraints = [models.UniqueConstraint(fields=["user", "company"], name="unique_company_membership")]

    def __str__(self) -> str:
        return f"{self.user} · {self.company} ({self.get_role_display()})"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """(token for the link, hash to store). Only the hash is kept: a leaked database row cannot
    be turned into a working link."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


class InvitationQuerySet(models.QuerySet):
    def pending(self, now: datetime.datetime | None = None):
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A single-use link inviting one email address into a company with one role."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=CompanyRole.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["company", "email"])]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="invitation_expires_later")
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.company}"

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired()


class ApiKeyScope(models.TextChoices):
    READ = "read", _("read")
    ORDER = "order", _("order")


class ApiKeyRefusal(models.TextChoices):
    """Why a key no longer works, in the order they are checked."""

    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")
    COMPANY_SUSPENDED = "company_suspended", _("the company is suspended")
    CREATOR_LEFT = "creator_left", _("its creator is no longer a member of the company")
    CREATOR_NOT_ADMIN = "creator_not_admin", _("its creator is no longer an admin of the company")
    CREATOR_DEACTIVATED = "creator_deactivated", _("its creator's account is deactivated")


class ApiKeyQuerySet(models.QuerySet):
    def with_creator_role(self):
        """Annotate `creator_role`: the creator's role in the key's company now (None when they are
        not a member), joined in the same query, for `ApiKey.refusal()`."""
        return self.annotate(
            creator_membership=FilteredRelation(
                "created_by__companymembership",
                condition=Q(created_by__companymembership__company=F("company")),
            ),
            creator_role=F("creator_membership__role"),
        )


class ApiKey(models.Model):
    """A company's key to the buyer API (api/). The secret is shown once, when it is made; only
    its SHA-256 is kept, with the first characters (`prefix`) so people can tell keys apart.

    A key acts as its creator, a company admin when it was made, and works only while they still
    are one, the company is active and the key is neither revoked nor past `expires_at`: see
    `refusal()`, asked at every request (nothing revokes keys in the background)."""

    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The company admin the key acts as. Empty only on keys made before keys needed one."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: the key does not expire.")
    )
    last_used_at = models.DateTimeField(
        _("last used at"), null=True, blank=True, help_text=_("Recorded at most once a minute.")
    )
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self",
        verbose_name=_("re-issued as"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        editable=False,
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @property
    def last_day(self) -> datetime.date | None:
        """The last local day the key works (None: no expiry)."""
        if self.expires_at is None:
            return None
        return timezone.localtime(self.expires_at - datetime.timedelta(microseconds=1)).date()

    def refusal(self, now: datetime.datetime | None = None) -> ApiKeyRefusal | None:
        """Why the key does not work now, or None when it does. Reads `creator_role` from
        `ApiKey.objects.with_creator_role()` (one more query without it) and the company."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return ApiKeyRefusal.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return ApiKeyRefusal.EXPIRED
        if not self.company.is_active:
            return ApiKeyRefusal.COMPANY_SUSPENDED
        if not hasattr(self, "creator_role"):
            self.creator_role = (
                CompanyMembership.objects.filter(company_id=self.company_id, user_id=self.created_by_id)
                .values_list("role", flat=True)
                .first()
            )
        if self.created_by_id is None or self.creator_role is None:
            return ApiKeyRefusal.CREATOR_LEFT
        if not self.created_by.is_active:
            # A deactivated account keeps its memberships (so it can be restored), not its keys.
            return ApiKeyRefusal.CREATOR_DEACTIVATED
        if self.creator_role != CompanyRole.ADMIN:
            return ApiKeyRefusal.CREATOR_NOT_ADMIN
        return None
