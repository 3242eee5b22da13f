"""Producer groups, the target households in them and what the programme knows about each.

Household rows are personal data (PDPA). Read them only through `producers.selectors`, which
scopes them to the user; never through `Household.objects` in a view.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from marketplace import areas, audit
from marketplace.access import Membership

MONEY = {"max_digits": 14, "decimal_places": 2}


def private_storage():
    return storages["private"]


class AreaMixin(models.Model):
    province_code = models.CharField(_("province"), max_length=2, db_index=True)
    district_code = models.CharField(_("district"), max_length=4, blank=True, db_index=True)
    subdistrict_code = models.CharField(_("subdistrict"), max_length=6, blank=True)

    class Meta:
        abstract = True

    @property
    def province_name(self) -> str:
        return areas.area_name(self.province_code)

    @property
    def district_name(self) -> str:
        return areas.area_name(self.district_code)

    @property
    def subdistrict_name(self) -> str:
        return areas.area_name(self.subdistrict_code)


class Institution(models.Model):
    """A coordinating university (e.g. Kalasin University)."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9-]+$", _("Use capital letters, digits and dashes."))],
    )
    name_th = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    province_code = models.CharField(_("province"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_th

    def clean(self):
        if self.province_code and areas.province(self.province_code) is None:
            raise ValidationError(
                {"province_code": _("%(code)s is not a province code.") % {"code": self.province_code}}
            )


class ProducerGroup(AreaMixin):
    """A community enterprise (วิสาหกิจชุมชน) that target households belong to."""

    class Verification(models.TextChoices):
        PENDING = "pending", _("awaiting verification")
        VERIFIED = "verified", _("verified")
        SUSPENDED = "suspended", _("suspended")

    code = models.CharField(
        _("group code"),
        max_length=30,
        unique=True,
        help_text=_("The programme's short code for the group, used in imports."),
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", _("Use letters, digits and dashes."))],
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="groups"
    )
    name_th = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    registration_number = models.CharField(
        _("community enterprise registration number"),
        max_length=30,
        blank=True,
        help_text=_("As on the certificate under the Community Enterprise Promotion Act B.E. 2548."),
        validators=[RegexValidator(r"^[0-9./-]+$", _("Use digits, dashes, dots and slashes only."))],
    )
    village = models.CharField(_("village / address"), max_length=200, blank=True)
    verification_status = models.CharField(
        _("verification"), max_length=12, choices=Verification.choices, default=Verification.PENDING
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    retention_rate = models.DecimalField(
        _("retention rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))],
        help_text=_("Share of each sale kept for the group fund, in per cent."),
    )
    vat_registered = models.BooleanField(_("VAT registered"), default=False)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account_name = models.CharField(_("account name"), max_length=200, blank=True)
    bank_account_number = models.CharField(
        _("account number"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9-]{10,20}$", _("10 to 15 digits, dashes allowed."))],
    )
    promptpay_id = models.CharField(
        _("PromptPay ID"),
        max_length=15,
        blank=True,
        help_text=_("Mobile number (10 digits) or tax/citizen ID (13 digits)."),
        validators=[RegexValidator(r"^(0\d{9}|\d{13})$", _("A 10-digit mobile number or a 13-digit ID."))],
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("producer group")
        verbose_name_plural = _("producer groups")
        ordering = ["name_th"]

    def __str__(self) -> str:
        return self.name_th

    def clean(self):
        areas.clean_area(self, required_level="district")

    @property
    def is_verified(self) -> bool:
        return self.verification_status == self.Verification.VERIFIED


class GroupMembership(Membership):
    class Role(models.TextChoices):
        MANAGER = "manager", _("manager")
        TREASURER = "treasurer", _("treasurer")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    group = models.ForeignKey(
        ProducerGroup, verbose_name=_("producer group"), on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        constraints = [models.UniqueConstraint(fields=["user", "group"], name="unique_group_membership")]

    def __str__(self) -> str:
        return f"{self.user} · {self.group} ({self.get_role_display()})"


class CoordinatorAssignment(models.Model):
    """What a coordinator covers: a whole province, or one group. A coordinator has as many rows as
    areas they cover."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("coordinator"), on_delete=models.CASCADE, related_name="assignments"
    )
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.CASCADE)
    province_code = models.CharField(_("province"), max_length=2, blank=True)
    group = models.ForeignKey(
        ProducerGroup, verbose_name=_("producer group"), null=True, blank=True, on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("coordinator assignment")
        verbose_name_plural = _("coordinator assignments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(province_code="") & Q(group__isnull=False))
                | (~Q(province_code="") & Q(group__isnull=True)),
                name="assignment_is_a_province_or_a_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.group or areas.area_name(self.province_code)}"

    def clean(self):
        if bool(self.province_code) == bool(self.group_id):
            raise ValidationError(_("Assign either a province or a producer group."))
        if self.province_code and areas.province(self.province_code) is None:
            raise ValidationError(
                {"province_code": _("%(code)s is not a province code.") % {"code": self.province_code}}
            )


class PovertySource(models.TextChoices):
    TPMAP = "tpmap", _("TPMAP")
    BMN = "bmn", _("Basic Minimum Needs survey (จปฐ.)")
    WELFARE = "welfare", _("State welfare card register")
    PROGRAMME = "programme", _("Programme survey")
    OTHER = "other", _("Other")


class HouseholdQuerySet(models.QuerySet):
    def with_consent_status(self):
        latest = Consent.objects.filter(household=models.OuterRef("pk"), scope=Consent.Scope.PROGRAMME).order_by(
            "-recorded_at", "-pk"
        )
        return self.annotate(consent_status=models.Subquery(latest.values("status")[:1]))

    def identifiable(self):
        """Households whose people may be shown by name: consent given and not erased."""
        return self.with_consent_status().filter(consent_status=Consent.Status.GIVEN, erased_at__isnull=True)

    def with_baseline_status(self):
        """Annotate `baseline_status` (a PovertyStatus value) computed in the database, so lists can
        filter on it. Compares annual figures to avoid dividing: income < line × 12 × members."""
        line = (
            PovertyLine.objects.filter(year__lte=models.OuterRef("baseline_year"))
            .order_by("-year")
            .values("baht_per_person_month")[:1]
        )
        annual_line = models.ExpressionWrapper(
            models.Subquery(line) * 12 * models.F("members"),
            output_field=models.DecimalField(max_digits=14, decimal_places=2),
        )
        return self.annotate(baseline_annual_line=annual_line).annotate(
            baseline_status=models.Case(
                models.When(baseline_annual_line__isnull=True, then=models.Value(PovertyStatus.UNKNOWN)),
                models.When(
                    baseline_annual_income__lt=models.F("baseline_annual_line") * VERY_POOR_SHARE,
                    then=models.Value(PovertyStatus.VERY_POOR),
                ),
                models.When(
                    baseline_annual_income__lt=models.F("baseline_annual_line"), then=models.Value(PovertyStatus.POOR)
                ),
                default=models.Value(PovertyStatus.ABOVE),
                output_field=models.CharField(),
            )
        )


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("unverified")
    VERIFIED = "verified", _("verified")
    NEEDS_CORRECTION = "needs_correction", _("needs correction")


class VerificationMethod(models.TextChoices):
    HOME_VISIT = "home_visit", _("home visit")
    VILLAGE_MEETING = "village_meeting", _("village meeting")
    DOCUMENT = "document", _("document")
    REGISTRY_MATCH = "registry_match", _("registry match")


# A verified household whose figures or area change goes back to "needs correction": what was
# checked in the field is no longer what the record says.
VERIFIED_FIELDS = (
    "members",
    "baseline_annual_income",
    "baseline_year",
    "poverty_source",
    "poverty_year",
    "province_code",
    "district_code",
    "subdistrict_code",
    "village",
)


class Household(AreaMixin):
    """A target poor household. Personal data: name, phone, citizen ID (hash + last 4 digits)."""

    code = models.CharField(
        _("household code"),
        max_length=40,
        unique=True,
        help_text=_("The programme's code for the household, e.g. from TPMAP."),
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", _("Use letters, digits and dashes."))],
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="households"
    )
    citizen_id_hash = models.CharField(_("citizen ID (hash)"), max_length=64, null=True, blank=True, unique=True)
    citizen_id_last4 = models.CharField(_("citizen ID (last 4 digits)"), max_length=4, blank=True)
    head_name = models.CharField(_("head of household"), max_length=200)
    phone = models.CharField(
        _("phone"),
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^0\d{8,9}$", _("A Thai phone number: 9 or 10 digits starting with 0."))],
    )
    members = models.PositiveSmallIntegerField(
        _("household members"), validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    village = models.CharField(_("village"), max_length=200, blank=True)
    poverty_source = models.CharField(_("poverty data source"), max_length=12, choices=PovertySource.choices)
    poverty_year = models.PositiveSmallIntegerField(
        _("poverty data year"),
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text=_("Common era."),
    )
    baseline_annual_income = models.DecimalField(
        _("baseline annual household income (THB)"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)], help_text=_("Common era.")
    )
    baseline_date = models.DateField(_("baseline measured on"), null=True, blank=True)
    # Field verification by an area research manager or coordinator (referrals.services).
    verification_status = models.CharField(
        _("verification"),
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
        db_index=True,
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verification_method = models.CharField(
        _("verified by means of"), max_length=20, choices=VerificationMethod.choices, blank=True
    )
    verification_note = models.TextField(_("verification note"), blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    # Keyed hash of the code the household had before erasure, so a later import of the same code
    # is refused instead of silently bringing the person back.
    erased_code_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        """A verified household whose figures or area changed needs correcting (VERIFIED_FIELDS);
        the change and the reset are audited by the caller's audit event and this one."""
        update_fields = kwargs.get("update_fields")
        watched = [f for f in VERIFIED_FIELDS if update_fields is None or f in update_fields]
        if self.pk and watched and self.verification_status == VerificationStatus.VERIFIED:
            before = Household.objects.filter(pk=self.pk).values(*watched).first()
            changed = [f for f in watched if before is not None and before[f] != getattr(self, f)]
            if changed:
                self.verification_status = VerificationStatus.NEEDS_CORRECTION
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "verification_status"}
                audit.record("household.verification_reset", self, details={"changed": changed})
        super().save(*args, **kwargs)

    def clean(self):
        areas.clean_area(self, required_level="district")
        if self.baseline_date and self.baseline_year and self.baseline_date.year != self.baseline_year:
            raise ValidationError({"baseline_date": _("The baseline date must fall in the baseline year.")})

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @staticmethod
    def erased_code_hash_of(code: str) -> str:
        """The keyed hash kept of a household code after erasure (see services.household_erase)."""
        from .citizen_id import hash_id

        return hash_id(f"household:{code}")

    @property
    def is_identifiable(self) -> bool:
        """Needs the `consent_status` annotation (HouseholdQuerySet.with_consent_status)."""
        return not self.is_erased and getattr(self, "consent_status", None) == Consent.Status.GIVEN

    @property
    def consent_status_display(self) -> str:
        status = getattr(self, "consent_status", None)
        return str(Consent.Status(status).label) if status else str(_("not recorded"))

    @property
    def baseline_status_display(self) -> str:
        status = getattr(self, "baseline_status", None) or self.baseline_poverty_status
        return str(PovertyStatus(status).label)

    @property
    def display_name(self) -> str:
        """The head's name where it may be shown; otherwise a mask that says why not."""
        if self.is_erased:
            return str(_("(erased)"))
        if not self.is_identifiable:
            return str(_("(no consent)"))
        return self.head_name

    @property
    def baseline_monthly_income_per_person(self) -> Decimal:
        return (self.baseline_annual_income / 12 / self.members).quantize(Decimal("0.01"))

    @cached_property
    def baseline_poverty_line(self):
        return PovertyLine.for_year(self.baseline_year)

    @property
    def baseline_poverty_status(self) -> str:
        line = self.baseline_poverty_line
        return poverty_status(self.baseline_monthly_income_per_person, line.baht_per_person_month if line else None)


class PovertyStatus(models.TextChoices):
    VERY_POOR = "very_poor", _("very poor")
    POOR = "poor", _("poor")
    ABOVE = "above", _("above the line")
    UNKNOWN = "unknown", _("unknown")


VERY_POOR_SHARE = Decimal("0.8")  # "very poor": more than 20% below the line (REFERENCE.md)


def poverty_status(monthly_per_person: Decimal, line: Decimal | None) -> str:
    if line is None:
        return PovertyStatus.UNKNOWN
    if monthly_per_person < line * VERY_POOR_SHARE:
        return PovertyStatus.VERY_POOR
    if monthly_per_person < line:
        return PovertyStatus.POOR
    return PovertyStatus.ABOVE


class Enrolment(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="enrolments"
    )
    group = models.ForeignKey(
        ProducerGroup, verbose_name=_("producer group"), on_delete=models.PROTECT, related_name="enrolments"
    )
    since = models.DateField(_("since"), default=timezone.localdate)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["household", "group"], name="unique_enrolment")]

    def __str__(self) -> str:
        return f"{self.household} · {self.group}"


def consent_evidence_path(instance, filename: str) -> str:
    return f"consent/{instance.household_id}/{filename}"


class Consent(models.Model):
    """One consent decision. The newest row per household and scope is the one in force; rows are
    never edited, so the history of given and withdrawn consent stays readable."""

    class Status(models.TextChoices):
        GIVEN = "given", _("given")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Scope(models.TextChoices):
        PROGRAMME = "programme", _("programme participation and income monitoring")
        STORIES = "stories", _("name and photos in public producer stories")
        REFERRAL = "referral", _("referral to agencies that can help (name, contact, needs)")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="consents"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.PROGRAMME)
    recorded_at = models.DateTimeField(_("when"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    evidence = models.FileField(
        _("evidence"),
        upload_to=consent_evidence_path,
        storage=private_storage,
        blank=True,
        help_text=_("A scan or photo of the signed consent form (PDF, JPEG or PNG)."),
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["household", "scope", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.household} · {self.get_scope_display()} · {self.get_status_display()}"


class IncomeSurvey(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="income_surveys"
    )
    surveyed_on = models.DateField(_("surveyed on"))
    annual_income = models.DecimalField(
        _("annual household income (THB)"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    members = models.PositiveSmallIntegerField(
        _("household members"), validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    source = models.CharField(_("source"), max_length=12, choices=PovertySource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("income survey")
        verbose_name_plural = _("income surveys")
        ordering = ["-surveyed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.household} · {self.surveyed_on}"

    def clean(self):
        if self.surveyed_on and self.surveyed_on > timezone.localdate():
            raise ValidationError({"surveyed_on": _("A survey date cannot be in the future.")})


class PovertyLine(models.Model):
    """NESDC's official poverty line, baht per person per month."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True, help_text=_("Common era."))
    baht_per_person_month = models.DecimalField(
        _("baht per person per month"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("1"))]
    )
    source = models.CharField(_("source"), max_length=300)

    class Meta:
        verbose_name = _("poverty line")
        verbose_name_plural = _("poverty lines")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.baht_per_person_month}"

    @classmethod
    def for_year(cls, year: int):
        """The line of that year, else the latest published before it (lines come out late);
        None before the first line we hold."""
        return cls.objects.filter(year__lte=year).order_by("-year").first()


from .importing.models import HouseholdImport  # noqa
