import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from marketplace import access, audit
from marketplace.models import AuditEvent
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_record_takes_actor_and_ip_from_the_request_context(user):
    token = audit.set_context(actor=user, ip_address="203.0.113.7")
    try:
        event = audit.record("household.viewed", user, details={"why": "test"})
    finally:
        audit.reset_context(token)
    assert (event.actor, event.actor_email, event.ip_address) == (user, user.email, "203.0.113.7")
    assert (event.object_type, event.object_id) == ("marketplace.user", str(user.pk))
    # Outside a request there is no actor.
    assert audit.record("system.job").actor is None


def test_audit_events_cannot_be_edited_or_deleted(user):
    event = audit.record("auth.login", user)
    event.action = "something.else"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "auth.login"


def test_deleting_a_user_keeps_their_trail(user):
    event = audit.record("auth.login", user, actor=user)
    user.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor is None
    assert event.actor_email.startswith("user")


def test_granting_and_revoking_the_coordinator_role_is_audited(user):
    admin = UserFactory()
    token = audit.set_context(actor=admin, ip_address="198.51.100.1")
    try:
        access.grant_role(user=user, group_name=access.COORDINATORS)
        assert access.is_coordinator(user)
        access.revoke_role(user=user, group_name=access.COORDINATORS)
    finally:
        audit.reset_context(token)
    user.refresh_from_db()
    assert not access.is_coordinator(user)
    events = list(AuditEvent.objects.filter(object_id=str(user.pk)).order_by("id"))
    assert [(e.action, e.details["group"], e.actor) for e in events] == [
        ("role.granted", access.COORDINATORS, admin),
        ("role.revoked", access.COORDINATORS, admin),
    ]


def test_group_changes_from_either_side_and_clear_are_audited(user):
    group = Group.objects.create(name="Programme observers")
    group.user_set.add(user)
    user.groups.clear()
    events = AuditEvent.objects.filter(object_id=str(user.pk)).order_by("id")
    assert list(events.values_list("action", "details__group")) == [
        ("role.granted", "Programme observers"),
        ("role.revoked", "Programme observers"),
    ]


def test_staff_and_superuser_flag_changes_are_audited(user):
    user.is_staff = True
    user.save()
    user.save(update_fields=["last_login"])  # unrelated saves write nothing
    event = AuditEvent.objects.get(action="role.changed")
    assert event.details == {"flags": {"is_staff": [False, True]}}


def test_who_needs_mfa(user, coordinator, superuser):
    assert not access.requires_mfa(user)
    assert access.requires_mfa(coordinator)
    assert access.requires_mfa(superuser)
    assert access.can_use_django_admin(superuser)
    assert not access.can_use_django_admin(coordinator)
    assert access.can_use_wagtail_admin(coordinator)
    assert not access.can_use_wagtail_admin(user)


def test_superusers_read_the_trail_in_django_admin_but_cannot_change_it(client, superuser):
    from tests.helpers import give_totp

    give_totp(superuser)
    event = audit.record("auth.login", superuser, actor=superuser)
    client.force_login(superuser)
    assert client.get("/django-admin/marketplace/auditevent/").status_code == 200
    assert client.get(f"/django-admin/marketplace/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/django-admin/marketplace/auditevent/{event.pk}/delete/").status_code == 403
