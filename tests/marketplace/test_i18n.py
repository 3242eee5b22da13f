"""Thai first: the catalogue is complete and compiled, and the site speaks Thai unless asked not to."""

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings

from marketplace.models import User

PO_FILE = Path(settings.BASE_DIR) / "locale" / "th" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: {"msgctxt", "msgid", "msgid_plural", "msgstr": [..], "flags"}."""
    entries, entry, key = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, key = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, tuple):
                entry["msgstr"][key[1]] += value
            else:
                entry[key] += value
        else:
            keyword, _, value = line.partition(" ")
            value = ast.literal_eval(value)
            if keyword.startswith("msgstr["):
                key = ("msgstr", int(keyword[7:-1]))
                entry["msgstr"][key[1]] = value
            elif keyword == "msgstr":
                key = ("msgstr", 0)
                entry["msgstr"][0] = value
            else:
                key = keyword
                entry[key] = value
    finish()
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


def test_thai_catalogue_has_no_untranslated_or_fuzzy_messages():
    entries = read_po(PO_FILE)
    assert len(entries) > 50
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_source():
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in read_po(PO_FILE):
        msgid = entry["msgid"]
        if "msgctxt" in entry:
            translated = compiled.pgettext(entry["msgctxt"], msgid)
        elif "msgid_plural" in entry:
            translated = compiled.ngettext(msgid, entry["msgid_plural"], 1)
        else:
            translated = compiled.gettext(msgid)
        if translated != entry["msgstr"][0]:
            stale.append(msgid)
    assert stale == [], "run `make messages` to recompile the Thai catalogue"


@pytest.mark.django_db
def test_home_page_is_thai_even_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "th"
    html = response.content.decode()
    assert '<html lang="th">' in html
    assert "ตลาดชุมชนพ้นจน" in html
    assert "เข้าสู่ระบบ" in html


@pytest.mark.django_db
def test_switching_to_english_sticks(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Community Offtake Marketplace" in html
    assert "Sign in" in html


@pytest.mark.django_db
def test_a_signed_in_users_choice_is_saved_and_used_next_time(client, user, password):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "en"
    # A new browser (no cookie): the saved preference applies once signed in.
    client.cookies.clear()
    client.force_login(user)
    assert client.get("/")["Content-Language"] == "en"


@pytest.mark.django_db
def test_an_unknown_language_is_ignored(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert User.objects.get(pk=user.pk).preferred_language == "th"
    assert client.get("/")["Content-Language"] == "th"
