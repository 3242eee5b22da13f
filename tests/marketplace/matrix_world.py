"""The data set of the role × object matrix (test_role_object_matrix): two scopes that mirror each
other, and the people who work in them.

Scope X: Kalasin University (KSU), province 46, producer group X, company A.
Scope Y: Roi Et university (RMU), province 45, producer group Y, company B.

Each scope has a household with personal data whose strings are distinctive markers, a product,
an activated agreement with a confirmed, delivered and accepted call-off (so an invoice), a paid
marketplace order whose delivery the household supplied (so income entries and a payout), an
income survey, an import batch, a company invitation and API key, and an image and a document in
the group's collection. Everything is built through the services a user would go through.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import factory
from allauth.mfa.models import Authenticator
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Site

from buyers import api_keys
from buyers import services as buyer_services
from buyers.models import CompanyRole, DeliveryAddress
from cms.models import Category, Certification
from cms.services import ensure_group_access
from income.ledger import services as ledger
from income.ledger.models import Payout
from marketplace import audit
from marketplace.models import AuditEvent
from orders import fulfilment
from orders import services as order_services
from orders.fulfilment import LineDecision
from orders.models import Invoice
from producers import services as producer_services
from producers.importing.models import HouseholdImport
from producers.models import (
    Consent,
    CoordinatorAssignment,
    GroupMembership,
    IncomeSurvey,
    PovertyLine,
    PovertySource,
)
from referrals import services as referral_services
from referrals.models import Agency, AgencyMembership, FieldAssignment
from tests.factories import accounts as factories_accounts
from tests.factories import buyers as factories_buyers
from tests.factories import catalogue as factories_catalogue
from tests.factories import households as factories_households
from tests.factories import orders as factories_orders
from tests.factories import pages as factories_pages
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory, add_member
from tests.factories.households import GroupFactory, HouseholdFactory, InstitutionFactory, assign
from tests.factories.orders import AgreementFactory, add_line, make_product, paid_marketplace_order
from tests.helpers import give_totp

ROLES = (
    "anonymous",
    "purchaser_a",  # a purchaser of company A (scope X)
    "member_b",  # an admin of company B (scope Y)
    "manager_x",
    "manager_y",
    "treasurer_x",
    "coordinator_p1",  # a coordinator of province 46 / KSU: province 45 is another province
    "superuser",  # the platform operator, not a coordinator
    "field_x",  # an area research manager of province 46
    "agency_x",  # staff of the agency that scope X's household was referred to
)

# The scope whose objects fill a role's URL kwargs: the one that is not theirs.
FOREIGN_SCOPE = {
    "anonymous": "Y",
    "purchaser_a": "Y",
    "member_b": "X",
    "manager_x": "Y",
    "manager_y": "X",
    "treasurer_x": "Y",
    "coordinator_p1": "Y",
    "superuser": "Y",
    "field_x": "Y",
    "agency_x": "Y",
}

# Who may read each kind of marker of each scope. Household personal data: the coordinators of
# its area and its own group's people, nobody else (not companies, not superusers).
# The area research manager of its province, and the agency it was referred to (with consent).
HOUSEHOLD_READERS = {
    "X": {"manager_x", "treasurer_x", "coordinator_p1", "field_x", "agency_x"},
    "Y": {"manager_y"},
}
# A referral's number: the agency it went to and those who do field work in the household's area.
REFERRAL_READERS = {"X": {"field_x", "coordinator_p1", "agency_x"}, "Y": set()}
# Orders and agreements: the company, the group, the coordinators who watch them; the operator.
TRADE_READERS = {
    "X": {"purchaser_a", "manager_x", "treasurer_x", "coordinator_p1", "superuser"},
    "Y": {"member_b", "manager_y", "superuser"},
}
# A company's tax ID: its members, coordinators (who draft agreements with every company), the
# operator, and the group that sells to it (its tax invoices and receipts name the buyer).
COMPANY_READERS = {
    "X": {"purchaser_a", "coordinator_p1", "superuser", "manager_x", "treasurer_x"},
    "Y": {"member_b", "coordinator_p1", "superuser", "manager_y"},
}
# A company's API keys: its members only.
API_KEY_READERS = {"X": {"purchaser_a"}, "Y": {"member_b"}}
# A group's bank account and payouts: its people, its area's coordinators, the operator (groups).
GROUP_READERS = {
    "X": {"manager_x", "treasurer_x", "coordinator_p1", "superuser"},
    "Y": {"manager_y", "superuser"},
}
PAYOUT_READERS = {"X": {"manager_x", "treasurer_x", "coordinator_p1"}, "Y": {"manager_y"}}

SCOPES = {
    "X": {
        "institution": ("KSU", "มหาวิทยาลัยกาฬสินธุ์", "46"),
        "area": ("46", "4601", "460101"),
        "household": ("ลับเฉพาะ-P1-HH สมศรี", "0899990002", "6284", "HH-LAB-P1-0001"),
        "payout_ref": "PAYREF-LAB-X-5521",
        "bank_account": "LABACCT-X-447120",
        "company_tax_seed": 771001,
    },
    "Y": {
        "institution": ("RMU", "มหาวิทยาลัยราชภัฏร้อยเอ็ด", "45"),
        "area": ("45", "4501", "450101"),
        "household": ("ลับเฉพาะ-P2-HH บุญมา", "0899990001", "7319", "HH-LAB-P2-0001"),
        "payout_ref": "PAYREF-LAB-Y-5522",
        "bank_account": "LABACCT-Y-447121",
        "company_tax_seed": 771002,
    },
}


@dataclass
class Marker:
    text: str
    readers: frozenset[str]
    what: str


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)  # {"X": {...}, "Y": {...}, "shared": {...}}
    markers: list[Marker] = field(default_factory=list)
    api_keys: dict = field(default_factory=dict)  # role -> key in clear
    clients: dict = field(default_factory=dict)  # role -> signed-in test client
    session_keys: dict = field(default_factory=dict)  # role -> the session it signed in with
    request_count: int = 0

    def obj(self, scope: str, key: str):
        if key in self.objects["shared"]:
            return self.objects["shared"][key]
        return self.objects[scope][key]


def _scope(world: World, s: str, *, manager, purchaser, coordinator) -> None:
    spec = SCOPES[s]
    code, name, province = spec["institution"]
    institution = InstitutionFactory(code=code, name_th=name, province_code=province)
    province, district, subdistrict = spec["area"]
    group = GroupFactory(
        code=f"GRP-LAB-{s}",
        name_th=f"กลุ่มทดสอบเมทริกซ์ {s}",
        institution=institution,
        province_code=province,
        district_code=district,
        subdistrict_code=subdistrict,
        bank_name="ธนาคารทดสอบ",
        bank_account_name=f"กลุ่มทดสอบเมทริกซ์ {s}",
        bank_account_number=spec["bank_account"],
    )
    group_access = ensure_group_access(group)
    head_name, phone, last4, hh_code = spec["household"]
    household = HouseholdFactory(
        code=hh_code,
        head_name=head_name,
        phone=phone,
        institution=institution,
        province_code=province,
        district_code=district,
        subdistrict_code=subdistrict,
        group=group,
    )
    household.citizen_id_hash = hashlib.sha256(f"matrix-{s}".encode()).hexdigest()
    household.citizen_id_last4 = last4
    household.save(update_fields=["citizen_id_hash", "citizen_id_last4"])
    producer_services.membership_grant(user=manager, group=group, role=GroupMembership.Role.MANAGER)
    assign(coordinator, province_code=province, institution=institution)

    company = CompanyFactory(
        name_th=f"บริษัทเมทริกซ์ {s} จำกัด", name_en=f"Matrix {s} Co.", tax_id=_tax_id(spec["company_tax_seed"])
    )
    add_member(company, purchaser, CompanyRole.ADMIN if s == "Y" else CompanyRole.PURCHASER)
    product = make_product(group, title=f"ข้าวเมทริกซ์ {s}", slug=f"matrix-rice-{s.lower()}", sku=f"MTX-{s}")

    # An activated agreement with a call-off, delivered and accepted: an invoice.
    agreement = AgreementFactory(company=company, institution=institution, code=f"MOU-LAB-{s}-0001")
    line = add_line(agreement, product, committed="100", price="55.00")
    order_services.agreement_activate(agreement=agreement, actor=coordinator)
    [call_off] = order_services.call_off_place(
        agreement=agreement, quantities={line.pk: Decimal("10")}, placed_by=purchaser
    )
    order_services.order_confirm(order=call_off, actor=manager)
    call_off_delivery = fulfilment.delivery_record(
        order=call_off,
        quantities={call_off.lines.get().pk: Decimal("10")},
        delivered_on=timezone.localdate(),
        actor=manager,
        note=f"DELNOTE-LAB-{s}",
    )
    _accept(call_off_delivery)
    invoice = Invoice.objects.filter(order=call_off).first()

    # A paid marketplace order; the household supplied its delivery; settled and partly paid out.
    market = paid_marketplace_order(company=company, lines=[(product, "10")], placed_by=purchaser)
    order_services.order_confirm(order=market, actor=manager)
    delivery = fulfilment.delivery_record(
        order=market,
        quantities={market.lines.get().pk: Decimal("10")},
        delivered_on=timezone.localdate(),
        actor=manager,
    )
    ledger.contributions_record(delivery_line=delivery.lines.get(), rows={household.pk: Decimal("10")}, actor=manager)
    _accept(delivery)
    payout = ledger.payout_record(
        household=household,
        group=group,
        amount=Decimal("100.00"),
        method=Payout.Method.CASH,
        paid_on=timezone.localdate(),
        actor=manager,
        reference=spec["payout_ref"],
    )

    survey = IncomeSurvey.objects.create(
        household=household,
        surveyed_on=datetime.date(2024, 6, 1),
        annual_income=Decimal("130000"),
        members=4,
        source=PovertySource.BMN,
        recorded_by=coordinator,
    )
    household_import = HouseholdImport.objects.create(
        institution=institution,
        default_group=group,
        created_by=coordinator,
        original_name=f"import-lab-{s}.csv",
        status=HouseholdImport.Status.SUCCEEDED,
        total_rows=1,
        processed_rows=1,
        updated_count=1,
        outcomes=[{"row": 2, "code": hh_code, "action": "updated", "changes": ["phone"]}],
    )
    invitation, token = buyer_services.invitation_create(
        company=company, email=f"invitee-{s.lower()}@matrix.example", role=CompanyRole.VIEWER, invited_by=purchaser
    )
    company_admin = UserFactory(email=f"company-admin-{s.lower()}@matrix.example")
    add_member(company, company_admin, CompanyRole.ADMIN)
    key, clear_key = api_keys.create_key(
        company=company, name=f"ERP-LAB-{s}", scopes=("read", "order"), created_by=company_admin
    )
    address = buyer_services.address_save(
        address=DeliveryAddress(company=company, label=f"ADDR-LAB-{s}", address=f"คลัง {s}"), actor=company_admin
    )
    image = get_image_model().objects.create(
        title=f"ภาพกลุ่ม {s}", file=get_test_image_file(), collection=group_access.collection
    )
    from django.core.files.base import ContentFile

    document = get_document_model().objects.create(
        title=f"เอกสารกลุ่ม {s}", file=ContentFile(b"matrix", name=f"matrix-{s}.txt"), collection=group_access.collection
    )
    # Scope X's household was verified, assessed and referred to scope X's agency (with consent).
    agency = Agency.objects.create(
        name=f"หน่วยงานเมทริกซ์ {s}", level=Agency.Level.LOCAL, province_codes=[province], dimensions=["health"]
    )
    Consent.objects.create(household=household, status=Consent.Status.GIVEN, scope=Consent.Scope.REFERRAL)
    assessment = referral_services.needs_assess(
        household=household, actor=coordinator, needs=[("health", 3, f"ความต้องการเมทริกซ์ {s}")]
    )
    need = assessment.needs.get()
    referral = referral_services.referral_create(need=need, agency=agency, actor=coordinator)
    revision = product.save_revision()
    workflow_state = group_access.workflow.start(product, manager) if group_access.workflow else None
    # Audit rows about the household, as its people's work leaves them (the Django admin lists them).
    audit.record("household.view", household)

    world.objects[s] = {
        "institution": institution,
        "group": group,
        "group_page": group_access.page,
        "collection": group_access.collection,
        "editors": group_access.editors,
        "workflow": group_access.workflow,
        "household": household,
        "consent": household.consents.first(),
        "enrolment": household.enrolments.first(),
        "survey": survey,
        "company": company,
        "product": product,
        "revision": revision,
        "workflow_state": workflow_state,
        "task_state": workflow_state.current_task_state if workflow_state else None,
        "task": group_access.workflow.tasks.first() if group_access.workflow else None,
        "agreement": agreement,
        "call_off": call_off,
        "call_off_delivery": call_off_delivery,
        "invoice": invoice,
        "market_order": market,
        "checkout": market.checkout,
        "delivery": delivery,
        "payout": payout,
        "import": household_import,
        "invitation": invitation,
        "invitation_token": token,
        "api_key": key,
        "address": address,
        "agency": agency,
        "need": need,
        "referral": referral,
        "image": image,
        "document": document,
        "manager": manager,
        "manager_membership": GroupMembership.objects.get(user=manager, group=group),
        "company_membership": company.memberships.get(user=purchaser),
        "coordinator": coordinator,
        "assignment": CoordinatorAssignment.objects.filter(user=coordinator).first(),
        "authenticator": Authenticator.objects.filter(user=coordinator).first(),
        "email_address": coordinator.emailaddress_set.first(),
        "audit_event": AuditEvent.objects.filter(object_id=str(household.pk), action="household.view").first(),
    }
    world.api_keys[purchaser] = clear_key

    households, trade, company_own, group_own, payouts = (
        HOUSEHOLD_READERS[s],
        TRADE_READERS[s],
        COMPANY_READERS[s],
        GROUP_READERS[s],
        PAYOUT_READERS[s],
    )
    markers = [
        Marker(head_name, households, f"household {s} name"),
        Marker(phone, households, f"household {s} phone"),
        Marker(last4, households, f"household {s} citizen-ID digits"),
        Marker(hh_code, households, f"household {s} code"),
        Marker(spec["payout_ref"], payouts, f"payout {s} reference"),
        Marker(agreement.code, trade, f"agreement {s}"),
        Marker(call_off.number, trade, f"call-off {s}"),
        Marker(market.number, trade, f"marketplace order {s}"),
        Marker(call_off_delivery.number, trade, f"delivery {s}"),
        Marker(delivery.number, trade, f"delivery {s}"),
        Marker(market.checkout.reference, trade - {"manager_" + s.lower()}, f"checkout {s}"),
        Marker(company.tax_id, company_own, f"company {s} tax ID"),
        Marker(key.prefix, API_KEY_READERS[s], f"API key {s}"),
        Marker(address.label, API_KEY_READERS[s], f"company {s} delivery address"),
        Marker(f"ความต้องการเมทริกซ์ {s}", households, f"household {s} need"),
        Marker(referral.number, REFERRAL_READERS[s], f"referral {s}"),
        Marker(spec["bank_account"], group_own, f"group {s} bank account"),
    ]
    if invoice is not None:
        markers.append(Marker(invoice.number, trade, f"invoice {s}"))
    world.markers += [Marker(m.text, frozenset(m.readers), m.what) for m in markers]


def _tax_id(seed: int) -> str:
    from tests.factories.buyers import valid_tax_id

    return valid_tax_id(seed)


def _accept(delivery) -> None:
    decisions = {
        line.pk: LineDecision(accepted=line.quantity, rejected=Decimal("0"), reason="") for line in delivery.lines.all()
    }
    fulfilment.delivery_accept(delivery=delivery, decisions=decisions, actor=None)


def _cross_area_household(world: World) -> None:
    """A household living in province 45 but enrolled in group X (province 46): group X's people
    may read it; the coordinator of province 46 may not, though it supplies a group of their area."""
    head_name, phone, last4, code = "ลับเฉพาะ-P2-ในกลุ่มX มะลิ", "0899990003", "5147", "HH-LAB-P2X-0001"
    household = HouseholdFactory(
        code=code,
        head_name=head_name,
        phone=phone,
        institution=world.objects["Y"]["institution"],
        province_code="45",
        district_code="4501",
        subdistrict_code="450101",
        group=world.objects["X"]["group"],
    )
    household.citizen_id_hash = hashlib.sha256(b"matrix-cross").hexdigest()
    household.citizen_id_last4 = last4
    household.save(update_fields=["citizen_id_hash", "citizen_id_last4"])
    readers = frozenset({"manager_x", "treasurer_x"})
    world.markers += [
        Marker(head_name, readers, "cross-area household name"),
        Marker(phone, readers, "cross-area household phone"),
        Marker(last4, readers, "cross-area household citizen-ID digits"),
        Marker(code, readers, "cross-area household code"),
    ]
    world.objects["X"]["cross_household"] = household


def _sequences_past_four_digits() -> None:
    """Factory sequences count across the whole run: after a few thousand tests a product is
    "ผ้าไหมแพรวาย้อมคราม 7319", which reads as household Y's citizen-ID digits. From here on
    they are seven digits long, which no four-digit marker can match."""
    modules = (
        factories_accounts,
        factories_buyers,
        factories_catalogue,
        factories_households,
        factories_orders,
        factories_pages,
    )
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, factory.base.BaseFactory) and value._meta.model:
                value.reset_sequence(max(value._meta.next_sequence(), 1_000_000), force=True)
    # make_product's own counter ("ข้าวหอมมะลิทดสอบ 7319" after a few thousand products on one
    # worker read as household Y's digits on a buyer's order page): seven digits too.
    factories_orders._products = itertools.count(max(next(factories_orders._products), 1_000_000))


def build() -> World:
    _sequences_past_four_digits()
    world = World()
    users = world.users
    users["purchaser_a"] = UserFactory(email="purchaser.a@matrix.example")
    users["member_b"] = UserFactory(email="member.b@matrix.example")
    users["manager_x"] = UserFactory(email="manager.x@matrix.example")
    users["manager_y"] = UserFactory(email="manager.y@matrix.example")
    users["treasurer_x"] = UserFactory(email="treasurer.x@matrix.example")
    users["coordinator_p1"] = UserFactory(email="coordinator.p1@matrix.example")
    users["superuser"] = UserFactory(email="root@matrix.example", is_staff=True, is_superuser=True)
    users["field_x"] = UserFactory(email="field.x@matrix.example")
    users["agency_x"] = UserFactory(email="agency.x@matrix.example")
    coordinator_p2 = UserFactory(email="coordinator.p2@matrix.example")  # owns scope Y's work

    _scope(world, "X", manager=users["manager_x"], purchaser=users["purchaser_a"], coordinator=users["coordinator_p1"])
    _scope(world, "Y", manager=users["manager_y"], purchaser=users["member_b"], coordinator=coordinator_p2)
    _cross_area_household(world)
    producer_services.membership_grant(
        user=users["treasurer_x"], group=world.objects["X"]["group"], role=GroupMembership.Role.TREASURER
    )
    world.objects["X"]["field_assignment"] = FieldAssignment.objects.create(user=users["field_x"], province_code="46")
    world.objects["X"]["agency_membership"] = AgencyMembership.objects.create(
        user=users["agency_x"], agency=world.objects["X"]["agency"]
    )
    agency_y_staff = UserFactory(email="agency.y@matrix.example")
    world.objects["Y"]["agency_membership"] = AgencyMembership.objects.create(
        user=agency_y_staff, agency=world.objects["Y"]["agency"]
    )
    field_y = UserFactory(email="field.y@matrix.example")
    world.objects["Y"]["field_assignment"] = FieldAssignment.objects.create(user=field_y, province_code="45")
    for name in ("coordinator_p1", "superuser", "manager_x", "manager_y", "treasurer_x", "field_x", "agency_x"):
        give_totp(users[name])
    give_totp(coordinator_p2)
    world.objects["X"]["authenticator"] = Authenticator.objects.filter(user=users["coordinator_p1"]).first()
    world.objects["Y"]["authenticator"] = Authenticator.objects.filter(user=coordinator_p2).first()
    world.api_keys = {
        "purchaser_a": world.api_keys[users["purchaser_a"]],
        "member_b": world.api_keys[users["member_b"]],
    }
    world.objects["shared"] = {
        "site": Site.objects.get(is_default_site=True),
        "root_page": Site.objects.get(is_default_site=True).root_page,
        "category": Category.objects.first(),
        "certification": Certification.objects.get_or_create(
            slug="matrix-standard", defaults={"name": "มาตรฐานเมทริกซ์", "kind": Certification.Kind.ORGANIC}
        )[0],
        "poverty_line": PovertyLine.objects.first(),
        "redirect": Redirect.objects.create(old_path="/matrix-old-path", redirect_link="/"),
    }
    return world
