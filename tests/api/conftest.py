"""Fixtures for the buyer API tests (both API engineers use them): a company, keys with scopes,
and `api_client`, a test client that sends `Authorization: Bearer <key>`."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from buyers import api_keys
from buyers.models import CompanyRole
from tests.english import _english  # noqa: F401
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory, add_member

PROBLEM = "application/problem+json"


class ApiClient:
    """A Django test client for /api/v1/ with a key: get/post/… take paths relative to /api/v1/
    (or absolute ones), send JSON bodies, and add the Authorization header unless `key=None` is
    passed (or another key)."""

    BASE = "/api/v1"
    _DEFAULT = object()

    def __init__(self, key: str | None):
        self.key = key
        self.client = Client()

    def _url(self, path: str) -> str:
        return path if path.startswith(self.BASE) else f"{self.BASE}/{path.lstrip('/')}"

    def request(self, method: str, path: str, data=None, *, key=_DEFAULT, headers=None, raw=None, **params):
        key = self.key if key is self._DEFAULT else key
        all_headers = dict(headers or {})
        if key is not None:
            all_headers.setdefault("Authorization", f"Bearer {key}")
        # The tests read problems in English; the Thai default is tested in test_contract.py.
        all_headers.setdefault("Accept-Language", "en")
        call = getattr(self.client, method.lower())
        if method.upper() in ("GET", "HEAD", "DELETE") and raw is None:
            return call(self._url(path), data or params or None, headers=all_headers)
        body = raw if raw is not None else json.dumps(data if data is not None else {})
        return call(self._url(path), body, content_type="application/json", headers=all_headers)

    def get(self, path, data=None, **kwargs):
        return self.request("GET", path, data, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.request("POST", path, data, **kwargs)

    def put(self, path, data=None, **kwargs):
        return self.request("PUT", path, data, **kwargs)

    def patch(self, path, data=None, **kwargs):
        return self.request("PATCH", path, data, **kwargs)

    def delete(self, path, data=None, **kwargs):
        return self.request("DELETE", path, data, **kwargs)


def make_key(company, scopes=("read", "order"), name="ERP", created_by=None) -> tuple[object, str]:
    """A key made by `created_by` (default: a new user), who is made an admin of the company
    first: a key acts as its creator and works only while they are one."""
    created_by = created_by or UserFactory()
    add_member(company, created_by, CompanyRole.ADMIN)
    return api_keys.create_key(company=company, name=name, scopes=scopes, created_by=created_by)


def assert_problem(response, status: int, type_name: str) -> dict:
    """The response is an RFC 9457 problem with the given status and stable type."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"] == f"https://marketplace.example/problems/{type_name}"
    assert body["status"] == status
    assert body["title"]
    return body


@pytest.fixture
def company(db):
    return CompanyFactory(name_th="บริษัท ข้าวดี จำกัด", name_en="Khao Dee Co., Ltd.")


@pytest.fixture
def api_key_pair(company):
    """(ApiKey row, key in clear) with scopes read and order."""
    return make_key(company, ("read", "order"))


@pytest.fixture
def api_key(api_key_pair):
    return api_key_pair[0]


@pytest.fixture
def read_key_pair(company):
    return make_key(company, ("read",), name="read only")


@pytest.fixture
def api_client(api_key_pair):
    """Sends the company's read+order key."""
    return ApiClient(api_key_pair[1])


@pytest.fixture
def read_client(read_key_pair):
    """Sends the company's read-only key."""
    return ApiClient(read_key_pair[1])


@pytest.fixture
def other_client(other_company):
    """Another company's read+order key."""
    return ApiClient(make_key(other_company)[1])


@pytest.fixture
def anonymous_client(db):
    return ApiClient(None)
