"""Admin URLs of the impact dashboard (mounted under /admin/impact/ by income.wagtail_hooks)."""

from django.urls import path, register_converter

from . import views


class FormatConverter:
    regex = "csv|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FormatConverter, "impact_format")

app_name = "impact"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("households/<slug:figure>/", views.drilldown, name="drilldown"),
    path("export/figures.<impact_format:fmt>", views.export_figures, name="export_figures"),
    path("export/households/<slug:figure>.<impact_format:fmt>", views.export_households, name="export_households"),
    path("export/iris.csv", views.export_iris, name="export_iris"),
]
