"""Demo data for verification and referrals (called by `manage.py seed_demo` after the households
exist): two agencies with a staff account, the area research manager's area (Kalasin), about
half of Kalasin's households verified (a few needing correction), needs assessed for a third of
all the demo households and referrals in every state. Idempotent: nothing is added once the agencies exist."""

from __future__ import annotations

import datetime

from django.utils import timezone

from producers.models import Consent, Household, VerificationMethod, VerificationStatus
from producers.services import consent_record

from . import services
from .models import Agency, AgencyMembership, Dimension, FieldAssignment, ReferralState

AGENCIES = [
    # name, English name, level, provinces, dimensions, contact, days to answer
    (
        "โรงพยาบาลส่งเสริมสุขภาพตำบล เครือข่ายกาฬสินธุ์",
        "Kalasin Sub-district Health Promoting Hospitals",
        Agency.Level.LOCAL,
        ["46"],
        [Dimension.HEALTH, Dimension.LIVING],
        "rphs@agency.demo.example",
        14,
    ),
    (
        "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดกาฬสินธุ์",
        "Kalasin Provincial Social Development and Human Security Office",
        Agency.Level.PROVINCIAL,
        ["46", "45"],
        [Dimension.INCOME, Dimension.SERVICES, Dimension.EDUCATION, Dimension.LIVING],
        "pso@agency.demo.example",
        21,
    ),
]

# Needs by household (cycled): (dimension, severity, what is needed).
NEEDS = [
    [(Dimension.HEALTH, 3, "ผู้สูงอายุติดเตียง ต้องการเยี่ยมบ้านและกายอุปกรณ์")],
    [(Dimension.INCOME, 2, "ต้องการลงทะเบียนบัตรสวัสดิการแห่งรัฐ"), (Dimension.LIVING, 2, "หลังคารั่ว")],
    [(Dimension.EDUCATION, 2, "บุตรต้องการทุนการศึกษา")],
    [(Dimension.SERVICES, 1, "ยังไม่มีบัตรประชาชนของบุตร")],
    [(Dimension.LIVING, 3, "บ้านทรุดโทรม ต้องการซ่อมแซม")],
]
# What becomes of the referrals, cycled so every state appears.
OUTCOMES = [
    [],
    [ReferralState.ACCEPTED],
    [ReferralState.DECLINED],
    [ReferralState.ACCEPTED, ReferralState.IN_PROGRESS],
    [ReferralState.ACCEPTED, ReferralState.RESOLVED],
    [ReferralState.ACCEPTED, ReferralState.IN_PROGRESS, ReferralState.NOT_RESOLVABLE],
]


def seed(*, field_manager, agency_staff, coordinator) -> dict:
    """Call inside seed_demo's transaction. Returns counts of what exists."""
    if not FieldAssignment.objects.filter(user=field_manager).exists():
        FieldAssignment.objects.create(user=field_manager, province_code="46")
    if not Agency.objects.exists():
        _seed(field_manager=field_manager, agency_staff=agency_staff, coordinator=coordinator)
    from .models import NeedsAssessment, Referral

    return {
        "agencies": Agency.objects.count(),
        "verified": Household.objects.filter(verification_status=VerificationStatus.VERIFIED).count(),
        "assessments": NeedsAssessment.objects.count(),
        "referrals": Referral.objects.count(),
    }


def _seed(*, field_manager, agency_staff, coordinator) -> None:
    agencies = []
    for name, name_en, level, provinces, dimensions, email, days in AGENCIES:
        agencies.append(
            Agency.objects.create(
                name=name,
                name_en=name_en,
                level=level,
                province_codes=provinces,
                dimensions=list(dimensions),
                contact_email=email,
                contact_phone="043-000-000",
                answer_days=days,
            )
        )
    AgencyMembership.objects.get_or_create(user=agency_staff, agency=agencies[0])

    households = list(Household.objects.filter(province_code="46", erased_at__isnull=True).order_by("code"))
    methods = VerificationMethod.values
    for index, household in enumerate(households):
        if index % 2 == 0:  # half verified, in the field
            services.household_verify(
                household=household,
                actor=field_manager,
                status=VerificationStatus.VERIFIED,
                method=methods[index % len(methods)],
            )
        elif index % 11 == 1:
            services.household_verify(
                household=household,
                actor=field_manager,
                status=VerificationStatus.NEEDS_CORRECTION,
                note="จำนวนสมาชิกไม่ตรงกับทะเบียนบ้าน",
            )

    # A third of all the demo households (both provinces): Kalasin's assessed by the area research
    # manager, Roi Et's by the coordinator.
    everyone = list(Household.objects.filter(erased_at__isnull=True).order_by("province_code", "code"))
    assessed = everyone[::3]
    today = timezone.localdate()
    outcome = 0
    for index, household in enumerate(assessed):
        actor = field_manager if household.province_code == "46" else coordinator
        consent_record(
            household=household, status=Consent.Status.GIVEN, scope=Consent.Scope.REFERRAL, recorded_by=actor
        )
        assessment = services.needs_assess(
            household=household,
            actor=actor,
            needs=NEEDS[index % len(NEEDS)],
            assessed_on=today - datetime.timedelta(days=40 - index % 30),
        )
        for need in assessment.needs.all():
            agency = next(
                (a for a in agencies if need.dimension in a.dimensions and a.serves(household.province_code)), None
            )
            if agency is None or index % 4 == 3:  # some needs left to refer
                continue
            expected = max(today - datetime.timedelta(days=index % 9), assessment.assessed_on)
            referral = services.referral_create(need=need, agency=agency, actor=actor, expected_by=max(expected, today))
            # Back-date the referral so the figures have days to measure.
            from .models import Referral

            Referral.objects.filter(pk=referral.pk).update(
                referred_at=timezone.now() - datetime.timedelta(days=30 - index % 20),
                expected_by=expected,
            )
            for state in OUTCOMES[outcome % len(OUTCOMES)]:
                staff = agency_staff if agency == agencies[0] else None
                reason = (
                    "ไม่อยู่ในเกณฑ์ของหน่วยงาน" if state in (ReferralState.DECLINED, ReferralState.NOT_RESOLVABLE) else ""
                )
                services.referral_transition(referral=referral, to=state, actor=staff, reason=reason)
            outcome += 1
