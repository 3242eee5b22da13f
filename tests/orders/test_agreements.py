import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from marketplace.models import AuditEvent
from orders import fulfilment, services
from orders.models import MAX_DOCUMENT_BYTES, AgreementAmendment, AgreementState, validate_signed_pdf
from tests.factories.orders import PDF_BYTES

TODAY = timezone.localdate()


def test_a_complete_draft_activates_and_is_audited(agreement, coordinator_user):
    assert agreement.state() == AgreementState.DRAFT
    assert services.check_activation(agreement) == []

    services.agreement_activate(agreement=agreement, actor=coordinator_user)

    agreement.refresh_from_db()
    assert agreement.state() == AgreementState.ACTIVE
    assert agreement.activated_by == coordinator_user
    assert AuditEvent.objects.filter(action="agreement.activated", object_id=str(agreement.pk)).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"signed_on": None}, "Enter the date the agreement was signed."),
        ({"signed_document": ""}, "Upload the signed agreement (PDF)."),
    ],
)
def test_activation_needs_a_signed_date_and_the_document(agreement, change, message):
    for field, value in change.items():
        setattr(agreement, field, value)
    agreement.save()

    with pytest.raises(ValidationError) as refused:
        services.agreement_activate(agreement=agreement, actor=None)

    assert message in refused.value.messages
    agreement.refresh_from_db()
    assert agreement.state() == AgreementState.DRAFT


def test_activation_needs_positive_prices_and_quantities_on_every_line(agreement):
    rice_line, silk_line = agreement.lines.order_by("pk")
    rice_line.unit_price = Decimal("0")
    rice_line.save()
    silk_line.committed_quantity = Decimal("0")
    silk_line.save()

    with pytest.raises(ValidationError) as refused:
        services.agreement_activate(agreement=agreement, actor=None)

    assert "“ข้าวหอมมะลิอินทรีย์”: the price must be more than 0." in refused.value.messages
    assert "“ผ้าไหมแพรวา”: the committed quantity must be more than 0." in refused.value.messages


def test_activation_needs_at_least_one_line(company):
    from tests.factories.orders import AgreementFactory

    agreement = AgreementFactory(company=company)
    with pytest.raises(ValidationError) as refused:
        services.agreement_activate(agreement=agreement, actor=None)
    assert "Add at least one line." in refused.value.messages


def test_an_end_date_before_the_start_is_refused(agreement):
    agreement.valid_to = agreement.valid_from - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        agreement.full_clean()
    assert "valid_to" in refused.value.message_dict
    assert services.check_activation(agreement) == ["The end date cannot be before the start date."]


def test_lines_must_come_from_participating_groups(agreement, silk_group):
    agreement.groups.through.objects.filter(producergroup=silk_group).delete()

    problems = services.check_activation(agreement)

    assert any("is not a participating group" in problem for problem in problems)


def test_an_active_agreement_cannot_be_activated_again(agreement):
    agreement = services.agreement_activate(agreement=agreement, actor=None)
    with pytest.raises(ValidationError, match="already active"):
        services.agreement_activate(agreement=agreement, actor=None)


# --- The signed document ---------------------------------------------------------------------


def test_the_signed_document_must_be_a_pdf_by_its_content():
    validate_signed_pdf(ContentFile(PDF_BYTES, name="mou.pdf"))
    with pytest.raises(ValidationError, match="must be a PDF"):
        validate_signed_pdf(ContentFile(b"GIF89a not a pdf", name="mou.pdf"))


def test_the_signed_document_has_a_size_limit():
    too_big = ContentFile(PDF_BYTES + b"0" * MAX_DOCUMENT_BYTES, name="mou.pdf")
    with pytest.raises(ValidationError, match="the limit is 10 MB"):
        validate_signed_pdf(too_big)


def test_the_signed_document_is_stored_privately(agreement):
    from django.core.files.storage import storages

    assert agreement.signed_document.storage.__class__ is storages["private"].__class__
    with pytest.raises(ValueError, match="no public URL"):
        _ = agreement.signed_document.url


# --- Derived state ----------------------------------------------------------------------------


def test_state_follows_the_dates(agreement):
    agreement = services.agreement_activate(agreement=agreement, actor=None)
    agreement.refresh_from_db()

    assert agreement.state(today=agreement.valid_to) == AgreementState.ACTIVE
    assert agreement.state(today=agreement.valid_to + datetime.timedelta(days=1)) == AgreementState.EXPIRED


def test_an_agreement_fully_called_off_is_fulfilled(agreement, purchaser):
    agreement = services.agreement_activate(agreement=agreement, actor=None)
    rice_line, silk_line = agreement.lines.order_by("pk")
    services.call_off_place(agreement=agreement, quantities={rice_line.pk: "60"}, placed_by=purchaser)
    services.call_off_place(agreement=agreement, quantities={rice_line.pk: "40"}, placed_by=purchaser)
    assert agreement.state() == AgreementState.ACTIVE

    orders = services.call_off_place(agreement=agreement, quantities={silk_line.pk: "20"}, placed_by=purchaser)

    assert agreement.state() == AgreementState.FULFILLED
    fulfilment.order_cancel_by_buyer(order=orders[0], actor=purchaser)
    assert agreement.state() == AgreementState.ACTIVE


