from django.contrib.auth import get_user_model
from django.core.management import call_command

from buyers.models import Company, CompanyMembership
from orders.models import AgreementState, Order, OrderStatus, PurchaseAgreement


def test_the_demo_has_companies_active_agreements_and_call_offs_and_is_idempotent(db):
    call_command("seed_demo", force=True)
    orders = Order.objects.count()
    call_command("seed_demo", force=True)

    assert Company.objects.count() == 13
    agreements = list(PurchaseAgreement.objects.select_related("institution"))
    assert len(agreements) == 3
    assert {agreement.institution.code for agreement in agreements} == {"KSU"}
    assert len({agreement.company_id for agreement in agreements}) == 3
    assert all(agreement.state() == AgreementState.ACTIVE for agreement in agreements)
    assert Order.objects.count() == orders == 12
    assert set(Order.objects.values_list("status", flat=True)) >= {"placed", "confirmed", "declined", "cancelled"}

    purchaser = get_user_model().objects.get(email="purchaser@demo.example")
    membership = CompanyMembership.objects.get(user=purchaser)
    assert membership.role == "purchaser"
    assert PurchaseAgreement.objects.filter(company=membership.company, code="KSU-MOU-2569-001").exists()
    # the demo manager's group supplies the purchaser's agreement: a call-off can be played end to end
    manager = get_user_model().objects.get(email="manager@demo.example")
    silk = PurchaseAgreement.objects.get(code="KSU-MOU-2569-001").groups.filter(memberships__user=manager)
    assert silk.exists()
