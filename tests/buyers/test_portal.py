from django.core import mail
from django.urls import reverse

from buyers.models import Invitation
from tests.factories.accounts import UserFactory
from tests.factories.buyers import CompanyFactory


def test_the_portal_home_is_the_to_do_and_its_company_link_leads_to_the_company(client, purchaser, company):
    client.force_login(purchaser)
    response = client.get(reverse("buyers:home"))
    assert response.status_code == 200 and 'id="portal-todo"' in response.content.decode()
    response = client.get(reverse("buyers:company_list"))
    assert response.status_code == 302 and response["Location"] == reverse("buyers:company", args=[company.pk])


def test_the_navigation_shows_the_portal_to_company_members_only(client, purchaser):
    link = '<a href="/buyer/">Buyer portal</a>'
    client.force_login(purchaser)
    assert link in client.get(reverse("buyers:home"), follow=True).content.decode()
    client.force_login(UserFactory())
    assert link not in client.get("/").content.decode()


def test_the_portal_needs_a_signed_in_user(client):
    response = client.get(reverse("buyers:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_another_companys_page_is_a_404(client, purchaser):
    other = CompanyFactory()
    client.force_login(purchaser)
    assert client.get(reverse("buyers:company", args=[other.pk])).status_code == 404


def test_a_company_admin_invites_from_the_company_page(
    client, company_admin, company, django_capture_on_commit_callbacks
):
    client.force_login(company_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("buyers:company", args=[company.pk]), {"email": "Viewer@Company.Example", "role": "viewer"}
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "viewer@company.example",
        "viewer",
        company_admin,
    )
    assert mail.outbox[0].to == ["viewer@company.example"]
    page = client.get(reverse("buyers:company", args=[company.pk])).content.decode()
    assert "viewer@company.example" in page and 'id="invite-form"' in page


def test_a_purchaser_cannot_invite_or_see_invitations(client, purchaser, company):
    client.force_login(purchaser)
    page = client.get(reverse("buyers:company", args=[company.pk])).content.decode()
    assert 'id="invite-form"' not in page

    client.post(reverse("buyers:company", args=[company.pk]), {"email": "x@example.org", "role": "admin"})

    assert not Invitation.objects.exists()


def test_an_admin_withdraws_an_invitation(client, company_admin, company):
    from buyers import services

    invitation, _token = services.invitation_create(
        company=company, email="late@example.org", role="viewer", invited_by=company_admin
    )
    client.force_login(company_admin)

    client.post(reverse("buyers:invitation_revoke", args=[company.pk, invitation.pk]))

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
