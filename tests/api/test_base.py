"""The API's foundation: authentication, problems, rate limit, docs and schema."""

import datetime
import re
import warnings

import pydantic
import pytest
from django.test import override_settings
from django.utils import timezone

from api.calloffs import CallOffIn
from buyers import api_keys
from buyers.models import ApiKey
from tests.api.conftest import PROBLEM, ApiClient, assert_problem

pytestmark = pytest.mark.django_db


def test_openapi_json_is_valid_openapi_3_and_served_without_a_key(anonymous_client):
    response = anonymous_client.get("openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Community Offtake Marketplace API"
    for path in ("/api/v1/products", "/api/v1/products/{product_id}", "/api/v1/agreements", "/api/v1/impact"):
        assert path in schema["paths"]
    # Every error is documented as a problem document.
    responses = schema["paths"]["/api/v1/products"]["get"]["responses"]
    assert set(responses) >= {"200", "401", "403", "422", "429"}
    assert responses["401"]["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_openapi_json_passes_the_openapi_meta_schema(anonymous_client):
    import schemathesis

    # schemathesis validates against the OpenAPI 3.x meta-schema it bundles (no network).
    schemathesis.openapi.from_dict(anonymous_client.get("openapi.json").json()).validate()


def test_the_docs_page_loads_its_assets_from_our_own_static_files(anonymous_client):
    response = anonymous_client.get("docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html and "swagger-ui.css" in html
    for url in re.findall(r"""(?:src|href)=["']([^"']+)""", html):
        assert url.startswith("/static/"), url
    # No link anywhere to another host, and the validator badge (validator.swagger.io) is off.
    assert not re.search(r"https?://", html)
    assert '"validatorUrl": null' in html
    # No inline script: the page works under script-src 'self' (its settings are a JSON block).
    for attributes in re.findall(r"<script([^>]*)>", html):
        assert "src=" in attributes or 'type="application/json"' in attributes
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_the_docs_static_files_are_found(anonymous_client):
    from django.contrib.staticfiles import finders

    for name in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"):
        assert finders.find(name), name


# --- Authentication -----------------------------------------------------------------------


def test_no_key_is_401_problem(anonymous_client):
    response = anonymous_client.get("products")

    body = assert_problem(response, 401, "unauthorized")
    assert body["instance"] == "/api/v1/products"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "mkt_abcdefgh_secret",
        "Bearer mkt_ab_short",
        "Bearer " + "x" * 5000,
        "Bearer ข้าวหอมมะลิ",
        "Token mkt_abcdefgh_" + "a" * 43,
    ],
)
def test_a_malformed_authorization_header_is_401(anonymous_client, header):
    response = anonymous_client.get("products", headers={"Authorization": header})

    assert_problem(response, 401, "unauthorized")


def test_an_unknown_key_is_401(anonymous_client):
    response = anonymous_client.get("products", key="mkt_abcdefgh_" + "a" * 43)

    assert_problem(response, 401, "unauthorized")


def test_a_revoked_key_is_401(api_client, api_key):
    assert api_client.get("products").status_code == 200
    api_keys.revoke_key(api_key)

    assert_problem(api_client.get("products"), 401, "unauthorized")


def test_a_key_of_a_suspended_company_is_401(api_client, company):
    company.status = company.Status.SUSPENDED
    company.save()

    assert_problem(api_client.get("products"), 401, "unauthorized")


def test_last_used_is_recorded_at_most_once_a_minute(api_client, api_key, django_assert_max_num_queries):
    assert api_key.last_used_at is None
    api_client.get("agreements")
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None

    api_client.get("agreements")
    api_key.refresh_from_db()
    assert api_key.last_used_at == first

    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first - timezone.timedelta(minutes=2))
    api_client.get("agreements")
    api_key.refresh_from_db()
    assert api_key.last_used_at > first - timezone.timedelta(minutes=1)


# --- Rate limit ---------------------------------------------------------------------------


@override_settings(API_RATE_LIMIT=3)
def test_too_many_requests_answer_429_with_retry_after(api_client, other_client):
    for _ in range(3):
        assert api_client.get("agreements").status_code == 200

    response = api_client.get("agreements")

    body = assert_problem(response, 429, "rate-limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["retry_after"] == int(response["Retry-After"])
    # Per key: another key is not held back.
    assert other_client.get("agreements").status_code == 200


# --- Problems for odd input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"page": "-1"},
        {"page": "0"},
        {"page": "abc"},
        {"page": "1" * 400},
        {"page_size": "1000"},
        {"page_size": "1.5"},
        {"price_min": "NaN"},
        {"price_min": "1e999999"},
        {"price_min": "-5"},
        {"price_max": "Infinity"},
        {"in_stock": "maybe"},
        {"sort": "DROP TABLE"},
        {"category": "\x00"},
        {"q": "x" * 2000},
    ],
)
def test_odd_query_parameters_are_validation_problems(api_client, query):
    response = api_client.get("products", query)

    body = assert_problem(response, 422, "validation")
    assert body["errors"]


@pytest.mark.parametrize(
    "path",
    [
        "products/99999999999999999999999999",
        "products/-1",
        "products/0",
        "agreements/%00",
        "agreements/" + "A" * 500,
        "agreements/ข้าว",
        "agreements/KSU'--",
    ],
)
def test_odd_ids_are_not_found_or_validation_problems(api_client, path):
    response = api_client.get(path)

    assert response.status_code in (404, 422)
    assert response["Content-Type"].startswith(PROBLEM)


def test_a_method_the_path_does_not_have_is_a_405_problem(api_client):
    response = api_client.post("products", raw=b"{not json")

    assert_problem(response, 405, "method-not-allowed")
    assert response["Allow"] == "GET"


def test_an_unknown_path_under_the_api_is_a_problem(api_client):
    response = api_client.get("no-such-thing")

    assert_problem(response, 404, "not-found")


def test_a_problem_body_is_utf8_json(anonymous_client):
    response = anonymous_client.get("products", key="mkt_ข้าวหอมมะลิ")

    assert response["Content-Type"] == f"{PROBLEM}; charset=utf-8"
    assert response.json()["status"] == 401


def test_the_key_format_is_prefix_and_secret(company, company_admin):
    row, key = api_keys.create_key(company=company, name="ERP", scopes=["read"], created_by=company_admin)

    assert re.fullmatch(r"mkt_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", key)
    assert key.split("_")[1] == row.prefix
    assert ApiClient(key).get("agreements").status_code == 200


@pytest.mark.parametrize("value", ["2026-01-31", None])
def test_an_optional_date_reads_only_yyyy_mm_dd_and_dumps_without_a_warning(value):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pydantic's serializer warnings are UserWarnings
        payload = CallOffIn.model_validate({"lines": [{"line_id": 1, "quantity": "1"}], "required_by": value})
        assert payload.model_dump(mode="json")["required_by"] == value
    assert payload.required_by == (datetime.date(2026, 1, 31) if value else None)


@pytest.mark.parametrize("value", [0, "0", "2026-02-30", "1999-12-31", "31/01/2026", "2026-01-31T00:00"])
def test_anything_but_a_calendar_date_in_range_is_refused(value):
    with pytest.raises(pydantic.ValidationError, match="a date is YYYY-MM-DD"):
        CallOffIn.model_validate({"lines": [{"line_id": 1, "quantity": "1"}], "required_by": value})
