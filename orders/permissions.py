"""Wagtail permission policies for agreements, companies and incoming orders, built on
marketplace.permissions.ScopedPolicy like the producers app's: actions from the user's role,
instances from the selectors' scope, so a guessed id in an admin URL finds nothing."""

from buyers.models import Company
from marketplace import access
from marketplace.permissions import ScopedPolicy
from producers.permissions import ProducerScopedPolicy

from . import selectors
from .models import Order, PurchaseAgreement


class AgreementPolicy(ScopedPolicy):
    """Only drafts may be deleted: an activated agreement is a signed record (terminate it instead)."""

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and instance.activated_at is not None:
            return False
        return super().user_has_permission_for_instance(user, action, instance)

    def instances_user_has_permission_for(self, user, action):
        instances = super().instances_user_has_permission_for(user, action)
        return instances.filter(activated_at__isnull=True) if action == "delete" else instances


agreement_policy = AgreementPolicy(
    PurchaseAgreement,
    scope=selectors.agreements_for_coordinator,
    coordinator={"add", "change", "view", "delete", "activate", "terminate", "amend"},
)
# Companies are organisational records every coordinator needs to draft agreements with.
company_policy = ScopedPolicy(
    Company,
    scope=lambda user: Company.objects.all() if access.is_coordinator(user) else Company.objects.none(),
    coordinator={"add", "change", "view", "invite"},
)
incoming_order_policy = ProducerScopedPolicy(
    Order,
    scope=selectors.orders_for_group_staff,
    coordinator={"view"},
    member={"view", "answer"},
)

POLICIES = [agreement_policy, company_policy, incoming_order_policy]
