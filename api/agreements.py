"""GET /agreements and /agreements/{code}: the key's company's activated agreements, scoped as in
the portal (orders.selectors.agreements_for_companies), with each line's performance from
orders.selectors.agreement_performance. Another company's agreement is a 404."""

from __future__ import annotations

import re
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from orders import selectors

from .base import PageQuery, not_found, paginate, require_scope
from .schemas import AgreementOut, AgreementPage

router = Router(tags=["agreements"])

# orders.models.PurchaseAgreement.code: letters, digits and dashes, at most 40.
AGREEMENT_CODE_PATTERN = r"^[A-Za-z0-9-]{1,40}$"
CODE = re.compile(AGREEMENT_CODE_PATTERN)
AgreementCode = Annotated[str, Path(pattern=AGREEMENT_CODE_PATTERN, example="KSU-MOU-2569-001")]


def company_agreements(request):
    return selectors.agreements_for_companies([request.auth.company_id])


def agreement_for_key(request, code: str):
    """The key's company's agreement with this code, or the not-found problem (also for a code
    that could not exist: nothing odd reaches the database)."""
    agreement = company_agreements(request).filter(code=code).first() if CODE.fullmatch(code) else None
    if agreement is None:
        raise not_found(_("No agreement of this company has this code."))
    return agreement


def _summary(agreement) -> dict:
    return {
        "code": agreement.code,
        "title": agreement.title,
        "state": agreement.current_state,
        "institution": str(agreement.institution),
        "valid_from": agreement.valid_from,
        "valid_to": agreement.valid_to,
        "signed_on": agreement.signed_on,
        "payment_terms_days": agreement.payment_terms_days,
    }


def _line(performance) -> dict:
    line = performance.line
    return {
        "id": line.pk,
        "product_id": line.product_id,
        "product_sku": line.product.sku,
        "product_name_th": line.product.title,
        "product_name_en": line.product.title_en or "",
        "unit": line.unit or line.product.unit,
        "unit_price": line.unit_price,
        "min_per_call_off": line.min_per_call_off,
        "max_per_call_off": line.max_per_call_off,
        "committed": performance.committed,
        "ordered": performance.ordered,
        "delivered": performance.delivered,
        "accepted": performance.accepted,
        "invoiced": performance.invoiced,
        "paid": performance.paid,
        "remaining": performance.remaining,
        "percent_fulfilled": performance.percent_fulfilled,
    }


@router.get("/agreements", response=AgreementPage, summary="The company's agreements")
def list_agreements(request, params: Query[PageQuery]):
    """Newest first (by start date). A page past the end is an empty `items`."""
    require_scope(request, "read")
    result = paginate(company_agreements(request), params.page, params.page_size)
    result["items"] = [_summary(agreement) for agreement in result["items"]]
    return result


@router.get("/agreements/{code}", response=AgreementOut, summary="One agreement with its lines' quantities")
def get_agreement(request, code: AgreementCode):
    """Per line: committed, ordered (call-offs that hold quantity), delivered, accepted, invoiced,
    paid and remaining (committed − ordered), as in the portal's performance table."""
    require_scope(request, "read")
    agreement = agreement_for_key(request, code)
    return {
        **_summary(agreement),
        "delivery_terms": agreement.delivery_terms,
        "lines": [_line(performance) for performance in selectors.agreement_performance(agreement)],
    }
