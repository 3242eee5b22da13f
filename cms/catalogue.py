"""The public catalogue (/products/): every live product, filtered, searched, sorted and paged.

A product page's producer group is its parent in the page tree, not a foreign key, so the listing
cannot select_related it. `prepare_cards` loads what the cards show for one page of results in a
fixed number of queries whatever the number of products: the parent group pages (with their
producers.ProducerGroup) in one query by path, the photos with their images in one, and the
renditions the cards use in one more.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re
import secrets
from decimal import Decimal
from typing import NamedTuple

from django import forms
from django.core.cache import cache as django_cache
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Case, F, IntegerField, OrderBy, Prefetch, Q, Subquery, When, prefetch_related_objects
from django.db.models.expressions import Col
from django.db.models.functions import Length, Substr
from django.template.loader import get_template
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model
from wagtail.models import Page

from marketplace import areas
from marketplace.numbers import decimal_input

from . import cache, navigation
from .models import (
    MONTHS,
    CatalogueIndexPage,
    Category,
    Certification,
    ProducerGroupPage,
    ProducerGroupPhoto,
    ProductPage,
    ProductPhoto,
)
from .navigation import breadcrumbs
from .thai_search import segment_query

PRODUCTS_PER_PAGE = 24
CARD_TEMPLATE = "cms/includes/product_card.html"
# The renditions a product card shows; they must match the {% srcset_image %} in
# cms/includes/product_card.html, or the prefetch misses and each card queries on its own.
CARD_RENDITIONS = ("fill-400x300|format-webp", "fill-800x600|format-webp")
# The product gallery ({% srcset_image %} in cms/product_page.html), largest last.
GALLERY_RENDITIONS = ("width-480|format-webp", "width-960|format-webp", "width-1440|format-webp")
# Link previews (Open Graph): the size and format every sharing site accepts.
SHARE_RENDITION = "fill-1200x630|format-jpeg"
MAX_QUERY_LENGTH = 100
MAX_QUERY_WORDS = 12
# What survives of a query word: letters, digits, Thai (vowel and tone marks are not "letters"
# to Python). Quotes, brackets and operators would mean something to the search engines.
QUERY_WORD = re.compile(r"[\w\u0e00-\u0e7f]+")


class Sort(models.TextChoices):
    NEWEST = "newest", _("Newest first")
    PRICE_LOW = "price", _("Price: low to high")
    PRICE_HIGH = "-price", _("Price: high to low")
    RELEVANCE = "relevance", _("Best match (when searching)")


# Every ordering ends on the page id so that pages of results never overlap or skip a product.
# These fields are all FilterFields of ProductPage: the search backends sort by them too.
ORDERINGS = {
    Sort.NEWEST: ("-first_published_at", "-id"),
    Sort.PRICE_LOW: ("price", "id"),
    Sort.PRICE_HIGH: ("-price", "-id"),
}
# The same for the listing, which the database sorts itself, with the id taken from
# wagtailcore_page rather than cms_productpage (the ORM would pick the child's page_ptr_id): an
# index on first_published_at (Wagtail's) or price (ours) then gives the rows in order, ties
# included, and a page of 24 reads 24 rows instead of sorting every product.
_PAGE_ID = Col(Page._meta.db_table, Page._meta.pk)
LISTING_ORDERINGS = {
    Sort.NEWEST: ("-first_published_at", _PAGE_ID.desc()),
    Sort.PRICE_LOW: ("price", _PAGE_ID.asc()),
    Sort.PRICE_HIGH: ("-price", _PAGE_ID.desc()),
}


class CatalogueFilterForm(forms.Form):
    """The catalogue's filters, read from the query string. A value that does not make sense is
    reported next to its field and left out; the rest of the filters still apply."""

    q = forms.CharField(
        label=_("Search"), required=False, widget=forms.SearchInput(attrs={"maxlength": MAX_QUERY_LENGTH})
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    certification = forms.ChoiceField(label=_("Certification"), required=False)
    price_min = forms.DecimalField(
        label=_("Lowest price (baht)"), required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2
    )
    price_max = forms.DecimalField(
        label=_("Highest price (baht)"), required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2
    )
    in_stock = forms.BooleanField(label=_("Available now only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=Sort.choices)

    def __init__(self, data, **kwargs):
        # The order in force shows as chosen: best match when there are words to search for.
        data = data.copy()
        if not data.get("sort"):
            data["sort"] = Sort.RELEVANCE if search_terms(data.get("q", "")) else Sort.NEWEST
        super().__init__(data, label_suffix="", **kwargs)
        everything = [("", _("All"))]
        choices = filter_choices()
        for name in ("category", "certification", "province"):
            self.fields[name].choices = everything + choices[name]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_min", _("The lowest price is above the highest price, so neither was used."))
            cleaned.pop("price_max", None)
        return cleaned

    def filters(self) -> dict:
        """The filters that are valid, whatever else in the form is not."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "", False)}


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The categories, certifications and provinces to filter by, in the reader's language. Kept
    in the cache under the page cache's generation: saving a category, certification, group or
    page starts a new one."""
    key = f"cms:filter-choices:{cache.generation()}:{get_language()}"
    choices = django_cache.get(key)
    if choices is None:
        choices = {
            "category": [(category.slug, category.localized("name")) for category in Category.objects.all()],
            "certification": [
                (certification.slug, certification.localized("name")) for certification in Certification.objects.all()
            ],
            "province": province_choices(),
        }
        django_cache.set(key, choices, cache.timeout())
    return choices


def province_choices() -> list[tuple[str, str]]:
    """The provinces that have a live producer group page, by name in the reader's language."""
    codes = ProducerGroupPage.objects.live().order_by().values_list("group__province_code", flat=True).distinct()
    return sorted(((code, areas.area_name(code)) for code in codes), key=lambda choice: choice[1])


