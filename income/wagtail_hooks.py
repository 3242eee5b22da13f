from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.views.home import WorkflowObjectsToModeratePanel

from marketplace import access
from producers import selectors

from . import todo, todo_urls
from .impact import urls as impact_urls
from .ledger import urls as ledger_urls
from .status import poverty_panel


@hooks.register("register_admin_urls")
def register_income_admin_urls():
    return [
        # Under /admin/producers/, where the ledger pages were before the income app.
        path("producers/", include(ledger_urls, namespace="ledger")),
        path("impact/", include(impact_urls, namespace="impact")),
        path("todo/", include(todo_urls, namespace="todo")),
    ]


class CoordinatorMenuItem(MenuItem):
    def is_shown(self, request):
        return access.is_coordinator(request.user)


@hooks.register("register_admin_menu_item")
def impact_dashboard_menu_item():
    """Coordinators' impact dashboard (income.impact.views); group managers get none."""
    return CoordinatorMenuItem(_("Impact"), reverse("impact:dashboard"), icon_name="doc-full", order=265)


@hooks.register("producers_household_panels")
def household_poverty_panel(request, household):
    """The household page's poverty status: now, its history and marketplace income by year."""
    return "income/status/poverty_panel.html", poverty_panel(household)


# --- The admin home as a to-do list (income.todo) ---------------------------------------------


class TodoPanel(Component):
    """Counts of what waits, per group for its manager or treasurer, per area for a coordinator;
    each a link to the exact list (income.todo_views)."""

    name = "todo"
    order = 10
    template_name = "income/todo/panel.html"

    def __init__(self, group_todos, coordinator_items):
        self.group_todos = group_todos
        self.coordinator_items = coordinator_items

    def get_context_data(self, parent_context=None):
        return {"group_todos": self.group_todos, "coordinator_items": self.coordinator_items}


def _works_with_the_todo(user) -> bool:
    return not user.is_superuser and (access.is_coordinator(user) or bool(selectors.managed_group_ids(user)))


@hooks.register("construct_homepage_panels")
def todo_home_panels(request, panels):
    """Group staff and coordinators get their to-do first; of Wagtail's own panels only the pages
    to approve stay, for coordinators (recent edits and locked pages mean nothing to them)."""
    user = request.user
    if not _works_with_the_todo(user):
        return
    keep = [panel for panel in panels if isinstance(panel, WorkflowObjectsToModeratePanel)]
    if not access.is_coordinator(user):
        keep = []
    panels[:] = [TodoPanel(todo.group_todos(user), todo.coordinator_todo(user)), *keep]


@hooks.register("construct_homepage_summary_items", order=100)  # after Wagtail adds its own
def no_site_summary_for_group_staff(request, summary_items):
    """“9 Pages, 11 Images” says nothing to a group manager or a coordinator."""
    if _works_with_the_todo(request.user):
        summary_items.clear()


@hooks.register("construct_main_menu")
def hide_reports_and_help(request, menu_items):
    """Wagtail's reports (page types, aging pages, site history) and its editor guide are for the
    site's operators, not for group staff and coordinators."""
    if _works_with_the_todo(request.user):
        menu_items[:] = [item for item in menu_items if item.name not in ("reports", "help")]


@hooks.register("insert_global_admin_css")
def admin_phone_css():
    return format_html('<link rel="stylesheet" href="{}">', static("marketplace/css/admin.css"))
