from django.db import migrations

# slug, model, Thai title, English title
INDEXES = [
    ("products", "catalogueindexpage", "สินค้าชุมชน", "Products"),
    ("producers", "producersindexpage", "กลุ่มผู้ผลิต", "Producer groups"),
    ("stories", "storiesindexpage", "เรื่องราวและข่าวสาร", "Stories and news"),
]


def create_indexes(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    home = HomePage.objects.filter(depth=2).first()
    if home is None:
        return
    for slug, model_name, title, title_en in INDEXES:
        if Page.objects.filter(depth=3, path__startswith=home.path, slug=slug).exists():
            continue
        model = apps.get_model("cms", model_name)
        content_type, _ = ContentType.objects.get_or_create(app_label="cms", model=model_name)
        last_child = Page.objects.filter(depth=3, path__startswith=home.path).order_by("-path").first()
        position = int(last_child.path[-4:], 36) + 1 if last_child else 1
        path = home.path + _base36(position).rjust(4, "0")
        model.objects.create(
            title=title,
            title_en=title_en,
            draft_title=title,
            slug=slug,
            content_type=content_type,
            path=path,
            depth=3,
            numchild=0,
            url_path=f"{home.url_path}{slug}/",
            locale_id=home.locale_id,
            live=True,
        )
    Page.objects.filter(pk=home.pk).update(numchild=Page.objects.filter(depth=3, path__startswith=home.path).count())


def _base36(number: int) -> str:
    # treebeard's MP_Node uses 0-9A-Z steps of 4 characters.
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


class Migration(migrations.Migration):
    dependencies = [("cms", "0003_catalogue")]

    operations = [migrations.RunPython(create_indexes, migrations.RunPython.noop)]
