"""GET /products and /products/{id}: the public catalogue, for procurement systems.

Filtering, Thai-aware search and ordering are the catalogue's own (cms.catalogue: filter_products,
search_products and the listing orderings); the query's shape is checked here, by its schema alone,
so that what the OpenAPI document allows is exactly what is accepted.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Field, Query, Router
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from wagtail.models import Page as WagtailPage

from cms import catalogue
from cms.models import Category, Certification, ProducerGroupPage, ProductPage
from marketplace import areas

from .base import PageQuery, Problem, ProblemSchema, not_found, paginate, require_scope
from .schemas import ProductOut, Text
from .schemas import ProductPage as ProductPageOut

router = Router(tags=["products"])

MAX_ID = 2**31 - 1
SortParam = Literal["", "newest", "price", "-price", "relevance"]
# Every Thai province code (not only those with groups now: a province without one has no products).
ProvinceParam = Literal["", *sorted(code for code, _name in areas.province_choices())]
SLUG_PATTERN = r"^[-a-zA-Z0-9_]*$"
# Baht with at most 2 decimals and 10 digits before the point (cms.models.ProductPage.price);
# empty means no bound.
PRICE_PATTERN = r"^((0|[1-9]\d{0,9})(\.\d{1,2})?)?$"


def _price(value: Any) -> Decimal | None:
    if isinstance(value, str) and re.match(PRICE_PATTERN, value):
        return Decimal(value) if value else None
    raise PydanticCustomError("price", "a price is baht with at most 2 decimals, like 120.50")


PriceParam = Annotated[
    Decimal | None,
    BeforeValidator(_price),
    WithJsonSchema({"type": "string", "pattern": PRICE_PATTERN, "example": "120.50"}),
]


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


class ProductQuery(PageQuery):
    q: Text = Field("", max_length=1000, description="Search words, Thai or English (Thai is cut into words).")
    category: str = Field("", max_length=100, pattern=SLUG_PATTERN, description="A category slug.")
    province: ProvinceParam = Field("", description="A province code (2 digits).")
    certification: str = Field("", max_length=100, pattern=SLUG_PATTERN, description="A certification slug.")
    price_min: PriceParam = Field(None, description="Baht, at least.")
    price_max: PriceParam = Field(None, description="Baht, at most (a highest price below the lowest matches nothing).")
    in_stock: bool = Field(False, description="Only products available now.")
    sort: SortParam = Field("", description="Default: relevance when searching, else newest.")


def _unknown(name: str, message: str) -> Problem:
    problem = not_found(message)
    problem.extra["errors"] = [{"loc": ["query", name], "msg": message, "type": "not_found"}]
    return problem


def _filters(params: ProductQuery) -> dict:
    """The catalogue's filters for cms.catalogue.filter_products. A category or certification
    that does not exist is a not-found problem (the web page drops such a filter; an integration
    should hear about it)."""
    if params.category and not Category.objects.filter(slug=params.category).exists():
        raise _unknown("category", _("No category has the slug %(slug)s.") % {"slug": params.category})
    if params.certification and not Certification.objects.filter(slug=params.certification).exists():
        raise _unknown("certification", _("No certification has the slug %(slug)s.") % {"slug": params.certification})
    filters = {
        "q": params.q,
        "category": params.category,
        "province": params.province,
        "certification": params.certification,
        "price_min": params.price_min,
        "price_max": params.price_max,
        "in_stock": params.in_stock,
        "sort": params.sort or (catalogue.Sort.RELEVANCE if catalogue.search_terms(params.q) else ""),
    }
    return {name: value for name, value in filters.items() if value not in (None, "", False)}


@router.get("/products", response={200: ProductPageOut, 404: ProblemSchema}, summary="Search and filter the catalogue")
def list_products(request, params: Query[ProductQuery]):
    """Live products, filtered like the web catalogue. An unknown category or certification is a
    not-found problem; a province without producer groups, or a price range whose highest price
    is below its lowest, matches nothing. A page_size above the maximum is refused (422), never
    silently capped; a page past the end is an empty `items`."""
    require_scope(request, "read")
    filters = _filters(params)
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
    product = None
    if 1 <= product_id <= MAX_ID:
        product = catalogue.live_products().filter(pk=product_id).values_list("pk", flat=True).first()
    if product is None:
        raise not_found(_("No live product has this id."))
    return _serialise(_load([product]), request)[0]
