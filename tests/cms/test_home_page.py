import pytest
from wagtail.models import Site

from cms.models import HomePage

pytestmark = pytest.mark.django_db


def test_the_migration_makes_the_home_page_the_site_root():
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    assert isinstance(home, HomePage)
    assert home.live
    assert home.title == "ตลาดชุมชนพ้นจน"
    assert home.title_en == "Community Offtake Marketplace"


def test_home_page_renders_in_thai_and_english(client):
    html = client.get("/").content.decode()
    assert "ทุกการสั่งซื้อช่วยให้ครัวเรือนมีรายได้" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Every order helps a household earn its way above the poverty line." in html


def test_english_falls_back_to_thai_when_no_translation_is_written(client):
    home = HomePage.objects.get()
    home.intro_en = ""
    home.save_revision().publish()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "ทุกการสั่งซื้อช่วยให้ครัวเรือนมีรายได้" in client.get("/").content.decode()


def test_home_page_only_sits_at_the_root():
    assert HomePage.parent_page_types == ["wagtailcore.Page"]
    assert HomePage.max_count == 1


def test_static_files_are_served_locally(client):
    html = client.get("/").content.decode()
    assert "/static/marketplace/css/site.css" in html
    assert "https://" not in html.split("<body")[0]  # nothing fetched from a CDN
