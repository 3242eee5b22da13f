"""Households' needs by the five dimensions of the national poverty map (TPMAP), the agencies that
can meet them, and the referrals that ask an agency for help for one household's need.

Area research managers (นักบริหารความยากจนเชิงพื้นที่) verify households in the field and refer
them (FieldAssignment: the areas they cover). Agency staff (AgencyMembership) see only the
households referred to their agency, and only while the household's referral consent stands
(referrals.selectors). Every state change of a referral is a ReferralEvent and an audit event.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace import areas
from marketplace.access import Membership


class Dimension(models.TextChoices):
    """TPMAP's five dimensions of poverty."""

    HEALTH = "health", _("health")
    LIVING = "living", _("living conditions")
    EDUCATION = "education", _("education")
    INCOME = "income", _("income")
    SERVICES = "services", _("access to public services")


class Severity(models.IntegerChoices):
    LOW = 1, _("low")
    MEDIUM = 2, _("medium")
    HIGH = 3, _("urgent")


class Agency(models.Model):
    """A government agency (local, provincial or central) that can help with some dimensions."""

    class Level(models.TextChoices):
        LOCAL = "local", _("local")
        PROVINCIAL = "provincial", _("provincial")
        CENTRAL = "central", _("central")

    name = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    province_codes = models.JSONField(
        _("provinces served"), default=list, blank=True, help_text=_("Empty for a central agency that serves all.")
    )
    dimensions = models.JSONField(_("dimensions handled"), default=list)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    answer_days = models.PositiveSmallIntegerField(
        _("days to answer"), default=14, help_text=_("How long the agency is given to answer a referral.")
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        unknown = [code for code in self.dimensions if code not in Dimension.values]
        if unknown or not self.dimensions:
            raise ValidationError({"dimensions": _("Choose at least one of the five dimensions.")})
        for code in self.province_codes:
            if areas.province(code) is None:
                raise ValidationError({"province_codes": _("%(code)s is not a province code.") % {"code": code}})

    def serves(self, province_code: str) -> bool:
        return not self.province_codes or province_code in self.province_codes

    @property
    def dimension_labels(self) -> list[str]:
        return [str(Dimension(code).label) for code in self.dimensions if code in Dimension.values]


class AgencyMembership(Membership):
    class Role(models.TextChoices):
        STAFF = "staff", _("agency staff")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name = _("agency membership")
        verbose_name_plural = _("agency memberships")
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="unique_agency_membership")]

    def __str__(self) -> str:
        return f"{self.user} · {self.agency}"


class FieldAssignment(models.Model):
    """An area research manager's area: a province, or one district of it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("area research manager"),
        on_delete=models.CASCADE,
        related_name="field_assignments",
    )
    province_code = models.CharField(_("province"), max_length=2)
    district_code = models.CharField(_("district"), max_length=4, blank=True)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("area research manager assignment")
        verbose_name_plural = _("area research manager assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "province_code", "district_code"], name="unique_field_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {areas.area_name(self.district_code or self.province_code)}"


class NeedsAssessment(models.Model):
    """One visit's assessment of a household's needs; repeated over time, the newest counts."""

    household = models.ForeignKey(
        "producers.Household",
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="needs_assessments",
    )
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("needs assessment")
        verbose_name_plural = _("needs assessments")
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.household} · {self.assessed_on}"


class Need(models.Model):
    assessment = models.ForeignKey(
        NeedsAssessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="needs"
    )
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.MEDIUM)
    description = models.TextField(_("what is needed"), blank=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["assessment", "dimension", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "dimension"], name="one_need_per_dimension_per_assessment")
        ]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()} ({self.get_severity_display()})"


class ReferralState(models.TextChoices):
    REFERRED = "referred", _("referred")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")
    NOT_RESOLVABLE = "not_resolvable", _("not resolvable")


# The state machine: from each state, where a referral may go. Declined, resolved and not
# resolvable are final.
TRANSITIONS: dict[str, set[str]] = {
    ReferralState.REFERRED: {ReferralState.ACCEPTED, ReferralState.DECLINED},
    ReferralState.ACCEPTED: {ReferralState.IN_PROGRESS, ReferralState.RESOLVED, ReferralState.NOT_RESOLVABLE},
    ReferralState.IN_PROGRESS: {ReferralState.RESOLVED, ReferralState.NOT_RESOLVABLE},
    ReferralState.DECLINED: set(),
    ReferralState.RESOLVED: set(),
    ReferralState.NOT_RESOLVABLE: set(),
}
OPEN_STATES = (ReferralState.REFERRED, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS)
CLOSED_STATES = (ReferralState.DECLINED, ReferralState.RESOLVED, ReferralState.NOT_RESOLVABLE)


class Referral(models.Model):
    """One household's need sent to one agency."""

    need = models.ForeignKey(Need, verbose_name=_("need"), on_delete=models.PROTECT, related_name="referrals")
    household = models.ForeignKey(
        "producers.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="referrals"
    )
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="referrals")
    state = models.CharField(
        _("state"), max_length=16, choices=ReferralState.choices, default=ReferralState.REFERRED, db_index=True
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referred by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    referred_at = models.DateTimeField(_("referred at"), default=timezone.now)
    expected_by = models.DateField(_("answer expected by"))
    note = models.TextField(_("note for the agency"), blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reason = models.TextField(_("reason or outcome"), blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-referred_at", "-pk"]
        indexes = [models.Index(fields=["agency", "state"])]
        constraints = [
            # One open referral of a need to an agency at a time.
            models.UniqueConstraint(
                fields=["need", "agency"],
                condition=Q(state__in=["referred", "accepted", "in_progress"]),
                name="one_open_referral_per_need_and_agency",
            )
        ]

    def __str__(self) -> str:
        return f"R-{self.pk:06d}" if self.pk else "R-new"

    @property
    def number(self) -> str:
        return str(self)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_late(self, today: datetime.date | None = None) -> bool:
        return self.state == ReferralState.REFERRED and (today or timezone.localdate()) > self.expected_by


class ReferralEvent(models.Model):
    referral = models.ForeignKey(Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(_("from state"), max_length=16, blank=True)
    to_state = models.CharField(_("to state"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral} {self.from_state} → {self.to_state}"

    @property
    def to_label(self) -> str:
        return str(ReferralState(self.to_state).label)
