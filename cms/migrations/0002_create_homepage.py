from django.db import migrations

HOME_TITLE = "ตลาดชุมชนพ้นจน"
HOME_TITLE_EN = "Community Offtake Marketplace"
HOME_INTRO = (
    "<p>ผลิตภัณฑ์จากกลุ่มวิสาหกิจชุมชนและครัวเรือนเป้าหมาย ซื้อตรงจากผู้ผลิต "
    "ทุกการสั่งซื้อช่วยให้ครัวเรือนมีรายได้และก้าวพ้นเส้นความยากจน</p>"
)
HOME_INTRO_EN = (
    "<p>Goods from community enterprises and target poor households, bought directly from the "
    "people who make them. Every order helps a household earn its way above the poverty line.</p>"
)


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("cms.HomePage")

    # Wagtail's own migrations create a placeholder welcome page at depth 2; replace it.
    Page.objects.filter(depth=2, content_type__app_label="wagtailcore", content_type__model="page").delete()

    homepage_content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
    locale = Locale.objects.order_by("pk").first()
    root = Page.objects.get(depth=1)
    homepage = HomePage.objects.create(
        title=HOME_TITLE,
        title_en=HOME_TITLE_EN,
        intro=HOME_INTRO,
        intro_en=HOME_INTRO_EN,
        draft_title=HOME_TITLE,
        slug="home",
        content_type=homepage_content_type,
        path=f"{root.path}0001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        live=True,
    )
    root.numchild = Page.objects.filter(depth=2, path__startswith=root.path).count()
    root.save(update_fields=["numchild"])
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": homepage, "site_name": HOME_TITLE},
    )


def remove_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    HomePage = apps.get_model("cms.HomePage")
    HomePage.objects.filter(slug="home", depth=2).delete()
    ContentType.objects.filter(model="homepage", app_label="cms").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
