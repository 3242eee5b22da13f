from django.urls import path

from . import views

app_name = "producers_admin"

urlpatterns = [
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/consent/", views.household_consent, name="household_consent"),
    path("households/<int:pk>/erase/", views.household_erase, name="household_erase"),
    path("consents/<int:pk>/evidence/", views.consent_evidence, name="consent_evidence"),
    path("households/export.csv", views.households_export, name="households_export"),
    path("groups/<int:pk>/verification/", views.group_verification, name="group_verification"),
]
