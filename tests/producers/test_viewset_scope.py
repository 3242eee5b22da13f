# ruff: noqa: F811 (the call-off fixture is imported from test_scope_leaks and used as an argument)
"""Every URL a ScopedViewSet registers (Wagtail's list, add, edit, delete, inspect, history, usage,
copy, reorder, and any view a later Wagtail adds) works inside the permission policy's scope. The
tests walk the registered URLs instead of naming them, so a new view that looks its object up in
the whole table fails here."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import URLPattern, reverse
from wagtail.admin.viewsets import viewsets

from buyers.models import Company
from marketplace.viewsets import ScopedListingMixin, ScopedObjectMixin, ScopedViewSet
from orders.models import Order, PurchaseAgreement
from producers.models import Consent, Enrolment, Household, IncomeSurvey, PovertySource, ProducerGroup
from referrals.models import Agency, AgencyMembership, FieldAssignment
from tests.factories.accounts import UserFactory
from tests.factories.households import InstitutionFactory, assign
from tests.factories.orders import AgreementFactory
from tests.helpers import give_totp
from tests.producers.test_scope_leaks import call_off_delivery  # noqa: F401

pytestmark = pytest.mark.django_db

# Every action a view could ask for: the outsider below is refused by scope, never by role.
EVERY_ACTION = {"add", "change", "view", "delete", "copy", "reorder", "history", "usage"}


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def scoped_viewsets() -> list[ScopedViewSet]:
    reverse("households:index")  # loads the admin URLs, which registers the viewsets
    found = [viewset for viewset in viewsets.viewsets if isinstance(viewset, ScopedViewSet)]
    assert {viewset.model for viewset in found} >= {Household, Enrolment, IncomeSurvey, PurchaseAgreement, Order}
    return found


def registered_urls(viewset) -> list[URLPattern]:
    return list(viewset.get_urlpatterns())


def takes_pk(pattern: URLPattern) -> bool:
    return "pk" in pattern.pattern.converters


@pytest.fixture
def every_action(monkeypatch):
    for viewset in scoped_viewsets():
        policy = viewset.permission_policy
        monkeypatch.setattr(policy, "coordinator_actions", policy.coordinator_actions | EVERY_ACTION)


@pytest.fixture
def outsider(db):
    """A coordinator of Roi Et for another institution: none of the Kalasin records is theirs."""
    user = UserFactory(email="outsider.coordinator@example.org")
    institution = InstitutionFactory(code="RMU", name_th="มหาวิทยาลัยราชภัฏร้อยเอ็ด", province_code="45")
    assign(user, province_code="45", institution=institution)
    give_totp(user)
    return user


@pytest.fixture
def kalasin_records(kalasin_group, kalasin_household, call_off_delivery):
    """{model: (record, text that names it)} of the Kalasin group (institution KSU)."""
    code = kalasin_household.code
    survey = IncomeSurvey.objects.create(
        household=kalasin_household,
        surveyed_on=datetime.date(2026, 6, 1),
        annual_income=Decimal("150000"),
        members=4,
        source=PovertySource.BMN,
    )
    draft = AgreementFactory(institution=kalasin_group.institution, code="KSU-MOU-DRAFT-1")
    order = call_off_delivery.order
    return {
        ProducerGroup: (kalasin_group, kalasin_group.name_th),
        Household: (kalasin_household, code),
        Enrolment: (kalasin_household.enrolments.get(), code),
        Consent: (kalasin_household.consents.get(), code),
        IncomeSurvey: (survey, code),
        PurchaseAgreement: (draft, draft.code),
        Order: (order, order.number),
    }


def test_every_view_of_a_scoped_viewset_is_scoped():
    # Given every URL the scoped viewsets register
    for viewset in scoped_viewsets():
        for pattern in registered_urls(viewset):
            view_class = pattern.callback.view_class
            # Then a view of one record looks it up in the scope, and a listing starts from it
            expected = ScopedObjectMixin if takes_pk(pattern) else (ScopedListingMixin, ScopedObjectMixin)
            assert issubclass(view_class, expected), f"{viewset.name}:{pattern.name} ({view_class.__name__})"


def test_no_registered_url_shows_a_record_outside_the_scope(
    client, every_action, outsider, kalasin_coordinator, kalasin_records
):
    checked = set()
    for viewset in scoped_viewsets():
        if viewset.model in (Company, Agency, AgencyMembership, FieldAssignment):
            # Every coordinator sees every company and agency, its staff and the area research
            # managers (organisations, not households): there is no record outside the scope.
            continue
        record, name = kalasin_records[viewset.model]
        for pattern in registered_urls(viewset):
            kwargs = {"pk": record.pk} if takes_pk(pattern) else {}
            url = reverse(f"{viewset.url_namespace}:{pattern.name}", kwargs=kwargs)

            # When the coordinator of the record's area opens the URL, it works
            client.force_login(kalasin_coordinator)
            inside = client.get(url)
            assert inside.status_code == 200, f"{url}: {inside.status_code}"

            # When a coordinator with every right but another area opens it
            client.force_login(outsider)
            outside = client.get(url)

            # Then a record's page does not exist for them, and no page names the record
            if takes_pk(pattern):
                assert outside.status_code == 404, f"{url}: {outside.status_code}"
            elif pattern.name in ("index", "index_results"):
                assert name in inside.content.decode(), url  # the listing does show it to its coordinator
            assert name not in outside.content.decode(), url
            checked.add(f"{viewset.url_namespace}:{pattern.name}")

    # The walk reached Wagtail's views beyond list, edit and delete
    assert {"households:history", "households:usage", "enrolments:history", "income_surveys:history"} <= checked
