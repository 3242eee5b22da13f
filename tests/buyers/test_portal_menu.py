"""The buyer portal's menu offers only what the member may use, and a page they may not use answers
a Thai 403 page with a way back (#17)."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "th"
    return client


def test_a_purchaser_has_no_api_keys_link_and_gets_a_thai_403(client, purchaser):
    client.force_login(purchaser)
    page = client.get(reverse("buyers:home"), follow=True).content.decode()
    assert reverse("buyers:order_list") in page  # the portal's menu is there…
    assert reverse("buyers:api_keys_home") not in page  # … without API keys

    response = client.get(reverse("buyers:api_keys_home"))
    assert response.status_code == 403
    text = response.content.decode()
    assert "คุณไม่สามารถเปิดหน้านี้ได้" in text  # "You cannot open this page"
    assert f'href="{reverse("buyers:home")}"' in text and 'href="/"' in text


def test_a_company_admin_has_the_api_keys_link(client, company_admin):
    client.force_login(company_admin)
    assert reverse("buyers:api_keys_home") in client.get(reverse("buyers:home"), follow=True).content.decode()
