import pytest
from django.conf import settings
from django.utils import translation

from buyers.models import CompanyRole
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory, add_member


@pytest.fixture(autouse=True)
def _english():
    """Assert on the English messages: Thai translations are added to the catalogue separately."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def company(db):
    return CompanyFactory(name_th="บริษัท ข้าวดี จำกัด")


@pytest.fixture
def company_admin(company):
    user = UserFactory(email="admin@company.example")
    add_member(company, user, CompanyRole.ADMIN)
    return user


@pytest.fixture
def purchaser(company):
    user = UserFactory(email="purchaser@company.example")
    add_member(company, user, CompanyRole.PURCHASER)
    return user
