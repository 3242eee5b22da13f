"""URLs of the household import, for the Wagtail admin. Mount them under admin/households/import/
from a `register_admin_urls` hook:

    @hooks.register("register_admin_urls")
    def register_household_import_urls():
        return importing.urls.get_urls()

Names are in the "household_import" namespace: household_import:upload, :detail, :confirm.
"""

from django.urls import include, path

from . import views

app_name = "household_import"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
]


def get_urls(prefix: str = "households/import/"):
    """The patterns to return from Wagtail's register_admin_urls hook (which mounts them under
    admin/)."""
    return [path(prefix, include((urlpatterns, app_name), namespace=app_name))]
