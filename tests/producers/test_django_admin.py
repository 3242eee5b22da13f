import pytest

from marketplace.models import AuditEvent
from producers.models import GroupMembership
from tests.factories.accounts import UserFactory
from tests.factories.households import GroupFactory
from tests.helpers import give_totp

pytestmark = pytest.mark.django_db


def test_superuser_grants_and_revokes_a_group_role_and_it_is_audited(client, superuser):
    give_totp(superuser)
    client.force_login(superuser)
    person, group = UserFactory(), GroupFactory()
    response = client.post(
        "/django-admin/producers/groupmembership/add/", {"user": person.pk, "group": group.pk, "role": "treasurer"}
    )
    assert response.status_code == 302
    membership = GroupMembership.objects.get(user=person, group=group)
    granted = AuditEvent.objects.get(action="role.granted", object_type="producers.groupmembership")
    assert granted.details["role"] == "treasurer"
    assert granted.actor == superuser
    client.post(f"/django-admin/producers/groupmembership/{membership.pk}/delete/", {"post": "yes"})
    assert not GroupMembership.objects.exists()
    assert AuditEvent.objects.filter(action="role.revoked", object_type="producers.groupmembership").exists()


def test_django_admin_holds_no_household_data(client, superuser):
    give_totp(superuser)
    client.force_login(superuser)
    assert client.get("/django-admin/producers/household/").status_code == 404
