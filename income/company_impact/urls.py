"""The company impact statement in the buyer portal (mounted under /buyer/ beside buyers.urls)."""

from django.urls import path

from . import views

app_name = "company_impact"

urlpatterns = [
    path("companies/<int:pk>/impact/", views.impact_statement, name="impact"),
    path("impact/", views.impact_home, name="impact_home"),
]
