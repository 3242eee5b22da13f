from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Catalogue and content")

    def ready(self):
        from marketplace import access
        from producers import hooks as producers_hooks

        from . import catalogue, rendering, services, signals

        signals.connect_signals()
        # The page models serve themselves with the catalogue's rendering (cms/rendering.py).
        rendering.provide(rendering.SERVE_CATALOGUE, catalogue.serve_catalogue)
        rendering.provide(rendering.GROUP_CARDS, catalogue.prepare_group_cards)
        rendering.provide(rendering.GROUP_PAGE_CONTEXT, catalogue.group_page_context)
        rendering.provide(rendering.PRODUCT_PAGE_PARTS, catalogue.product_page_parts)
        # Publishing rights on group pages follow the coordinator role as well as assignments.
        access.on_coordinator_role_change(services.sync_coordinator_access)
        # A group's pages, and who edits and publishes them, follow the group, its members and the
        # coordinators' assignments (producers/hooks.py names the moments).
        producers_hooks.register(producers_hooks.GROUP_SAVED, services.ensure_group_page)
        producers_hooks.register(producers_hooks.MEMBERSHIP_CHANGED, services.sync_group_access)
        producers_hooks.register(producers_hooks.COORDINATOR_ASSIGNMENT_CHANGED, services.sync_coordinator_access)
