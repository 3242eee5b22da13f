"""/field/ (namespace "field") and /agency/ (namespace "agency"); config/urls.py includes both."""

from django.urls import path

from . import views

field_patterns = (
    [
        path("", views.queue, name="queue"),
        path("households/<int:pk>/", views.household, name="household"),
        path("households/<int:pk>/verify/", views.verify, name="verify"),
        path("households/<int:pk>/assess/", views.assess, name="assess"),
        path("households/<int:pk>/consent/", views.consent, name="consent"),
        path("needs/<int:need_pk>/refer/", views.refer, name="refer"),
        path("referrals/", views.referral_list, name="referrals"),
        path("analysis/", views.analysis_view, name="analysis"),
        path("analysis/households/", views.analysis_list, name="analysis_list"),
        path("analysis.<str:fmt>", views.analysis_export, name="analysis_export"),
    ],
    "field",
)

agency_patterns = (
    [
        path("", views.agency_home, name="home"),
        path("referrals/<int:pk>/", views.agency_referral, name="referral"),
        path("referrals/<int:pk>/answer/", views.agency_transition, name="transition"),
    ],
    "agency",
)
