import pytest
from django.db import OperationalError, connection

from marketplace import views

pytestmark = pytest.mark.django_db


def test_healthz_and_readyz_report_database_cache_and_storage(client):
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "storage": "ok"}


def test_both_are_503_when_the_database_is_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.json()["database"] == "error: OperationalError"


def test_storage_down_keeps_the_app_alive_but_not_ready(client, monkeypatch):
    def unreachable():
        raise ConnectionError("object storage unreachable")

    monkeypatch.setitem(views.CHECKS, "storage", unreachable)

    alive = client.get("/healthz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "degraded", "database": "ok", "cache": "ok", "storage": "error: ConnectionError"}
    assert client.get("/readyz").status_code == 503


def test_a_cache_that_keeps_nothing_is_reported(client, monkeypatch):
    monkeypatch.setattr(views.cache, "get", lambda key, default=None: None)
    assert client.get("/readyz").json()["cache"] == "error: RuntimeError"
    assert client.get("/healthz").status_code == 200
