"""The Wagtail admin side: coordinators draft, activate, amend and follow agreements; group
managers answer the orders placed with their groups. Scoping: a guessed id outside the user's
scope is a 404."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from marketplace.models import AuditEvent
from orders import services
from orders.models import AgreementAmendment, AgreementState, Order, OrderStatus, PurchaseAgreement
from producers import services as producer_services
from producers.models import GroupMembership, Institution
from tests.factories.accounts import UserFactory
from tests.factories.households import assign
from tests.factories.orders import PDF_BYTES
from tests.helpers import give_totp


@pytest.fixture
def active(agreement):
    return services.agreement_activate(agreement=agreement, actor=None)


@pytest.fixture
def rice_order(active, purchaser):
    rice_line = active.lines.order_by("pk").first()
    [order] = services.call_off_place(agreement=active, quantities={rice_line.pk: Decimal("20")}, placed_by=purchaser)
    return order


@pytest.fixture
def other_coordinator(db):
    institution = Institution.objects.create(code="RERU", name_th="มหาวิทยาลัยราชภัฏร้อยเอ็ด", province_code="45")
    user = UserFactory(email="reru.coordinator@example.org")
    assign(user, province_code="45", institution=institution)
    give_totp(user)
    return user


# --- Group managers answer orders ------------------------------------------------------------


def test_a_manager_sees_the_orders_of_their_group_only(client, rice_manager, rice_order, active, purchaser):
    silk_line = active.lines.order_by("pk").last()
    [silk_order] = services.call_off_place(
        agreement=active, quantities={silk_line.pk: Decimal("1")}, placed_by=purchaser
    )
    client.force_login(rice_manager)

    page = client.get(reverse("incoming_orders:index")).content.decode()

    assert rice_order.number in page and silk_order.number not in page


def test_a_manager_confirms_and_the_purchaser_is_told(
    client, rice_manager, rice_order, purchaser, django_capture_on_commit_callbacks
):
    client.force_login(rice_manager)
    page = client.get(reverse("orders_admin:order_detail", args=[rice_order.pk])).content.decode()
    assert 'id="confirm-order-form"' in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orders_admin:order_confirm", args=[rice_order.pk]), {"note": "ส่งได้วันจันทร์"})

    rice_order.refresh_from_db()
    assert rice_order.status == OrderStatus.CONFIRMED
    event = rice_order.events.last()
    assert (event.actor, event.note) == (rice_manager, "ส่งได้วันจันทร์")
    assert [message.to for message in mail.outbox] == [[purchaser.email]]


def test_a_manager_declines_with_a_reason(client, rice_manager, rice_order):
    client.force_login(rice_manager)

    response = client.post(reverse("orders_admin:order_decline", args=[rice_order.pk]), {"reason": ""})
    assert response.status_code == 200  # the form asks for the reason
    rice_order.refresh_from_db()
    assert rice_order.status == OrderStatus.PLACED

    client.post(reverse("orders_admin:order_decline", args=[rice_order.pk]), {"reason": "น้ำท่วมนา"})
    rice_order.refresh_from_db()
    assert rice_order.status == OrderStatus.DECLINED


def test_a_manager_of_another_group_cannot_confirm(client, silk_manager, rice_order):
    client.force_login(silk_manager)

    assert client.get(reverse("orders_admin:order_detail", args=[rice_order.pk])).status_code == 404
    assert client.post(reverse("orders_admin:order_confirm", args=[rice_order.pk])).status_code == 404
    assert client.post(reverse("orders_admin:order_decline", args=[rice_order.pk]), {"reason": "x"}).status_code == 404
    rice_order.refresh_from_db()
    assert rice_order.status == OrderStatus.PLACED


def test_a_treasurer_sees_but_does_not_answer(client, rice_group, rice_order):
    treasurer = UserFactory()
    producer_services.membership_grant(user=treasurer, group=rice_group, role=GroupMembership.Role.TREASURER)
    client.force_login(treasurer)

    page = client.get(reverse("orders_admin:order_detail", args=[rice_order.pk])).content.decode()
    assert 'id="confirm-order-form"' not in page
    client.post(reverse("orders_admin:order_confirm", args=[rice_order.pk]))  # refused: Wagtail redirects home
    rice_order.refresh_from_db()
    assert rice_order.status == OrderStatus.PLACED


def test_a_coordinator_follows_orders_but_does_not_answer_them(client, coordinator_user, rice_order):
    client.force_login(coordinator_user)
    assert rice_order.number in client.get(reverse("incoming_orders:index")).content.decode()
    client.post(reverse("orders_admin:order_confirm", args=[rice_order.pk]))
    rice_order.refresh_from_db()
    assert rice_order.status == OrderStatus.PLACED


def test_company_people_do_not_reach_incoming_orders(client, purchaser, rice_order):
    client.force_login(purchaser)
    response = client.get(reverse("orders_admin:order_detail", args=[rice_order.pk]))
    assert response.status_code in (302, 403)


# --- Coordinators and agreements ------------------------------------------------------------


def test_a_coordinator_activates_from_the_overview(client, coordinator_user, agreement):
    client.force_login(coordinator_user)
    page = client.get(reverse("orders_admin:agreement_overview", args=[agreement.pk])).content.decode()
    assert 'data-agreement-state="draft"' in page

    client.post(reverse("orders_admin:agreement_activate", args=[agreement.pk]))

    agreement.refresh_from_db()
    assert agreement.state() == AgreementState.ACTIVE and agreement.activated_by == coordinator_user


def test_the_overview_lists_what_blocks_activation(client, coordinator_user, agreement):
    agreement.signed_on = None
    agreement.save()
    client.force_login(coordinator_user)

    page = client.get(reverse("orders_admin:agreement_overview", args=[agreement.pk])).content.decode()

    assert "Enter the date the agreement was signed." in page
    client.post(reverse("orders_admin:agreement_activate", args=[agreement.pk]))
    agreement.refresh_from_db()
    assert agreement.activated_at is None


def test_a_coordinator_of_another_institution_gets_404(client, other_coordinator, agreement):
    client.force_login(other_coordinator)
    for url in (
        reverse("orders_admin:agreement_overview", args=[agreement.pk]),
        reverse("orders_admin:agreement_csv", args=[agreement.pk]),
        reverse("orders_admin:agreement_document", args=[agreement.pk]),
        reverse("agreements:edit", args=[agreement.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("orders_admin:agreement_activate", args=[agreement.pk])).status_code == 404
    assert agreement.code not in client.get(reverse("agreements:index")).content.decode()


def test_amending_from_the_overview(client, coordinator_user, active):
    rice_line = active.lines.order_by("pk").first()
    client.force_login(coordinator_user)

    client.post(
        reverse("orders_admin:agreement_amend", args=[active.pk]),
        {"line": rice_line.pk, "field": "committed_quantity", "new_value": "120", "reason": "เพิ่มตามฤดูกาล"},
    )

    amendment = AgreementAmendment.objects.get()
    assert (amendment.old_value, amendment.new_value, amendment.amended_by) == (
        Decimal("100"),
        Decimal("120"),
        coordinator_user,
    )


def test_an_active_agreement_is_not_edited_directly(client, coordinator_user, active):
    client.force_login(coordinator_user)
    response = client.get(reverse("agreements:edit", args=[active.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    data = {name: form[name].value() for name in ("code", "title", "valid_from", "valid_to")}
    with translation.override("en"):  # the request's middleware reset the test's language
        bound = form.__class__(instance=active, for_user=coordinator_user, data=data)
        assert not bound.is_valid()
        assert "change quantities or prices with “Amend”" in str(bound.non_field_errors())
    page = client.get(reverse("orders_admin:agreement_overview", args=[active.pk])).content.decode()
    assert "Record amendment" in page


def test_the_signed_document_is_served_to_coordinators_and_audited(client, coordinator_user, agreement):
    client.force_login(coordinator_user)
    response = client.get(reverse("orders_admin:agreement_document", args=[agreement.pk]))
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="agreement.document_viewed").exists()


def test_a_coordinator_drafts_an_agreement_with_lines_in_the_admin(client, coordinator_user, company, rice, rice_group):
    client.force_login(coordinator_user)
    today = timezone.localdate()
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = nested_form_data(
        {
            "code": "KSU-MOU-2569-009",
            "title": "ข้อตกลงรับซื้อข้าว",
            "institution": Institution.objects.get(code="KSU").pk,
            "company": company.pk,
            "groups": [rice_group.pk],
            "signed_on": today.isoformat(),
            "valid_from": today.isoformat(),
            "valid_to": (today + datetime.timedelta(days=365)).isoformat(),
            "payment_terms_days": "30",
            "delivery_terms": "",
            "lines": inline_formset(
                [
                    {
                        "product": rice.pk,
                        "committed_quantity": "500",
                        "unit": "",
                        "unit_price": "52.00",
                        "min_per_call_off": "",
                        "max_per_call_off": "",
                    }
                ]
            ),
        }
    )
    data["groups"] = [rice_group.pk]
    data["signed_document"] = SimpleUploadedFile("mou.pdf", PDF_BYTES, content_type="application/pdf")

    response = client.post(reverse("agreements:add"), data)

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    agreement = PurchaseAgreement.objects.get(code="KSU-MOU-2569-009")
    line = agreement.lines.get()
    assert (line.committed_quantity, line.unit) == (Decimal("500"), "kg")
    assert AuditEvent.objects.filter(action="agreement.created", object_id=str(agreement.pk)).exists()
    assert services.check_activation(agreement) == []


def test_a_document_that_is_not_a_pdf_is_refused_by_the_admin_form(client, coordinator_user, agreement):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from orders.permissions import agreement_policy
    from orders.viewsets import AgreementViewSet

    form_class = AgreementViewSet("agreements_test", policy=agreement_policy).get_form_class()
    form = form_class(
        instance=agreement,
        for_user=coordinator_user,
        data={},
        files={"signed_document": SimpleUploadedFile("mou.pdf", b"MZ not a pdf")},
    )
    form.is_valid()
    assert "The signed document must be a PDF file." in form.errors.get("signed_document", [])


def test_order_counts_are_computed_not_stored(active, purchaser):
    """Nothing on the line or the agreement holds a running total that could drift."""
    field_names = {field.name for field in active.lines.model._meta.get_fields()}
    assert not field_names & {"ordered_quantity", "remaining_quantity", "delivered_quantity"}
    assert Order.objects.count() == 0


def test_the_admin_pages_open_for_a_coordinator(client, coordinator_user, active, rice_order):
    client.force_login(coordinator_user)
    for name in ("agreements:index", "agreements:add", "companies:index", "companies:add", "incoming_orders:index"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("orders_admin:company_invite", args=[active.company_id])).status_code == 200


def test_only_drafts_can_be_deleted(client, coordinator_user, agreement, active):
    from orders.permissions import agreement_policy

    assert not agreement_policy.user_has_permission_for_instance(coordinator_user, "delete", active)
    client.force_login(coordinator_user)
    client.post(reverse("agreements:delete", args=[active.pk]))
    assert PurchaseAgreement.objects.filter(pk=active.pk).exists()


def test_a_coordinator_invites_a_companys_first_admin(
    client, coordinator_user, company, django_capture_on_commit_callbacks
):
    client.force_login(coordinator_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("orders_admin:company_invite", args=[company.pk]),
            {"email": "boss@company.example", "role": "admin"},
        )
    assert response.status_code == 302
    assert mail.outbox[0].to == ["boss@company.example"]
    assert company.invitations.get().invited_by == coordinator_user


def test_a_draft_can_be_deleted_and_it_is_audited(client, coordinator_user, agreement):
    client.force_login(coordinator_user)
    client.post(reverse("agreements:delete", args=[agreement.pk]))
    assert not PurchaseAgreement.objects.filter(pk=agreement.pk).exists()
    assert AuditEvent.objects.filter(action="agreement.deleted").exists()


# --- Deliveries and cancellation from the order page ------------------------------------------


@pytest.fixture
def confirmed_rice_order(rice_order, rice_manager):
    return services.order_confirm(order=rice_order, actor=rice_manager)


def png_upload(name="delivery.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), (10, 120, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_a_manager_records_a_partial_delivery_with_a_photo(client, rice_manager, confirmed_rice_order, purchaser):
    line = confirmed_rice_order.lines.get()
    client.force_login(rice_manager)
    page = client.get(reverse("orders_admin:order_detail", args=[confirmed_rice_order.pk])).content.decode()
    assert 'id="delivery-form"' in page and 'id="cancel-order-form"' in page

    response = client.post(
        reverse("orders_admin:order_deliver", args=[confirmed_rice_order.pk]),
        {
            f"line_{line.pk}": "12.5",
            "delivered_on": timezone.localdate().isoformat(),
            "note_number": "DN-77",
            "note": "ส่งที่คลังบริษัท",
            "photo": png_upload(),
        },
    )

    assert response.status_code == 302
    delivery = confirmed_rice_order.deliveries.get()
    assert delivery.lines.get().quantity == Decimal("12.5") and delivery.note_number == "DN-77" and delivery.photo
    page = client.get(reverse("orders_admin:order_detail", args=[confirmed_rice_order.pk])).content.decode()
    assert delivery.number in page
    assert 'id="cancel-order-form"' not in page  # nothing can be cancelled after a delivery
    # the photo is served to the order's parties only
    assert client.get(reverse("buyers:delivery_photo", args=[delivery.pk])).status_code == 200
    client.force_login(purchaser)
    assert client.get(reverse("buyers:delivery_photo", args=[delivery.pk])).status_code == 200


def test_the_delivery_form_refuses_more_than_is_open(client, rice_manager, confirmed_rice_order):
    line = confirmed_rice_order.lines.get()
    client.force_login(rice_manager)

    response = client.post(
        reverse("orders_admin:order_deliver", args=[confirmed_rice_order.pk]),
        {f"line_{line.pk}": "21", "delivered_on": timezone.localdate().isoformat()},
    )

    assert response.status_code == 200
    assert not confirmed_rice_order.deliveries.exists()


def test_group_a_cannot_deliver_or_see_group_bs_order(client, silk_manager, confirmed_rice_order, purchaser):
    line = confirmed_rice_order.lines.get()
    client.force_login(silk_manager)
    data = {f"line_{line.pk}": "5", "delivered_on": timezone.localdate().isoformat()}

    assert client.post(reverse("orders_admin:order_deliver", args=[confirmed_rice_order.pk]), data).status_code == 404
    assert (
        client.post(reverse("orders_admin:order_cancel", args=[confirmed_rice_order.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert not confirmed_rice_order.deliveries.exists()


def test_a_coordinator_cancels_a_confirmed_order_but_cannot_deliver(client, coordinator_user, confirmed_rice_order):
    client.force_login(coordinator_user)
    page = client.get(reverse("orders_admin:order_detail", args=[confirmed_rice_order.pk])).content.decode()
    assert 'id="delivery-form"' not in page and 'id="cancel-order-form"' in page

    client.post(reverse("orders_admin:order_cancel", args=[confirmed_rice_order.pk]), {"reason": "กลุ่มขาดวัตถุดิบ"})

    confirmed_rice_order.refresh_from_db()
    assert confirmed_rice_order.status == OrderStatus.CANCELLED


def test_a_placed_order_shows_no_delivery_or_cancel_form(client, rice_manager, rice_order):
    client.force_login(rice_manager)
    page = client.get(reverse("orders_admin:order_detail", args=[rice_order.pk])).content.decode()
    assert 'id="confirm-order-form"' in page
    assert 'id="delivery-form"' not in page and 'id="cancel-order-form"' not in page


def test_the_overdue_invoices_page_opens_for_a_coordinator(client, coordinator_user):
    client.force_login(coordinator_user)
    response = client.get(reverse("orders_admin:overdue_invoices"))
    assert response.status_code == 200


def test_the_overdue_invoices_menu_item_is_for_coordinators(client, coordinator_user, rice_manager):
    url = reverse("orders_admin:overdue_invoices")
    client.force_login(coordinator_user)
    assert url in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(rice_manager)
    assert url not in client.get(reverse("wagtailadmin_home")).content.decode()
