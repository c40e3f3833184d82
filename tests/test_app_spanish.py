"""The app in Spanish, in a real browser (Debian's Chromium), as a Spanish-speaking case manager uses it:
a browser that prefers Spanish gets Spanish, the language stays in the URL through a search, five
filter changes, a detail, a shortlist and its comparison, the printed sheet; switching to English and
back keeps the search and the shortlist; a phone; and two people in two languages at the same time
never see each other's words. "Spanish" here means: no sentence of the English catalog is on the page
(the facilities' own names and addresses aside)."""

from __future__ import annotations

import re
import shutil
import urllib.parse

import pytest

from directory import Query
from directory.core import i18n
from directory.core.taxonomy import Taxonomy

from .browser import IPHONE, idle, needs_chromium, new_page, serve_app, shot, url_params
from .browser import pick as pick_as
from .conftest import REPO, national_directory

pytestmark = needs_chromium

PRINTS = (
    "window.print = function () { (window.top.__printed = window.top.__printed || []).push({"
    "lang: document.documentElement.lang, title: document.title, text: document.body.innerText}); };"
)


def english_fragments() -> list[str]:
    """The English interface: each catalog sentence whose Spanish differs, cut at its placeholders, kept
    where long enough to be an interface sentence rather than a word a facility's name could hold — and
    the English labels of the treatment types, payment, populations and languages."""
    spanish = i18n.translator("es")
    fragments = set()
    for message in i18n.extract():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        translated = spanish.ngettext(ids[0], ids[-1], 5) if len(ids) > 1 else spanish.gettext(ids[0])
        if translated in ids:
            continue
        for text in ids:
            for part in re.split(r"\{[^{}]*\}", text):
                part = part.strip(" .,:;()—")
                if len(part) >= 14 and " " in part:
                    fragments.add(part)
    taxonomy = Taxonomy.load()
    for g in taxonomy.groups.values():
        if len(g.label_en) >= 14 and " " in g.label_en and g.family != "accreditation":
            fragments.add(g.label_en)
    return sorted(fragments)


ENGLISH = english_fragments()


def english_on(page) -> list[str]:
    text = page.locator("body").inner_text()
    labels = " ".join(
        page.eval_on_selector_all(
            "[aria-label], [title], [placeholder]",
            "els => els.map(e => [e.getAttribute('aria-label'), e.getAttribute('title'), "
            "e.getAttribute('placeholder')].filter(Boolean).join(' '))",
        )
    )
    return [f for f in ENGLISH if f in text or f in labels]


def html_lang(page, lang: str) -> bool:
    """The page's <html lang> becomes ``lang`` (a component sets it as it mounts)."""
    page.wait_for_function(f"document.documentElement.lang === '{lang}'", timeout=15_000)
    return True


def lang_in_url(page) -> str:
    return url_params(page).get("lang", [""])[-1]


def pick(page, heading: str, option: str) -> None:
    pick_as(page, heading, option, lang="es")


def unpick(page, option: str) -> None:
    page.get_by_role("button", name=f"Remove {option}", exact=True).click()  # Streamlit's own words
    idle(page)


@pytest.fixture(scope="module")
def server():
    with serve_app() as url:
        yield url


