"""Producer group managers and treasurers see households' personal data in the admin: like
coordinators, they set up an authenticator app before any admin page, and are asked for its code
at every sign-in (marketplace.access.requires_mfa, marketplace.middleware.AdminMFAMiddleware)."""

import pytest
from django.urls import reverse

from marketplace import access
from producers import services as producer_services
from producers.models import GroupMembership
from tests.factories.accounts import PASSWORD, UserFactory
from tests.factories.households import GroupFactory
from tests.helpers import activate_totp, current_totp, sign_in

pytestmark = pytest.mark.no_auto_totp


@pytest.fixture
def group(db):
    return GroupFactory()


@pytest.mark.parametrize("role", [GroupMembership.Role.MANAGER, GroupMembership.Role.TREASURER])
def test_group_staff_set_up_a_second_factor_before_any_admin_page(client, group, role):
    user = UserFactory()
    producer_services.membership_grant(user=user, group=group, role=role)
    assert access.requires_mfa(user)
    client.force_login(user)
    for path in ("/admin/", reverse("households:index"), reverse("todo:list", args=["payouts"])):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("mfa_activate_totp")
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302:  # allauth first asks for the password again
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get(reverse("mfa_activate_totp"))
    page = response.content.decode()
    # Why, in Thai: the admin shows households' personal data, protected by the PDPA.
    assert 'id="mfa-why"' in page
    assert "PDPA" in page and "ข้อมูลส่วนบุคคล" in page


def test_with_an_authenticator_the_manager_signs_in_with_a_code_and_reaches_the_admin(client, group):
    user = UserFactory(email="manager.mfa@example.org")
    producer_services.membership_grant(user=user, group=group, role=GroupMembership.Role.MANAGER)
    client.force_login(user)
    secret = activate_totp(client, PASSWORD)
    assert client.get("/admin/").status_code == 200
    client.logout()
    response = sign_in(client, user.email, PASSWORD)
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_purchaser_is_not_asked_for_a_second_factor(purchaser):
    assert not access.requires_mfa(purchaser)
