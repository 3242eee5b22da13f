"""/search/?q=…: products found by Wagtail's database search, Thai cut into words (cms.thai_search).

The query must match every word (operator "and"); a match in the product's name ranks above one in
its description only. The catalogue (/products/?q=…) runs the same search inside its filters.
"""

from django.db import connection, transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import cache, catalogue
from .models import CatalogueIndexPage, ProductPage


@require_safe
def search(request):
    """The results are kept as a fragment per query string and language (cms.cache.fragment): they
    change only with what is published; the page around them is rendered for each visitor."""
    query = _query(request)
    context = {"query": query, "body": cache.fragment(request, "search", lambda: search_body(request))}
    return cache.cacheable(TemplateResponse(request, "cms/search.html", context))


def _query(request) -> str:
    return " ".join(request.GET.get("q", "").split())[: catalogue.MAX_QUERY_LENGTH]


def search_body(request) -> str:
    query = _query(request)
    results = None
    if query:
        results = catalogue.search_products(catalogue.live_products(), query, filtered_on_index_fields_only=True)
    searched = results is not None
    page_of_products = catalogue.paginate(
        results if searched else ProductPage.objects.none(),
        request.GET.get("page"),
        filters={"search": query} if searched else None,
    )
    catalogue_page = CatalogueIndexPage.objects.live().first()
    site = cache.find_site(request)
    home = site.root_page.specific if site else None
    crumbs = [(home.display_title, home.get_url(request))] if home else []
    crumbs.append((_("Search"), request.path))
    context = {
        "request": request,
        "query": query,
        "searched": searched,
        "products": catalogue.prepare_cards(page_of_products.object_list, request) if searched else [],
        "page_of_products": page_of_products,
        "result_count": page_of_products.paginator.count if searched else 0,
        "catalogue_page": catalogue_page,
        "breadcrumbs": crumbs,
        "query_string": catalogue.query_string_without_page(request),
    }
    return cache.render_fragment("cms/includes/search_body.html", context)


def refresh_planner_statistics() -> None:
    """SQLite only: bring the query planner's statistics (ANALYZE) up to date, as SQLite advises for
    applications with short-lived connections (ours close after each request).

    Without statistics SQLite guesses that `content_type_id = ?` on the search index picks out a
    few rows, so it reads every product's index entry and runs the full-text match once for each:
    a search took a quarter of a second per query with 10,000 products instead of a hundredth.
    `PRAGMA optimize` analyzes only the tables that have grown a lot since they were last
    analyzed, so it is cheap to run after every publish. PostgreSQL's autovacuum does this itself.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        never_analyzed = cursor.fetchone() is None
        cursor.execute("ANALYZE" if never_analyzed else "PRAGMA optimize")


def refresh_planner_statistics_on_commit(**_signal_kwargs) -> None:
    """Connected to page_published: after the publish (and its search index entry) is committed."""
    transaction.on_commit(refresh_planner_statistics)
