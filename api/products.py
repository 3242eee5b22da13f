"""GET /products and /products/{id}: the public catalogue, for procurement systems.

Filtering, Thai-aware search and ordering are the catalogue's own (cms.catalogue: the filter form,
filter_products, search_products and the listing orderings); only the paging and the JSON differ.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.db.models import Prefetch
from django.http import QueryDict
from ninja import Field, Query, Router, Schema
from wagtail.models import Page as WagtailPage

from cms import catalogue
from cms.models import Certification, ProducerGroupPage, ProductPage
from marketplace import areas

from .base import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Problem, paginate, require_scope
from .schemas import ProductOut
from .schemas import ProductPage as ProductPageOut

router = Router(tags=["products"])

MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
MAX_PRICE = Decimal("9999999999.99")
SortParam = Literal["newest", "price", "-price", "relevance"]


def _named(obj) -> dict | None:
    if obj is None:
        return None
    return {"slug": obj.slug, "name_th": obj.name, "name_en": obj.name_en or ""}


def _serialise(products: list[ProductPage], request) -> list[dict]:
    """Products as ProductOut dicts: their categories, certifications and groups in three queries
    (the group is the product page's parent; found by path, as cms.catalogue does for its cards)."""
    parent_paths = {product.path[: -WagtailPage.steplen] for product in products}
    groups = {
        page.path: page for page in ProducerGroupPage.objects.filter(path__in=parent_paths).select_related("group")
    }
    items = []
    for product in products:
        group_page = groups.get(product.path[: -WagtailPage.steplen])
        group = group_page.group if group_page is not None else None
        items.append(
            {
                "id": product.pk,
                "sku": product.sku,
                "name_th": product.title,
                "name_en": product.title_en or "",
                "category": _named(product.category),
                "certifications": [_named(c) for c in product.certifications.all()],
                "producer_group": (
                    {
                        "id": group.pk,
                        "name_th": group.name_th,
                        "name_en": group.name_en or "",
                        "province_code": group.province_code,
                        "province": areas.area_name(group.province_code),
                    }
                    if group is not None
                    else None
                ),
                "unit": product.unit,
                "price": product.price,
                "min_order_quantity": product.min_order_quantity,
                "available_quantity": product.available_quantity,
                "in_stock": product.available_quantity > 0,
                "lead_time_days": product.lead_time_days,
                "url": request.build_absolute_uri(product.get_url(request) or "/"),
            }
        )
    return items


def _load(ids) -> list[ProductPage]:
    """The products of these ids, in this order."""
    ids = list(ids)
    loaded = ProductPage.objects.filter(pk__in=ids).select_related("category")
    loaded = loaded.prefetch_related(Prefetch("certifications", queryset=Certification.objects.order_by("slug")))
    by_id = {product.pk: product for product in loaded}
    return [by_id[pk] for pk in ids if pk in by_id]


class ProductQuery(Schema):
    q: str = Field("", max_length=1000, description="Search words, Thai or English (Thai is cut into words).")
    category: str = Field("", max_length=100, description="A category slug.")
    province: str = Field("", max_length=2, description="A province code (2 digits).")
    certification: str = Field("", max_length=100, description="A certification slug.")
    price_min: Decimal | None = Field(None, ge=0, le=MAX_PRICE, decimal_places=2, description="Baht.")
    price_max: Decimal | None = Field(None, ge=0, le=MAX_PRICE, decimal_places=2, description="Baht.")
    in_stock: bool = Field(False, description="Only products available now.")
    sort: SortParam | None = Field(None, description="Default: relevance when searching, else newest.")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"At most {MAX_PAGE_SIZE}.")


@router.get("/products", response=ProductPageOut, summary="Search and filter the catalogue")
def list_products(request, params: Query[ProductQuery]):
    """Live products, filtered like the web catalogue. An unknown category, province or
    certification, or a lowest price above the highest, is a validation problem (the web page
    drops such a filter; an integration should hear about it). A page_size above the maximum is
    refused (422), never silently capped; a page past the end is an empty `items`."""
    require_scope(request, "read")
    data = QueryDict(mutable=True)
    for name, value in {
        "q": params.q,
        "category": params.category,
        "province": params.province,
        "certification": params.certification,
        "price_min": "" if params.price_min is None else str(params.price_min),
        "price_max": "" if params.price_max is None else str(params.price_max),
        "in_stock": "on" if params.in_stock else "",
        "sort": params.sort or "",
    }.items():
        data[name] = value
    form = catalogue.CatalogueFilterForm(data)
    if not form.is_valid():
        errors = [
            {"loc": ["query", field if field != "__all__" else "price_min"], "msg": str(message), "type": "invalid"}
            for field, messages in form.errors.items()
            for message in messages
        ]
        raise Problem(422, "validation", "Invalid input", "; ".join(e["msg"] for e in errors), errors=errors)
    filters = form.filters()
    query = filters.get("q", "")
    chosen_sort = filters.get("sort") or catalogue.Sort.NEWEST
    products = catalogue.filter_products(catalogue.live_products(), filters)
    results = None
    if query:
        on_index_fields_only = not filters.keys() & catalogue.FILTERS_NOT_ON_INDEX_FIELDS
        results = catalogue.search_products(
            products, query, sort=chosen_sort, filtered_on_index_fields_only=on_index_fields_only
        )
    if results is None:
        if chosen_sort == catalogue.Sort.RELEVANCE:
            chosen_sort = catalogue.Sort.NEWEST
        results = products.order_by(*catalogue.LISTING_ORDERINGS[chosen_sort]).values_list("pk", flat=True)
    result = paginate(results, params.page, params.page_size)
    ids = [getattr(item, "pk", item) for item in result["items"]]
    result["items"] = _serialise(_load(ids), request)
    return result


@router.get("/products/{product_id}", response=ProductOut, summary="One live product")
def get_product(request, product_id: int):
    require_scope(request, "read")
    if not 1 <= product_id <= MAX_ID:
        raise Problem(404, "not-found", "Not found", "No live product has this id.")
    product = catalogue.live_products().filter(pk=product_id).values_list("pk", flat=True).first()
    if product is None:
        raise Problem(404, "not-found", "Not found", "No live product has this id.")
    return _serialise(_load([product]), request)[0]