def live_products():
    """Every product a visitor may see, on any site: `.live().public()`, with the restricted
    sections of the tree remembered (cms.cache.public_only)."""
    return cache.public_only(ProductPage.objects.live())


def filter_products(products, filters: dict):
    if category := filters.get("category"):
        products = products.filter(category__slug=category)
    if certification := filters.get("certification"):
        products = products.filter(certifications__slug=certification)
    if province := filters.get("province"):
        # A product's group is its parent page: the parent's path is the product's path less
        # one tree step.
        group_paths = ProducerGroupPage.objects.filter(group__province_code=province).values("path")
        products = products.annotate(
            parent_path=Substr("path", 1, Length("path") - Page.steplen),
        ).filter(parent_path__in=Subquery(group_paths))
    if (low := filters.get("price_min")) is not None:
        products = products.filter(price__gte=low)
    if (high := filters.get("price_max")) is not None:
        products = products.filter(price__lte=high)
    if filters.get("in_stock"):
        products = products.filter(available_quantity__gt=0)
    return products


# Filters that filter_products applies through other tables or computed values, which the search
# backends cannot apply to their index (price and stock are FilterFields of ProductPage).
FILTERS_NOT_ON_INDEX_FIELDS = {"category", "certification", "province"}


def search_terms(query: str) -> list[str]:
    """The words of a visitor's query, Thai cut into words the way the index was cut."""
    words = []
    for word in segment_query((query or "")[:MAX_QUERY_LENGTH]).split():
        words.extend(QUERY_WORD.findall(word))
    return words[:MAX_QUERY_WORDS]


def search_products(products, query: str, *, sort: str = Sort.RELEVANCE, filtered_on_index_fields_only: bool = False):
    """Products (a queryset of ProductPage, filtered as you like) whose index matches every word of
    the query, in the order asked for. None for a query with no words.

    Best match puts first the products whose name holds more of the words, then the newest. The
    engines' own scores are not used: SQLite's multiplies the score of the whole entry by a factor
    that favours short titles wherever the match is, and computes it in a correlated subquery
    that grows with the square of the matches; PostgreSQL's would rank differently from it.

    The results hold only the products' ids (prepare_cards loads what a card needs): the database
    then sorts the matches without carrying every column of every one.

    The search backends accept filters only on declared FilterFields. When the caller says the
    queryset has only those (live(), public(), price, stock), it is searched as it is; otherwise it
    goes in as a subquery of ids, which costs a pass over every product.
    """
    terms = search_terms(query)
    if not terms:
        return None
    if not filtered_on_index_fields_only:
        products = ProductPage.objects.filter(id__in=products.values("id"))
    return _search(products, terms, sort)