def test_a_spanish_reader_searches_filters_compares_prints_and_switches(browser, server):
    assert len(ENGLISH) > 150
    directory = national_directory()
    page = new_page(browser, server, viewport={"width": 1400, "height": 1900}, locale="es-US")
    page.add_init_script(PRINTS)
    page.goto(server)
    idle(page, "Busque tratamiento para el consumo de sustancias")
    assert html_lang(page, "es") and page.title().startswith("Busque")
    assert lang_in_url(page) == "es"  # a browser's Spanish goes into the links the page makes
    page.get_by_text("988 Línea de Prevención del Suicidio y Crisis").wait_for()  # its HTML element's code loaded
    assert english_on(page) == []
    assert page.get_by_text("988 Línea de Prevención del Suicidio y Crisis").count() == 1
    near = page.get_by_role("textbox", name="¿Dónde está?")
    near.fill("Tampa, FL")
    near.press("Enter")
    idle(page, "Resultados cerca de Tampa, FL")
    # Five changes in a row; after each, Spanish only and the language still in the URL.
    steps = [
        lambda: pick(page, "Tipo de tratamiento", "Desintoxicación"),
        lambda: pick(page, "Medicamentos", "Buprenorfina"),
        lambda: pick(page, "Pago", "Medicaid"),
        lambda: unpick(page, "Buprenorfina"),
        lambda: pick(page, "Idioma del tratamiento", "Español"),
    ]
    for step in steps:
        step()
        assert lang_in_url(page) == "es" and english_on(page) == [], english_on(page)
    params = url_params(page)
    assert params["service"] == ["detox"] and params["payment"] == ["medicaid"] and params["language"] == ["spanish"]
    query = Query(near="Tampa, FL", services=("detox",), payments=("medicaid",), languages=("spanish",))
    result = directory.search(query)
    with i18n.using("es"):
        sentence = result.describe()
    assert page.get_by_text(sentence).count() == 1
    # Back to a wider search, then a detail from the text list.
    unpick(page, "Medicaid")
    unpick(page, "Español")
    result = directory.search(Query(near="Tampa, FL", services=("detox",)))
    page.get_by_text("Mostrar los resultados como lista de texto").click()
    idle(page)
    page.locator(f".st-key-details-{result.ids[0]} button").click()
    idle(page, "Reportar un problema con este centro")
    assert f"facility={result.ids[0]}" in page.url and english_on(page) == []
    page.get_by_text("Todos los servicios, por categoría").click()
    idle(page, "Qué significan estos servicios")
    assert english_on(page) == []
    shutil.copyfile(shot(page, "spanish-detail", full_page=False), REPO / "docs" / "screenshot-es.png")
    # A shortlist of three, then side by side.
    for n in range(3):
        page.locator(f".st-key-shortlist-row-{result.ids[n]} button").click()
        idle(page, f"Su lista: {n + 1} centro")
    page.get_by_role("button", name="Comparar lado a lado y entregar").click()
    idle(page, "Su lista, lado a lado: 3 centros")
    assert url_params(page)["view"] == ["compare"] and lang_in_url(page) == "es"
    assert english_on(page) == []
    shot(page, "spanish-compare", full_page=False)
    page.get_by_role("button", name="Imprimir la hoja").click()
    idle(page)
    page.wait_for_function("window.__printed && window.__printed.length > 0", timeout=10_000)
    (printed,) = page.evaluate("window.__printed")
    assert printed["lang"] == "es" and printed["title"] == "Opciones de tratamiento"
    assert "Llame antes de ir" in printed["text"] and not [f for f in ENGLISH if f in printed["text"]]
    sms = page.locator('a[href^="sms:"]').first.get_attribute("href")
    body = urllib.parse.unquote(sms.removeprefix("sms:?&body="))
    assert body.startswith("Opciones de tratamiento,") and "lang%3Des" in sms  # the link in it keeps Spanish
    # To English and back: the shortlist and the search stay.
    shortlist = url_params(page)["shortlist"]
    page.get_by_text("English", exact=True).click()
    idle(page, "Your shortlist side by side: 3 facilities")
    assert html_lang(page, "en")
    assert lang_in_url(page) == "en" and url_params(page)["shortlist"] == shortlist  # English, asked for
    page.get_by_role("button", name="← Back to the results").click()
    idle(page, "Showing results near Tampa, FL")
    assert url_params(page)["service"] == ["detox"] and page.get_by_text("Your shortlist: 3 facilities").count() == 1
    page.get_by_text("Español", exact=True).click()
    idle(page, "Resultados cerca de Tampa, FL")
    assert lang_in_url(page) == "es" and url_params(page)["shortlist"] == shortlist
    assert page.get_by_text("Su lista: 3 centros").count() == 1 and english_on(page) == []
    # Every choice survived both switches: a change now keeps the others (the browser sends them back).
    pick(page, "Pago", "Medicaid")
    params = url_params(page)
    assert params["service"] == ["detox"] and params["payment"] == ["medicaid"] and params["shortlist"] == shortlist
    assert "match" not in params and "listed_since" not in params and english_on(page) == []
    assert page.outside_requests == []
    page.context.close()


def test_a_spanish_link_on_a_phone(browser, server):
    """A link with lang=es opens in Spanish on a phone whose browser prefers English; the detail opens
    in one tap, all of it in Spanish, with no sideways scrolling."""
    result = national_directory().search(Query(near="Miami, FL", services=("detox",)))
    page = new_page(
        browser,
        server,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        user_agent=IPHONE,
        locale="en-US",
    )
    page.goto(f"{server}/?near=Miami%2C+FL&service=detox&lang=es")
    idle(page, "Resultados cerca de Miami, FL")
    assert english_on(page) == []
    details = page.locator(f".st-key-details-{result.ids[0]} button")
    details.scroll_into_view_if_needed()
    details.tap()
    idle(page, "Reportar un problema con este centro")
    assert english_on(page) == [] and lang_in_url(page) == "es"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "spanish-phone", full_page=False)
    page.context.close()


def test_two_people_in_two_languages_at_once(browser, server):
    """Two sessions at the same time, one in Spanish and one in English, each change things in turn:
    each page stays in its own language (the translator is the session's, never the process's)."""
    spanish = new_page(browser, server, viewport={"width": 1300, "height": 1400}, locale="es-US")
    english = new_page(browser, server, viewport={"width": 1300, "height": 1400}, locale="en-US")
    spanish.goto(server)
    english.goto(server)
    idle(spanish, "Busque tratamiento")
    idle(english, "Find substance-use treatment")
    for page, box in ((spanish, "¿Dónde está?"), (english, "Where are you?")):
        near = page.get_by_role("textbox", name=box)
        near.fill("Boston, MA")
        near.press("Enter")
    idle(spanish, "Resultados cerca de Boston, MA")
    idle(english, "Showing results near Boston, MA")
    spanish.locator('[data-testid="stMultiSelect"]').filter(has_text="Tipo de tratamiento").locator("input").click()
    english.locator('[data-testid="stMultiSelect"]').filter(has_text="Treatment type").locator("input").click()
    spanish.get_by_role("option", name="Ambulatorio", exact=True).click()
    english.get_by_role("option", name="Outpatient", exact=True).click()
    spanish.keyboard.press("Escape")
    english.keyboard.press("Escape")
    idle(spanish)
    idle(english)
    assert english_on(spanish) == []
    assert english.get_by_text("Outpatient within 25 miles of Boston, MA").count() == 1
    assert english.get_by_text("Resultados cerca").count() == 0 and english.get_by_text("centros").count() == 0
    assert html_lang(spanish, "es") and html_lang(english, "en")
    spanish.context.close()
    english.context.close()
