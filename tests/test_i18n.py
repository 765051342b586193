"""English, Persian and Arabic: the switcher, the page direction, and complete, compiled catalogs."""

import ast
import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import AgentFactory

LOCALES = ("fa", "ar")


def _catalog_path(language: str, suffix: str) -> Path:
    return Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / f"django.{suffix}"


def _po_entries(path: Path) -> list[dict]:
    """Parse a .po file into entries: msgid, msgstr (or msgstr[n]), flags, obsolete.

    Small on purpose: the standard library has no .po reader, and the project wants no polib.
    """
    entries: list[dict] = []
    entry: dict = {}
    field = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith('"'):
            entry[field] += ast.literal_eval(line)
            continue
        # Anything but a further msgstr after a msgstr starts the next entry.
        if any(key.startswith("msgstr") for key in entry) and not line.startswith("msgstr"):
            entries.append(entry)
            entry = {}
        if line.startswith("#~"):
            entry.setdefault("msgid", line)
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry.setdefault("flags", set()).update(flag.strip() for flag in line[2:].split(","))
        elif not line.startswith("#"):
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    if entry:
        entries.append(entry)
    return entries


# --- Catalogs -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LOCALES)
def test_every_catalog_entry_is_translated_and_none_is_fuzzy(language):
    entries = _po_entries(_catalog_path(language, "po"))
    messages = [e for e in entries if e["msgid"]]

    assert len(messages) > 100
    untranslated = [e["msgid"] for e in messages if any(not e[k] for k in e if k.startswith("msgstr"))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]
    obsolete = [e["msgid"] for e in entries if e.get("obsolete")]
    assert untranslated == []
    assert fuzzy == []
    assert obsolete == []


@pytest.mark.parametrize("language", LOCALES)
def test_the_placeholders_of_each_translation_match_its_source(language):
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for entry in _po_entries(_catalog_path(language, "po")):
        if not entry["msgid"]:
            continue
        if "msgid_plural" not in entry:
            assert sorted(placeholder.findall(entry["msgstr"])) == sorted(placeholder.findall(entry["msgid"])), entry
            continue
        # Plural forms: each form uses the placeholders of the singular or the plural source.
        source = set(placeholder.findall(entry["msgid"])) | set(placeholder.findall(entry["msgid_plural"]))
        for key in (key for key in entry if key.startswith("msgstr")):
            assert set(placeholder.findall(entry[key])) <= source, entry


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (GNU gettext) is not installed")
@pytest.mark.parametrize("language", LOCALES)
def test_the_committed_mo_file_matches_its_po_file(language, tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(  # noqa: S603 - a fixed command on the project's own file
        ["msgfmt", "--check-format", "-o", str(fresh), str(_catalog_path(language, "po"))],  # noqa: S607
        check=True,
    )

    with fresh.open("rb") as new, _catalog_path(language, "mo").open("rb") as committed:
        # Compare what the catalogs say, not their bytes, which differ between gettext versions.
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(new)._catalog, (
            "Run `make messages` (compilemessages) and commit the .mo files."
        )


# --- Pages --------------------------------------------------------------------------------


@pytest.fixture
def agent_client(client, db):
    client.force_login(AgentFactory())
    return client


def _choose(client, language: str, next_url: str):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_english_pages_are_left_to_right(agent_client):
    page = agent_client.get(reverse("tickets:list")).text

    assert '<html lang="en" dir="ltr">' in page
    assert ">Tickets</a>" in page


def test_choosing_persian_keeps_the_page_and_turns_it_right_to_left(agent_client):
    list_url = reverse("tickets:list") + "?status=all"

    response = _choose(agent_client, "fa", list_url)
    assert response.status_code == 302
    assert response.url == list_url

    page = agent_client.get(list_url).text
    assert '<html lang="fa" dir="rtl">' in page
    assert "تیکت\u200cها" in page
    assert "خروج" in page  # "Log out"
    assert "جدید" in page  # the "New" status


def test_choosing_arabic_turns_the_page_right_to_left(agent_client):
    _choose(agent_client, "ar", reverse("tickets:list"))

    page = agent_client.get(reverse("tickets:list")).text

    assert '<html lang="ar" dir="rtl">' in page
    assert "التذاكر" in page  # "Tickets"
    assert "تسجيل الخروج" in page  # "Log out"


def test_the_login_page_follows_the_chosen_language_too(client, db):
    _choose(client, "fa", reverse("login"))

    page = client.get(reverse("login")).text

    assert 'dir="rtl"' in page
    assert "ورود" in page  # "Log in"


def test_every_page_offers_the_three_languages(client, db):
    page = client.get(reverse("login")).text

    for code in ("en", "fa", "ar"):
        assert f'name="language" value="{code}"' in page
    assert "فارسی" in page and "English" in page
