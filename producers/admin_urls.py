from django.urls import path

from . import views, views_ledger

app_name = "producers_admin"

urlpatterns = [
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/consent/", views.household_consent, name="household_consent"),
    path("households/<int:pk>/erase/", views.household_erase, name="household_erase"),
    path("consents/<int:pk>/evidence/", views.consent_evidence, name="consent_evidence"),
    path("households/export.csv", views.households_export, name="households_export"),
    path("groups/<int:pk>/verification/", views.group_verification, name="group_verification"),
    path("deliveries/<int:pk>/contributions/", views_ledger.delivery_contributions, name="delivery_contributions"),
    path("households/<int:pk>/payouts/", views_ledger.household_payouts, name="household_payouts"),
    path("households/<int:pk>/statement/", views_ledger.household_statement, name="household_statement"),
]
