"""SQLite only: rebuild Wagtail's full-text table so that Thai words stay whole.

FTS5's default tokenizer (unicode61) keeps only letters and numbers in a token; Thai vowel and
tone marks are combining marks (Unicode category M), so it cut "ผ้าไหม" into "ผ" and "าไหม" and
ignored the tone: "ข้าว" (rice) matched "ข่าว" (news). Counting marks as token characters keeps
the words PyThaiNLP cut (cms.thai_search) intact. PostgreSQL's parser keeps Thai words whole
already; there this does nothing.
"""

from django.db import migrations

TOKENIZER = "unicode61 categories 'L* N* Co M*'"


def fts_table(apps) -> str:
    return apps.get_model("wagtailsearch", "IndexEntry")._meta.db_table + "_fts"


def exists(schema_editor, table: str) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        return cursor.fetchone() is not None


def rebuild(apps, schema_editor, tokenizer: str | None):
    if schema_editor.connection.vendor != "sqlite":
        return
    table = fts_table(apps)
    if not exists(schema_editor, table):  # SQLite without FTS5: Wagtail searches without it
        return
    source = apps.get_model("wagtailsearch", "IndexEntry")._meta.db_table
    options = f', tokenize="{tokenizer}"' if tokenizer else ""
    schema_editor.execute(f"DROP TABLE {table}")
    schema_editor.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(autocomplete, body, title{options})")
    # Wagtail's triggers on the index table keep the new table up to date from here on.
    schema_editor.execute(
        f"INSERT INTO {table}(rowid, title, body, autocomplete) SELECT id, title, body, autocomplete FROM {source}"  # noqa: S608
    )


def forwards(apps, schema_editor):
    rebuild(apps, schema_editor, TOKENIZER)


def backwards(apps, schema_editor):
    rebuild(apps, schema_editor, None)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0004_create_index_pages"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
