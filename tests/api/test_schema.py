"""Schemathesis over the whole buyer API schema (/api/v1/openapi.json): every operation is called
with generated valid and invalid input, as a company with a read+order key and some data, and
every answer must pass all of schemathesis' checks: no 5xx; a documented status code, content
type, headers and body; data the schema allows accepted (positive_data_acceptance) and data it
forbids refused (negative_data_rejection) — so the schema's constraints are exactly the code's.

`make test` runs EXAMPLES (25) per operation, on SQLite and on PostgreSQL; CI runs it once more
with API_SCHEMA_EXAMPLES=200 on PostgreSQL (about two minutes)."""

import json
import os
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from orders import fulfilment, services
from producers import services as producer_services
from producers.models import GroupMembership
from tests.api.conftest import make_key
from tests.factories.accounts import UserFactory
from tests.factories.orders import active_agreement, confirmed_call_off

# None: every check schemathesis has (as `--checks all`).
CHECKS = None
EXAMPLES = int(os.environ.get("API_SCHEMA_EXAMPLES", "25"))


@pytest.fixture
def seeded(company, purchaser, other_company):
    """An active agreement with a placed call-off and a confirmed one with a delivery awaiting
    acceptance, and another company's agreement and order (which must stay invisible). Returns
    the company's key and the identifiers of its records."""
    agreement = active_agreement(company=company, lines=2, committed="1000", code="KSU-MOU-2569-100")
    first, second = agreement.lines.order_by("pk")
    manager = UserFactory(email="schema.manager@example.org")
    producer_services.membership_grant(user=manager, group=first.group, role=GroupMembership.Role.MANAGER)
    order = confirmed_call_off(agreement, {first: "20", second: "5"}, placed_by=purchaser, manager=manager)
    fulfilment.delivery_record(
        order=order,
        quantities={line.pk: line.quantity for line in order.lines.all()},
        delivered_on=timezone.localdate(),
        actor=manager,
    )
    other = active_agreement(company=other_company, code="KSU-MOU-2569-200")
    services.call_off_place(agreement=other, quantities={other.lines.get().pk: Decimal("10")}, placed_by=None)
    placed = services.call_off_place(agreement=agreement, quantities={second.pk: Decimal("3")}, placed_by=purchaser)
    return {
        "key": make_key(company, ("read", "order"), created_by=purchaser)[1],
        # real identifiers, so the fuzzed queries and bodies also reach the code behind the 404s
        "path": {
            "product_id": first.product_id,
            "code": agreement.code,
            "number": placed[0].number,
            "delivery_id": order.deliveries.get().pk,
        },
    }


@pytest.fixture(autouse=True)
def _requests_in_the_test_transaction(settings):
    """The WSGI application is called in the test's thread, inside its transaction. Like Django's
    test client, keep the request signals from closing that database connection; and lift the
    rate limit (the run makes hundreds of requests with one key)."""
    settings.API_RATE_LIMIT = 1_000_000
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _load_schema():
    # The document /api/v1/openapi.json serves, read without a request (collection may not touch
    # the database); the JSON round trip makes its status-code keys strings, as served.
    import api.urls
    from api.base import api

    document = json.loads(json.dumps(api.get_openapi_schema()))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    loaded.config.generation.update(
        modes=["positive", "negative"], max_examples=EXAMPLES, database="none", with_security_parameters=False
    )
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_documented(case, seeded):
    headers = {"Authorization": f"Bearer {seeded['key']}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
    if case.path_parameters:
        # the same query and body again, for the company's own records
        case.path_parameters = {name: seeded["path"].get(name, value) for name, value in case.path_parameters.items()}
        case.call_and_validate(headers=headers, checks=CHECKS)


def test_a_placed_call_off_a_cancel_and_an_acceptance_match_the_schema(seeded, db):
    # The fuzzed bodies rarely name real agreement or delivery lines: the success answers of the
    # writes are checked here with bodies that do.
    from orders.models import Delivery, PurchaseAgreement

    headers = {"Authorization": f"Bearer {seeded['key']}", "Idempotency-Key": "schema-run-1"}
    agreement = PurchaseAgreement.objects.get(code=seeded["path"]["code"])
    line = agreement.lines.order_by("pk").first()
    delivery = Delivery.objects.get(pk=seeded["path"]["delivery_id"])
    calls = [
        (
            "/api/v1/agreements/{code}/calloffs",
            {"code": agreement.code},
            {"lines": [{"line_id": line.pk, "quantity": "12.5"}], "note": "PO-1"},
        ),
        ("/api/v1/orders/{number}/cancel", {"number": seeded["path"]["number"]}, {"note": "duplicate"}),
        (
            "/api/v1/deliveries/{delivery_id}/acceptance",
            {"delivery_id": delivery.pk},
            {
                "lines": [
                    {"delivery_line_id": line.pk, "accepted": str(line.quantity - 1), "rejected": 1, "reason": "wet"}
                    for line in delivery.lines.all()
                ]
            },
        ),
    ]
    for path, path_parameters, body in calls:
        case = schema[path]["POST"].Case(path_parameters=path_parameters, body=body, media_type="application/json")
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code in (200, 201), response.text
