from django.urls import include, path, reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from marketplace import access

from . import admin_urls
from .viewsets import OrdersViewSetGroup


@hooks.register("register_admin_viewset")
def register_orders_viewsets():
    return OrdersViewSetGroup()


@hooks.register("register_admin_urls")
def register_orders_admin_urls():
    return [path("offtake/", include(admin_urls, namespace="orders_admin"))]


@hooks.register("register_page_header_buttons")
def stock_button(page, user, view_name, next_url=None):
    """“Update stock” in a product's header menu, for those allowed to (orders.views_stock)."""
    from cms.models import ProductPage

    from .views_stock import can_update_stock

    if page.specific_class is ProductPage and can_update_stock(user, page):
        yield Button(
            _("Update stock"),
            reverse("orders_admin:stock_update", args=[page.pk]),
            icon_name="pick",
            priority=25,
        )


class CoordinatorMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_coordinator(request.user)


@hooks.register("register_admin_menu_item")
def register_overdue_invoices_menu_item():
    """Coordinators' list of open invoices past due in their area (orders.admin_views)."""
    return CoordinatorMenuItem(
        _("Overdue invoices"), reverse_lazy("orders_admin:overdue_invoices"), icon_name="warning", order=215
    )


class OutboxMenuItem(MenuItem):
    def is_shown(self, request):
        from .admin_outbox import can_see_outbox

        return can_see_outbox(request.user)


@hooks.register("register_admin_menu_item")
def register_outbox_menu_item():
    """Emails queued, sent and failed, and the background jobs (orders.admin_outbox)."""
    return OutboxMenuItem(_("Outbox"), reverse_lazy("orders_admin:outbox"), icon_name="mail", order=216)