def test_termination_is_refused_while_call_offs_are_open(agreement, purchaser):
    agreement = services.agreement_activate(agreement=agreement, actor=None)
    rice_line = agreement.lines.order_by("pk").first()
    [order] = services.call_off_place(agreement=agreement, quantities={rice_line.pk: "10"}, placed_by=purchaser)

    with pytest.raises(ValidationError, match="1 open call-off"):
        services.agreement_terminate(agreement=agreement, actor=None, reason="บริษัทยกเลิกสัญญา")

    fulfilment.order_cancel_by_buyer(order=order, actor=purchaser)
    services.agreement_terminate(agreement=agreement, actor=None, reason="บริษัทยกเลิกสัญญา")
    agreement.refresh_from_db()
    assert agreement.state() == AgreementState.TERMINATED
    assert agreement.termination_reason == "บริษัทยกเลิกสัญญา"


def test_termination_needs_a_reason_and_an_activated_agreement(agreement):
    with pytest.raises(ValidationError, match="Say why"):
        services.agreement_terminate(agreement=agreement, actor=None, reason=" ")
    with pytest.raises(ValidationError, match="draft agreement cannot be terminated"):
        services.agreement_terminate(agreement=agreement, actor=None, reason="ไม่ใช้แล้ว")


def test_a_draft_is_not_yet_in_effect_for_call_offs(agreement, purchaser):
    rice_line = agreement.lines.order_by("pk").first()
    with pytest.raises(ValidationError, match="only be placed under an active agreement; this one is draft"):
        services.call_off_place(agreement=agreement, quantities={rice_line.pk: "10"}, placed_by=purchaser)


def test_an_agreement_that_has_not_started_takes_no_call_offs(agreement, purchaser):
    agreement.valid_from = TODAY + datetime.timedelta(days=3)
    agreement.save()
    agreement = services.agreement_activate(agreement=agreement, actor=None)
    rice_line = agreement.lines.order_by("pk").first()

    with pytest.raises(ValidationError, match="takes effect on"):
        services.call_off_place(agreement=agreement, quantities={rice_line.pk: "10"}, placed_by=purchaser)


# --- Amendments -----------------------------------------------------------------------------


def test_amending_the_committed_quantity_records_who_when_from_to_and_why(agreement, purchaser, coordinator_user):
    agreement = services.agreement_activate(agreement=agreement, actor=None)
    rice_line = agreement.lines.order_by("pk").first()

    amendment = services.line_amend(
        line=rice_line, field="committed_quantity", new_value=Decimal("150"), reason="บริษัทขอเพิ่ม", actor=coordinator_user
    )

    rice_line.refresh_from_db()
    assert rice_line.committed_quantity == Decimal("150")
    assert (amendment.old_value, amendment.new_value) == (Decimal("100"), Decimal("150"))
    assert amendment.amended_by == coordinator_user and amendment.reason == "บริษัทขอเพิ่ม"
    assert amendment.amended_at <= timezone.now()
    assert AuditEvent.objects.filter(action="agreement.amended", object_id=str(agreement.pk)).exists()


def test_the_committed_quantity_never_goes_below_what_is_ordered(agreement, purchaser):
    agreement = services.agreement_activate(agreement=agreement, actor=None)
    rice_line = agreement.lines.order_by("pk").first()
    services.call_off_place(agreement=agreement, quantities={rice_line.pk: "45"}, placed_by=purchaser)

    with pytest.raises(ValidationError, match="45 kilogram are already ordered"):
        services.line_amend(
            line=rice_line, field="committed_quantity", new_value=Decimal("44"), reason="ลด", actor=None
        )

    services.line_amend(line=rice_line, field="committed_quantity", new_value=Decimal("45"), reason="ลด", actor=None)
    rice_line.refresh_from_db()
    assert rice_line.committed_quantity == Decimal("45")


def test_a_new_price_applies_to_new_call_offs_only(agreement, purchaser):
    agreement = services.agreement_activate(agreement=agreement, actor=None)
    rice_line = agreement.lines.order_by("pk").first()
    [before] = services.call_off_place(agreement=agreement, quantities={rice_line.pk: "10"}, placed_by=purchaser)

    services.line_amend(line=rice_line, field="unit_price", new_value=Decimal("58.50"), reason="ราคาตลาด", actor=None)
    [after] = services.call_off_place(agreement=agreement, quantities={rice_line.pk: "10"}, placed_by=purchaser)

    assert before.lines.get().unit_price == Decimal("55.00")
    assert after.lines.get().unit_price == Decimal("58.50")
    assert AgreementAmendment.objects.get().field == "unit_price"


def test_amendments_need_a_reason_and_an_activated_agreement(agreement):
    rice_line = agreement.lines.order_by("pk").first()
    with pytest.raises(ValidationError, match="Say why"):
        services.line_amend(line=rice_line, field="unit_price", new_value=Decimal("60"), reason="", actor=None)
    with pytest.raises(ValidationError, match="draft agreement is edited directly"):
        services.line_amend(line=rice_line, field="unit_price", new_value=Decimal("60"), reason="ขึ้นราคา", actor=None)
