"""Thai-aware product search at /search/, on whichever database runs the suite (SQLite FTS5 or
PostgreSQL full-text search): run it on both."""

import re

import pytest
from django.db import connection
from django.utils import translation
from wagtail.models import PageViewRestriction

from cms.catalogue import search_terms
from tests.factories.catalogue import make_group_page, make_product

pytestmark = pytest.mark.django_db

URL = "/search/"


def found(client, query: str) -> list[str]:
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    return re.findall(r'class="product-card__title"><a href="[^"]*">([^<]*)</a>', response.content.decode())


@pytest.fixture
def shelf():
    """A group's products, as the index has them after publishing (the signal handlers)."""
    group_page = make_group_page()
    make_product(
        group_page,
        title="ผ้าไหมแพรวาย้อมคราม",
        title_en="Indigo-dyed Phrae Wa silk",
        description="<p>ทอมือด้วยไหมไทยพื้นบ้าน ย้อมครามธรรมชาติ</p>",
    )
    make_product(
        group_page,
        title="ข้าวหอมมะลิอินทรีย์",
        title_en="Organic jasmine rice",
        description="<p>ปลูกแบบอินทรีย์ในทุ่งกุลาร้องไห้</p>",
    )
    make_product(
        group_page,
        title="กระเป๋าสาน",
        title_en="Woven bag",
        description="<p>กระเป๋าสานจากต้นกก บุด้านในด้วยผ้าไหม</p>",
    )
    make_product(group_page, title="ข่าวสารชุมชน", title_en="Community newsletter", description="<p>กระดาษ</p>")
    return group_page


def test_a_word_inside_a_thai_compound_name_finds_the_product(client, shelf):
    assert "ผ้าไหมแพรวาย้อมคราม" in found(client, "ผ้าไหม")


def test_a_thai_compound_finds_the_name_that_contains_it(client, shelf):
    assert found(client, "หอมมะลิ") == ["ข้าวหอมมะลิอินทรีย์"]


def test_english_names_are_searched(client, shelf):
    assert found(client, "jasmine") == ["ข้าวหอมมะลิอินทรีย์"]
    assert found(client, "Jasmine RICE") == ["ข้าวหอมมะลิอินทรีย์"]


def test_a_match_in_the_name_ranks_above_one_in_the_description(client, shelf):
    # The bag only mentions silk (ผ้าไหม) in its description.
    assert found(client, "ผ้าไหม") == ["ผ้าไหมแพรวาย้อมคราม", "กระเป๋าสาน"]


def test_products_with_more_of_the_words_in_their_name_come_first(client):
    group_page = make_group_page()
    make_product(group_page, title="ผ้าพันคอ", description="<p>ผ้าไหมย้อมคราม</p>")
    make_product(group_page, title="ผ้าไหมมัดหมี่", description="<p>ย้อมคราม</p>")
    make_product(group_page, title="ผ้าไหมย้อมคราม", description="<p>ทอมือ</p>")

    assert found(client, "ผ้าไหม คราม") == ["ผ้าไหมย้อมคราม", "ผ้าไหมมัดหมี่", "ผ้าพันคอ"]


def test_every_word_must_match(client, shelf):
    assert found(client, "ผ้าไหม คราม") == ["ผ้าไหมแพรวาย้อมคราม"]
    assert found(client, "ผ้าไหม มะลิ") == []


def test_tone_marks_tell_words_apart(client, shelf):
    # ข้าว (rice) and ข่าว (news) differ only in the tone mark.
    assert found(client, "ข้าว") == ["ข้าวหอมมะลิอินทรีย์"]
    assert found(client, "ข่าว") == ["ข่าวสารชุมชน"]


def test_only_live_products_are_found(client, shelf):
    draft = make_product(shelf, title="ผ้าไหมมัดหมี่", publish=False, live=False)
    withdrawn = make_product(shelf, title="ผ้าไหมลายลูกแก้ว")
    withdrawn.unpublish()

    results = found(client, "ผ้าไหม")

    assert draft.title not in results
    assert withdrawn.title not in results


def test_products_behind_a_view_restriction_are_not_found(client, shelf):
    private_group = make_group_page(title="กลุ่มทอผ้าเฉพาะสมาชิก")
    make_product(private_group, title="ผ้าไหมลายขอ")
    PageViewRestriction.objects.create(page=private_group, restriction_type=PageViewRestriction.LOGIN)

    results = found(client, "ผ้าไหม")

    assert "ผ้าไหมแพรวาย้อมคราม" in results
    assert "ผ้าไหมลายขอ" not in results


def test_a_product_is_found_as_soon_as_it_is_published_and_by_its_new_name(client, shelf):
    product = make_product(shelf, title="น้ำพริกปลาร้า")
    assert found(client, "ปลาร้า") == ["น้ำพริกปลาร้า"]

    product.title = "น้ำพริกตาแดง"
    product.save_revision().publish()

    assert found(client, "ปลาร้า") == []
    assert found(client, "น้ำพริก") == ["น้ำพริกตาแดง"]


def test_an_empty_query_asks_for_words_and_lists_nothing(client, shelf):
    response = client.get(URL)

    assert response.status_code == 200
    with translation.override("th"):
        prompt = translation.gettext(
            "Type what you are looking for. Thai words are found inside longer names: "
            "“ผ้าไหม” finds “ผ้าไหมแพรวาย้อมคราม”."
        )
    assert prompt in response.content.decode()
    assert found(client, "   ") == []


@pytest.mark.parametrize(
    "query", ['"', "'", 'ผ้าไหม" OR 1=1 --', "(ไหม", "*", "a:b", "!!!", "ไหม & | !", "\\", "NEAR(a b)", "x" * 500]
)
def test_punctuation_and_operators_in_a_query_are_harmless(client, shelf, query):
    assert client.get(URL, {"q": query}).status_code == 200


def test_results_link_to_the_catalogue_filters(client, shelf):
    html = client.get(URL, {"q": "ผ้าไหม"}).content.decode()

    assert 'href="/products/?q=%E0%B8%9C%E0%B9%89%E0%B8%B2%E0%B9%84%E0%B8%AB%E0%B8%A1"' in html


def test_query_words_are_cut_like_the_index():
    assert search_terms("ผ้าไหม แพรวา") == ["ผ้าไหม", "แพร", "วา"]
    assert search_terms("Jasmine-rice (organic)") == ["jasmine", "rice", "organic"]
    assert search_terms("") == []


def test_the_database_keeps_thai_words_whole():
    """What the suite's search tests rely on, stated for each database engine."""
    if connection.vendor == "postgresql":
        from django.conf import settings

        config = settings.WAGTAILSEARCH_BACKENDS["default"]["SEARCH_CONFIG"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s))", [config, "ผ้าไหม ข้าว ข่าว"])
            lexemes = cursor.fetchone()[0]
        assert sorted(lexemes) == sorted(["ผ้าไหม", "ข้าว", "ข่าว"])
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'wagtailsearch_indexentry_fts'")
            (create_table,) = cursor.fetchone()
        assert "categories 'L* N* Co M*'" in create_table
