import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from marketplace import access
from marketplace.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from marketplace.models import AuditEvent
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_seed_demo_refuses_to_run_with_debug_off_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.no_auto_totp  # the demo's accounts as seeded: nobody has an authenticator app yet
def test_seed_demo_is_idempotent_and_every_account_can_sign_in(
    client, capsys, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8123"
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        call_command("seed_demo", force=True)
    # A short summary: the e-mails are counted, not printed; their links name the served address.
    summary = capsys.readouterr().out
    assert len(summary.splitlines()) < 20 and "Subject:" not in summary, summary
    assert "E-mails sent while seeding:" in summary
    # The company admin's API key, shown once: it works; later runs neither show nor add one.
    from buyers.api_keys import find_key

    [key] = re.findall(r"shown this once: (\S+)", summary)
    assert find_key(key).company.memberships.filter(user__email="companyadmin@demo.example").exists()
    assert mail.outbox and all("127.0.0.1:8000" not in message.body for message in mail.outbox)
    assert any("http://127.0.0.1:8123/" in message.body for message in mail.outbox)
    first = {u.email: u.pk for u in User.objects.all()}
    role_events = AuditEvent.objects.filter(action__startswith="role.").count()
    call_command("seed_demo", force=True)
    assert {u.email: u.pk for u in User.objects.all()} == first
    # The second run changed nobody's roles.
    assert AuditEvent.objects.filter(action__startswith="role.").count() == role_events
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output
    assert "shown this once" not in output

    for email, _name, role in DEMO_ACCOUNTS:
        assert email in output
        client.logout()
        response = sign_in(client, email, DEMO_PASSWORD)
        assert response.status_code == 302, (role, response.content.decode()[:500])
        assert int(client.session["_auth_user_id"]) == first[email]

    # The demo manager's group has something in every state of its to-do list; its treasurer too.
    from income import todo

    [manager_todo] = todo.group_todos(User.objects.get(email="manager@demo.example"))
    assert {item.key: item.count > 0 for item in manager_todo.items} == dict.fromkeys(todo.MANAGER_KEYS, True)
    [treasurer_todo] = todo.group_todos(User.objects.get(email="treasurer@demo.example"))
    assert treasurer_todo.group == manager_todo.group and treasurer_todo.role == "treasurer"

    assert access.is_coordinator(User.objects.get(email="coordinator@demo.example"))
    assert User.objects.get(email="admin@demo.example").is_superuser
    assert not User.objects.get(email="purchaser@demo.example").is_staff


def test_seed_demo_adds_the_programme_and_stays_idempotent():
    from producers import selectors
    from producers.models import Consent, CoordinatorAssignment, Household, ProducerGroup

    call_command("seed_demo", force=True)
    call_command("seed_demo", force=True)
    assert ProducerGroup.objects.count() == 8
    assert set(ProducerGroup.objects.values_list("province_code", flat=True)) == {"45", "46"}
    assert Household.objects.count() == 200
    consents = Consent.objects.count()
    call_command("seed_demo", force=True)
    assert Consent.objects.count() == consents
    coordinator = User.objects.get(email="coordinator@demo.example")
    manager = User.objects.get(email="manager@demo.example")
    assert CoordinatorAssignment.objects.filter(user=coordinator).count() == 2
    assert selectors.households_visible_to(coordinator).count() == 200
    assert selectors.households_visible_to(manager).count() == 25
    assert not selectors.households_visible_to(User.objects.get(email="purchaser@demo.example")).exists()
    # Names are invented: every family name is one of the marked fictional ones.
    assert all(
        name.split(" ")[1] in {"ทดสอบดี", "ทดสอบงาม", "ตัวอย่างศรี", "สมมุติสุข", "ทดลองใจ"}
        for name in Household.objects.values_list("head_name", flat=True)
    )
