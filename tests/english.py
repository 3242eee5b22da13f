"""Fixtures for the suites that assert on English messages (buyers, orders, api): Thai
translations are added to the catalogue separately. Not in tests/conftest.py, because the other
suites assert on what a Thai reader sees. A suite takes them by importing them into its
conftest.py: `from tests.english import _english, client  # noqa: F401`."""

import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Assert on the English messages: Thai translations are added to the catalogue separately."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    """pytest-django's client, asking for pages in English (the language cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
