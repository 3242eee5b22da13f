"""What makes cached public pages stale (cms.cache's generation) and grows the search statistics:
the signal receivers, connected once from CmsConfig.ready(). Kept apart from cache.py, which the page
models use, because it names the models and the search module."""

from django.db.models.signals import post_delete, post_save
from wagtail.images import get_image_model
from wagtail.models import PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from producers.models import ProducerGroup

from . import cache
from .models import Category, Certification
from .search import refresh_planner_statistics_on_commit


def connect_signals() -> None:
    """Called from CmsConfig.ready()."""
    page_published.connect(cache.invalidate, dispatch_uid="cms_page_cache_published")
    # Not the page cache's business, but connected with it: a publish also grows the search index.
    page_published.connect(refresh_planner_statistics_on_commit, dispatch_uid="cms_search_statistics_published")
    page_unpublished.connect(cache.invalidate, dispatch_uid="cms_page_cache_unpublished")
    post_page_move.connect(cache.invalidate, dispatch_uid="cms_page_cache_moved")
    post_save.connect(cache.invalidate_for_page, dispatch_uid="cms_page_cache_page_saved")
    post_delete.connect(cache.invalidate_for_page, dispatch_uid="cms_page_cache_page_deleted")
    # Shown on cached pages, or deciding who may see them, without being pages themselves.
    # Images too: a new focal point or a replaced file changes the renditions cached cards point to.
    for model in (PageViewRestriction, Site, Category, Certification, ProducerGroup, get_image_model()):
        post_save.connect(cache.invalidate, sender=model, dispatch_uid=f"cms_page_cache_{model.__name__}_saved")
        post_delete.connect(cache.invalidate, sender=model, dispatch_uid=f"cms_page_cache_{model.__name__}_deleted")
