"""GET /products and /products/{id}: the catalogue's filters and Thai search, paged."""

from decimal import Decimal

import pytest

from tests.api.conftest import assert_problem
from tests.factories.catalogue import CategoryFactory, CertificationFactory, make_group_page, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    group_page = make_group_page()
    organic = CertificationFactory(slug="organic-th", name="เกษตรอินทรีย์", name_en="Organic Thailand")
    silk = make_product(
        group_page,
        title="ผ้าไหมแพรวาย้อมคราม",
        title_en="Indigo-dyed Phrae Wa silk",
        price=Decimal("1200.00"),
        category=CategoryFactory(slug="textiles", name="ผ้า", name_en="Textiles"),
    )
    rice = make_product(
        group_page,
        title="ข้าวหอมมะลิอินทรีย์",
        title_en="Organic jasmine rice",
        price=Decimal("60.00"),
        certifications=[organic],
    )
    bag = make_product(group_page, title="กระเป๋าสาน", title_en="Woven bag", available_quantity=Decimal("0"))
    return {"silk": silk, "rice": rice, "bag": bag, "group_page": group_page}


def names(response) -> list[str]:
    return [item["name_en"] for item in response.json()["items"]]


def test_the_list_is_json_with_the_products_and_a_count(api_client, shelf):
    response = api_client.get("products")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["count"] == 3 and body["page"] == 1 and body["page_size"] == 20 and body["next_page"] is None
    rice = next(item for item in body["items"] if item["sku"] == shelf["rice"].sku)
    assert rice["id"] == shelf["rice"].pk
    assert rice["name_th"] == "ข้าวหอมมะลิอินทรีย์"
    assert Decimal(rice["price"]) == Decimal("60.00")
    assert rice["in_stock"] is True
    assert rice["certifications"] == [{"slug": "organic-th", "name_th": "เกษตรอินทรีย์", "name_en": "Organic Thailand"}]
    group = shelf["group_page"].group
    assert rice["producer_group"]["id"] == group.pk and rice["producer_group"]["province_code"] == group.province_code
    assert rice["url"].startswith("http")


def test_thai_search_finds_a_word_inside_a_compound_name(api_client, shelf):
    assert names(api_client.get("products", {"q": "ผ้าไหม"})) == ["Indigo-dyed Phrae Wa silk"]
    assert names(api_client.get("products", {"q": "หอมมะลิ"})) == ["Organic jasmine rice"]
    assert names(api_client.get("products", {"q": "jasmine"})) == ["Organic jasmine rice"]


def test_the_catalogue_filters_apply(api_client, shelf):
    assert names(api_client.get("products", {"category": "textiles"})) == ["Indigo-dyed Phrae Wa silk"]
    assert names(api_client.get("products", {"certification": "organic-th"})) == ["Organic jasmine rice"]
    assert names(api_client.get("products", {"price_max": "100", "in_stock": "true"})) == ["Organic jasmine rice"]
    assert names(api_client.get("products", {"price_min": "1000"})) == ["Indigo-dyed Phrae Wa silk"]
    assert "Woven bag" not in names(api_client.get("products", {"in_stock": "true"}))
    province = shelf["group_page"].group.province_code
    assert len(names(api_client.get("products", {"province": province}))) == 3
    assert names(api_client.get("products", {"sort": "price"}))[0] == "Organic jasmine rice"


def test_an_unknown_category_is_not_found_and_an_inverted_price_range_matches_nothing(api_client, shelf):
    body = assert_problem(api_client.get("products", {"category": "no-such-category"}), 404, "not-found")
    assert body["errors"][0]["loc"] == ["query", "category"]
    inverted = api_client.get("products", {"price_min": "10", "price_max": "5"})
    assert inverted.status_code == 200 and inverted.json()["items"] == []


def test_pages_are_limited_to_100_and_a_page_past_the_end_is_empty(api_client, shelf):
    first = api_client.get("products", {"page_size": 2}).json()
    assert len(first["items"]) == 2 and first["next_page"] == 2 and first["count"] == 3
    second = api_client.get("products", {"page_size": 2, "page": 2}).json()
    assert len(second["items"]) == 1 and second["next_page"] is None
    beyond = api_client.get("products", {"page_size": 2, "page": 50})
    assert beyond.status_code == 200 and beyond.json()["items"] == [] and beyond.json()["count"] == 3

    assert api_client.get("products", {"page_size": 100}).status_code == 200
    body = assert_problem(api_client.get("products", {"page_size": 101}), 422, "validation")
    assert body["errors"][0]["loc"] == ["query", "page_size"]
    assert_problem(api_client.get("products", {"page": 0}), 422, "validation")
    assert_problem(api_client.get("products", {"page": -3}), 422, "validation")


def test_one_product(api_client, shelf):
    response = api_client.get(f"products/{shelf['silk'].pk}")

    assert response.status_code == 200
    assert response.json()["sku"] == shelf["silk"].sku
    assert response.json()["category"]["slug"] == "textiles"


def test_an_unpublished_or_unknown_product_is_not_found(api_client, shelf):
    shelf["bag"].unpublish()

    assert_problem(api_client.get(f"products/{shelf['bag'].pk}"), 404, "not-found")
    assert_problem(api_client.get("products/987654"), 404, "not-found")
    assert shelf["bag"].pk not in [item["id"] for item in api_client.get("products").json()["items"]]


def test_products_need_a_key(anonymous_client, shelf):
    assert_problem(anonymous_client.get("products"), 401, "unauthorized")
    assert_problem(anonymous_client.get(f"products/{shelf['rice'].pk}"), 401, "unauthorized")