def _search(candidates, terms: list[str], sort: str):
    candidates = candidates.only("id")
    if sort in ORDERINGS:
        ordering = ORDERINGS[sort]
    else:
        candidates = candidates.annotate(words_in_name=_words_in_name(terms))
        ordering = (OrderBy(F("words_in_name"), descending=True), *ORDERINGS[Sort.NEWEST])
    return candidates.order_by(*ordering).search(" ".join(terms), operator="and", order_by_relevance=False)


def _words_in_name(terms: list[str]):
    """How many of the words are in the product's name, Thai or English."""
    in_name = [Q(title__icontains=term) | Q(title_en__icontains=term) for term in terms]
    found = [Case(When(condition, then=1), default=0, output_field=IntegerField()) for condition in in_name]
    return functools.reduce(operator.add, found)


def paginate(results, page_number, *, filters: dict | None = None) -> PaginatorPage:
    """One page of 24; a page number that is not a number gives the first page, one past the end
    the last. With `filters` (what `results` were chosen by, search words included), the number
    of results is kept under the page cache's generation: every page and every order of the same
    filters shares it, and counting 10,000 products is the slowest query of the listing."""
    if filters is None:
        return Paginator(results, PRODUCTS_PER_PAGE).get_page(page_number)
    described = repr(sorted((name, str(value)) for name, value in filters.items() if name != "sort"))
    key = "count:" + hashlib.sha256(described.encode()).hexdigest()
    return _RememberedCountPaginator(results, PRODUCTS_PER_PAGE, count_key=key).get_page(page_number)


class _RememberedCountPaginator(Paginator):
    def __init__(self, object_list, per_page, *, count_key: str):
        super().__init__(object_list, per_page)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        return cache.remember(self.count_key, Paginator.count.func.__get__(self))


def prepare_cards(products, request, *, group_page=None) -> list[Card]:
    """The cards for these products (ProductPage instances, or only their ids), in their order.

    A card's HTML is cached per product, language and host under the page cache's generation, so
    any publish, or a change to a category, certification or group, renders it afresh; the same
    card then serves every listing, search and group page that shows the product. Products given
    by id (or with deferred fields) are loaded only when their card is not in the cache. The cards
    to render are loaded in four queries however many there are: the products given by id, their
    group pages (with the ProducerGroup; none when all share the `group_page` given), the photos
    with their images, and the card renditions of those images."""
    items = list(products)
    if not items:
        return []
    ids = [getattr(item, "pk", item) for item in items]
    keys = card_cache_keys(ids, request)
    html = django_cache.get_many(keys.values())
    missing = [pk for pk in ids if keys[pk] not in html]
    if missing:
        # A product with deferred fields (search results hold only ids) counts as its id.
        given = {item.pk: item for item in items if isinstance(item, ProductPage) and not item.get_deferred_fields()}
        to_render = [given[pk] for pk in missing if pk in given]
        if to_load := [pk for pk in missing if pk not in given]:
            to_render.extend(ProductPage.objects.filter(pk__in=to_load))
        _load_for_cards(to_render, group_page)
        template = get_template(CARD_TEMPLATE)
        rendered = {
            keys[product.pk]: template.render({"product": product, "request": request}) for product in to_render
        }
        django_cache.set_many(rendered, cache.timeout())
        html.update(rendered)
    return [Card(pk, mark_safe(html[keys[pk]])) for pk in ids]  # noqa: S308 - rendered by our template


class Card(NamedTuple):
    """A product card: the product's id and its HTML (cms/includes/product_card.html)."""

    pk: int
    html: str


def card_cache_keys(ids, request) -> dict[int, str]:
    prefix = f"cms:card:{cache.generation()}:{get_language()}:{request.get_host()}"
    return {pk: f"{prefix}:{pk}" for pk in ids}


def _load_for_cards(products, group_page) -> None:
    if group_page is None:
        parent_paths = {product.path[: -Page.steplen] for product in products}
        groups = {
            group.path: group
            for group in ProducerGroupPage.objects.filter(path__in=parent_paths).select_related("group")
        }
    for product in products:
        # Overrides the cached_property that would ask the database for each product.
        product.group_page = group_page or groups.get(product.path[: -Page.steplen])
    prefetch_related_objects(products, Prefetch("gallery", queryset=_photos_with(CARD_RENDITIONS, ProductPhoto)))


