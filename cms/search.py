"""/search/?q=…: products found by Wagtail's database search, Thai cut into words (cms.thai_search).

The query must match every word (operator "and"); a match in the product's name ranks above one in
its description only. The catalogue (/products/?q=…) runs the same search inside its filters.
"""

from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from wagtail.models import Site

from . import cache, catalogue
from .models import CatalogueIndexPage, ProductPage


@require_safe
def search(request):
    query = " ".join(request.GET.get("q", "").split())[: catalogue.MAX_QUERY_LENGTH]
    results = catalogue.search_products(catalogue.live_products(), query) if query else None
    searched = results is not None
    page_of_products = catalogue.paginate(results if searched else ProductPage.objects.none(), request.GET.get("page"))
    catalogue_page = CatalogueIndexPage.objects.live().first()
    site = Site.find_for_request(request)
    home = site.root_page.specific if site else None
    crumbs = [(home.display_title, home.get_url(request))] if home else []
    crumbs.append((_("Search"), request.path))
    context = {
        "query": query,
        "searched": searched,
        "products": catalogue.prepare_cards(page_of_products.object_list) if searched else [],
        "page_of_products": page_of_products,
        "result_count": page_of_products.paginator.count if searched else 0,
        "catalogue_page": catalogue_page,
        "breadcrumbs": crumbs,
        "query_string": catalogue.query_string_without_page(request),
    }
    return cache.cacheable(TemplateResponse(request, "cms/search.html", context))
