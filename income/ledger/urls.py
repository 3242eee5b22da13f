"""Admin URLs of the ledger: who supplied a delivery, a household's payouts and statement. Mounted
under /admin/producers/ (where they were before the income app) by income.wagtail_hooks."""

from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("deliveries/<int:pk>/contributions/", views.delivery_contributions, name="delivery_contributions"),
    path("households/<int:pk>/payouts/", views.household_payouts, name="household_payouts"),
    path("payouts/<int:pk>/slip/", views.payout_slip, name="payout_slip"),
    path("households/<int:pk>/statement/", views.household_statement, name="household_statement"),
]