def prepare_group_cards(group_pages) -> list[ProducerGroupPage]:
    """Group pages with their photos and the card renditions, in two more queries."""
    group_pages = list(group_pages)
    prefetch_related_objects(
        group_pages, Prefetch("photos", queryset=_photos_with(CARD_RENDITIONS, ProducerGroupPhoto))
    )
    return group_pages


def _photos_with(specs, photo_model):
    renditions = get_image_model().get_rendition_model().objects.filter(filter_spec__in=specs)
    return photo_model.objects.select_related("image").prefetch_related(
        Prefetch("image__renditions", queryset=renditions)
    )


def plain_text(html: str, length: int = 200) -> str:
    """Rich text as one line of plain text, cut at a word near `length` characters."""
    text = " ".join(strip_tags(html or "").split())
    return Truncator(text).chars(length)


# --- Product and group pages ----------------------------------------------------------------


def group_page_context(group_page, request) -> dict:
    products = ProductPage.objects.child_of(group_page).live().public().select_related("category")
    return {
        "products": prepare_cards(products.order_by("title", "id"), request, group_page=group_page),
        "photos": list(group_page.photos.all().select_related("image").prefetch_related("image__renditions")),
        "province_name": areas.area_name(group_page.group.province_code),
        "breadcrumbs": breadcrumbs(group_page, request),
        "profile": group_page.localized("profile"),
        "story": group_page.localized("story"),
        "meta_description": plain_text(group_page.localized("profile")),
    }


PRODUCT_PARTS = ("meta", "head", "main", "aside")


def product_page_parts(page, request) -> dict[str, str]:
    """The parts of a product page every reader shares (cms/includes/product_parts.html): the
    meta description, the head (Open Graph, JSON-LD), the page before the buy box and after it."""
    split = f"<!--{secrets.token_hex(16)}-->"
    context = {
        "page": page,
        "request": request,
        "split": mark_safe(split),  # noqa: S308 - our own marker
        "month_names": [label for value, label in MONTHS if value in (page.seasonal_months or [])],
        **product_page_context(page, request),
    }
    html = cache.render_fragment("cms/includes/product_parts.html", context).split(split)
    return dict(zip(PRODUCT_PARTS, html, strict=True))


def product_page_context(page, request) -> dict:
    group_page = ProducerGroupPage.objects.select_related("group").get(path=page.path[: -Page.steplen])
    page.group_page = group_page
    photos = list(page.gallery.all().select_related("image").prefetch_related("image__renditions"))
    share_image = photos[0].image.get_rendition(SHARE_RENDITION) if photos else None
    share_image_url = request.build_absolute_uri(share_image.url) if share_image else ""
    province_name = areas.area_name(group_page.group.province_code)
    certifications = list(page.certifications.all())
    return {
        "group_page": group_page,
        "photos": photos,
        "certifications": certifications,
        "province_name": province_name,
        "breadcrumbs": product_breadcrumbs(page, group_page, request),
        "meta_description": plain_text(page.display_description),
        "share_image_url": share_image_url,
        "canonical_url": page.get_full_url(request),
        "group_profile": group_page.localized("profile"),
        "json_ld": product_json_ld(page, request, group_page=group_page, photos=photos),
    }


def product_breadcrumbs(page, group_page, request) -> list[tuple[str, str]]:
    """Home › Products › group › product: a product sits under its group in the page tree, but a
    visitor reaches it from the catalogue."""
    home_path = page.path[: 2 * Page.steplen]

    def home_and_catalogue():
        home = Page.objects.filter(path=home_path).specific().first()
        crumbs = [(navigation.display_title(home), home.get_url(request))] if home else []
        catalogue = CatalogueIndexPage.objects.live().descendant_of(home).first() if home else None
        if catalogue:
            crumbs.append((catalogue.display_title, catalogue.get_url(request)))
        return crumbs

    crumbs = list(navigation.remember_for_reader(request, f"home-and-catalogue:{home_path}", home_and_catalogue))
    crumbs.append((group_page.display_title, group_page.get_url(request)))
    crumbs.append((page.display_title, page.get_url(request)))
    return crumbs


def product_json_ld(page, request, *, group_page, photos) -> dict:
    """schema.org Product for search engines; output with {% json_ld %}, which escapes it."""
    group = group_page.group
    organisation = {
        "@type": "Organization",
        "name": group_page.display_title,
        "url": group_page.get_full_url(request),
        "address": {
            "@type": "PostalAddress",
            "addressLocality": group.district_name,
            "addressRegion": group.province_name,
            "addressCountry": "TH",
        },
    }
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": page.display_title,
        "description": plain_text(page.display_description, 5000),
        "sku": page.sku,
        "url": page.get_full_url(request),
        "category": page.category.localized("name"),
        "brand": {"@type": "Brand", "name": group_page.display_title},
        "manufacturer": organisation,
        "offers": {
            "@type": "Offer",
            "url": page.get_full_url(request),
            "priceCurrency": "THB",
            "price": str(page.price),
            "availability": "https://schema.org/InStock" if page.in_stock else "https://schema.org/OutOfStock",
            "seller": organisation,
            "eligibleQuantity": {
                "@type": "QuantitativeValue",
                "minValue": decimal_input(page.min_order_quantity),
                "unitText": page.get_unit_display(),
            },
        },
    }
    if photos:
        data["image"] = [
            request.build_absolute_uri(photo.image.get_rendition(GALLERY_RENDITIONS[-1]).url) for photo in photos
        ]
    return data


def serve_catalogue(page, request):
    """CatalogueIndexPage.serve: the product listing with its filter form. The listing and the form
    depend on the query string, the language and the published products alone: they are kept as
    a fragment (cms.cache.fragment); the page around them is rendered for each visitor."""
    context = page.get_context(request)
    context["body"] = cache.fragment(request, "catalogue", lambda: catalogue_body(page, request))
    return cache.cacheable(TemplateResponse(request, page.get_template(request), context))


def catalogue_body(page, request) -> str:
    form = CatalogueFilterForm(request.GET)
    filters = form.filters()
    query = filters.get("q", "")
    sort = filters.get("sort") or Sort.NEWEST
    products = filter_products(live_products(), filters)
    results = None
    if query:
        on_index_fields_only = not filters.keys() & FILTERS_NOT_ON_INDEX_FIELDS
        results = search_products(products, query, sort=sort, filtered_on_index_fields_only=on_index_fields_only)
    if results is None:
        if sort == Sort.RELEVANCE:
            sort = Sort.NEWEST
        # Only the ids: the cards come from the card cache, and prepare_cards loads the rest.
        results = products.order_by(*LISTING_ORDERINGS[sort]).values_list("pk", flat=True)
    page_of_products = paginate(results, request.GET.get("page"), filters=filters)
    context = {
        "page": page,
        "request": request,
        "filters_html": filters_html(page, request, form, filters),
        "intro": page.localized("intro"),
        "products": prepare_cards(page_of_products.object_list, request),
        "page_of_products": page_of_products,
        "result_count": page_of_products.paginator.count,
        "query": query,
        "filtering": bool(filters.keys() - {"sort"}),
        "breadcrumbs": breadcrumbs(page, request),
        "query_string": query_string_without_page(request),
    }
    return cache.render_fragment("cms/includes/catalogue_body.html", context)


def filters_html(page, request, form, filters) -> str:
    """The filter form as HTML. It shows what the query string asked for (and what was wrong with
    it), whichever page of results is asked: kept per query string without `page`, language, host
    and catalogue page under the generation (the choices come from categories, certifications
    and groups), so paging through results renders the form once. Drawing its select boxes is
    the slowest part of the listing."""
    described = f"{request.get_host()}:{page.pk}:{query_string_without_page(request)}"
    key = "filters:" + hashlib.sha256(described.encode()).hexdigest()
    context = {"page": page, "request": request, "form": form, "filtering": bool(filters.keys() - {"sort"})}
    render = functools.partial(cache.render_fragment, "cms/includes/catalogue_filters.html", context)
    html = render() if getattr(request, "is_preview", False) else cache.remember(f"{get_language()}:{key}", render)
    return mark_safe(html)  # noqa: S308 - rendered by our template


def query_string_without_page(request) -> str:
    """The request's query string without `page`, for the pagination links to keep the filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
