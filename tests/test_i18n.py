"""Interface languages: every string the code asks to translate is in every language's catalog,
translated, with the same placeholders; the vocabulary has every label the shipped data shows; two
people in two languages at once never see each other's words; the API and the CLI change words only,
never codes or field names; HSDS stays the code book's English."""

from __future__ import annotations

import ast
import csv
import re
import threading

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner
from fastapi.testclient import TestClient

from directory import Query, hsds, view
from directory.cli import cli
from directory.core import i18n
from directory.core.filters import by_param
from directory.core.i18n import LANGUAGES, _, ngettext, using
from directory.core.taxonomy import VOCABULARY_COLUMNS, VOCABULARY_KINDS, vocabulary
from directory.http.api import create_app
from directory.pipeline.manifest import read_manifest

from .conftest import REPO, national_directory

NATIONAL = national_directory()
OTHERS = [code for code in LANGUAGES if code != i18n.DEFAULT]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def catalog(lang: str):
    with i18n.catalog_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=i18n.DOMAIN)


def key(message) -> tuple:
    return (message.context, message.id if isinstance(message.id, str) else tuple(message.id))


@pytest.mark.parametrize("lang", OTHERS)
def test_every_string_in_the_code_is_translated_with_the_same_placeholders(lang):
    template = {key(m): m for m in i18n.extract() if m.id}
    found = {key(m): m for m in catalog(lang) if m.id}
    assert len(template) > 250
    assert sorted(set(template) - set(found), key=str) == []  # missing: `make messages`, then translate
    assert sorted(set(found) - set(template), key=str) == []  # obsolete: `make messages` drops them
    for k, message in found.items():
        assert not message.fuzzy, k
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert forms and all(f.strip() for f in forms), k
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = {tuple(sorted(set(PLACEHOLDER.findall(i)))) for i in ids}
        for form in forms:
            assert tuple(sorted(set(PLACEHOLDER.findall(form)))) in wanted, (k, form)


@pytest.mark.parametrize("lang", OTHERS)
def test_a_broken_placeholder_would_fail(lang, tmp_path):
    """The check above can fail: a translation that drops {n} is caught."""
    message = next(m for m in catalog(lang) if m.id == "Showing results near {place}")
    assert PLACEHOLDER.findall(message.string) == ["{place}"]
    broken = message.string.replace("{place}", "{lugar}")
    assert tuple(PLACEHOLDER.findall(broken)) != tuple(PLACEHOLDER.findall(message.id))


def _calls(tree: ast.AST):
    names = {"_", "ngettext", "pgettext", "N_"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            yield node


def test_no_translated_string_hides_from_the_catalog():
    """The extractor reads literal arguments only: an f-string, a concatenation or a call inside an
    f-string (Python 3.11 reads those as one token) would be shown untranslated."""
    problems = []
    for path in i18n.source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside_fstrings = {id(c) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for c in _calls(j)}
        for call in _calls(tree):
            where = f"{path.relative_to(REPO)}:{call.lineno}"
            literal = [isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args]
            if call.func.id in ("ngettext", "pgettext", "N_") and not all(
                literal[:2] if call.func.id != "N_" else literal
            ):
                problems.append(f"{where}: {call.func.id} takes literal strings")
            if call.func.id == "_" and call.args and isinstance(call.args[0], ast.JoinedStr | ast.BinOp):
                problems.append(f"{where}: _() of an f-string or a concatenation")
            if id(call) in inside_fstrings and any(literal):
                problems.append(f"{where}: a literal inside an f-string is invisible to the extractor")
    assert problems == []


def test_module_constants_shown_to_people_are_marked():
    """A constant translated where it is shown (``_(NOT_LISTED)``) is marked with N_ where it is defined:
    its English is in the catalog."""
    msgids = {m.id for m in i18n.extract() if m.id}
    for name, text in [
        ("NOT_LISTED", view.NOT_LISTED),
        ("CLOSED_HELP", view.CLOSED_HELP),
        ("ATTRIBUTION", view.ATTRIBUTION),
        *((f"format {k}", v) for k, v in view.SHEET_FORMATS.items()),
        *((f"filter {f.param}", f.label) for f in map(by_param, ("service", "payment", "verified_since"))),
    ]:
        assert text in msgids, name


def used_codes() -> set[str]:
    codes: set[str] = set()
    for text in NATIONAL.frame["service_codes"]:
        codes.update(c for c in text.split(";") if c)
    return codes


@pytest.mark.parametrize("lang", OTHERS)
def test_the_vocabulary_labels_everything_a_person_sees(lang):
    taxonomy = NATIONAL.taxonomy
    rows = vocabulary(lang)
    with (REPO / "data" / "codebook" / f"vocabulary_{lang}.csv").open(encoding="utf-8", newline="") as fh:
        assert tuple(csv.DictReader(fh).fieldnames) == VOCABULARY_COLUMNS
    assert {kind for kind, _key in rows} <= set(VOCABULARY_KINDS)
    assert all(row["label"].strip() and row["source"].strip() for row in rows.values())
    shown = [taxonomy.get(c) for c in sorted(used_codes()) if taxonomy.get(c).known]
    missing = [f"group {g.name}" for g in taxonomy.groups.values() if ("group", g.name) not in rows]
    missing += [f"category {s.category_code}" for s in shown if ("category", s.category_code) not in rows]
    missing += [f"service {s.code}" for s in shown if ("service", s.code) not in rows]
    missing += [
        f"description {s.code}" for s in shown if s.description_en and not rows[("service", s.code)]["description"]
    ]
    missing += [f"source {e.id}" for e in read_manifest() if ("source", e.id) not in rows]
    assert sorted(set(missing)) == []
    # Every row names something that exists (a renamed code leaves no stale row behind).
    known = {("group", g) for g in taxonomy.groups} | {("service", c) for c in taxonomy.services}
    known |= {("category", s.category_code) for s in taxonomy.services.values()}
    known |= {("source", e.id) for e in read_manifest()} | {("source", "findtreatment-refresh")}
    assert sorted(set(rows) - known) == []
    # Where SAMHSA or HHS publish the term, the label says so.
    assert rows[("group", "mat")]["label"] == "Tratamiento asistido con medicamentos (MAT)"
    assert rows[("group", "mat")]["source"].startswith("SAMHSA")


def test_spanish_reads_as_spanish_with_plurals_numbers_and_dates():
    query = Query(near="Tampa, FL", services=("detox",))
    english = NATIONAL.search(query)
    with using("es"):
        spanish = NATIONAL.search(query)
        assert spanish.describe() == f"Desintoxicación a menos de 25 millas de Tampa, FL: {english.total} centros"
        assert ngettext("{n} facility", "{n} facilities", 1).format(n=1) == "1 centro"
        assert i18n.number(12345) == "12,345" and i18n.month(english.records[0].last_listed).islower()
        assert spanish.ids == english.ids  # the same search, other words
        detail = view.FacilityDetail.from_record(spanish.records[0], NATIONAL.taxonomy)
        assert detail.types[0] == "Desintoxicación"
    assert english.describe().startswith("Detox within 25 miles of Tampa, FL:")


def test_two_people_in_two_languages_at_once_never_mix():
    """Threads stand for two Streamlit sessions (each runs in its own thread) or two API requests."""
    result = NATIONAL.search(Query(near="Tampa, FL", services=("detox",)))
    expected = {}
    for lang in ("en", "es"):
        with using(lang):
            expected[lang] = (
                result.describe(),
                _("Where are you?"),
                view.facet_line(NATIONAL.taxonomy, by_param("payment"), result),
            )
    start = threading.Barrier(4)
    seen: dict[str, set] = {"en": set(), "es": set()}

    def person(lang: str) -> None:
        i18n.activate(lang)  # as the app does at the top of a run
        start.wait()
        for _round in range(200):
            seen[lang].add(
                (
                    result.describe(),
                    _("Where are you?"),
                    view.facet_line(NATIONAL.taxonomy, by_param("payment"), result),
                )
            )

    people = [threading.Thread(target=person, args=(lang,)) for lang in ("en", "es", "en", "es")]
    for p in people:
        p.start()
    for p in people:
        p.join()
    assert seen == {"en": {expected["en"]}, "es": {expected["es"]}}
    assert _("Where are you?") == "Where are you?"  # this thread never chose: English


def test_the_api_changes_words_never_codes():
    client = TestClient(create_app(NATIONAL))
    params = {"near": "Tampa, FL", "service": "detox", "page_size": 5}
    english = client.get("/v1/facilities", params=params)
    spanish = client.get("/v1/facilities", params={**params, "lang": "es"})
    by_header = client.get("/v1/facilities", params=params, headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"})
    assert english.headers["content-language"] == "en" and spanish.headers["content-language"] == "es"
    assert by_header.json() == spanish.json()
    e, s = english.json(), spanish.json()
    assert s["description"].startswith("Desintoxicación a menos de 25 millas de Tampa, FL")
    assert s["results"] == e["results"] and s["facets"] == e["facets"] and set(s) == set(e)
    assert "que ninguna fuente publica" in s["older"]["note"]
    refused = client.get("/v1/facilities", params={**params, "lang": "fr"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "lang"]
    services = client.get("/v1/services", params={"lang": "es"}).json()
    groups = {g["name"]: g for g in services["groups"]}
    assert groups["detox"]["label"] == "Desintoxicación" and groups["detox"]["codes"] == sorted(
        NATIONAL.taxonomy.group("detox").codes
    )
    ids = NATIONAL.search(Query(near="Tampa, FL", services=("detox",))).ids[:2]
    shortlist = client.get("/v1/shortlist", params={"id": ids, "lang": "es"}).json()
    assert [r["key"] for r in shortlist["rows"]][:3] == ["name", "phone", "intake"]
    assert shortlist["rows"][1]["label"] == "Teléfono"
    document = client.get("/openapi.json").json()
    lang_param = next(p for p in document["paths"]["/v1/services"]["get"]["parameters"] if p["name"] == "lang")
    assert "es" in str(lang_param["schema"])


def test_the_cli_prints_in_the_language_asked():
    runner = CliRunner()
    args = ["search", "--near", "Tampa, FL", "--service", "detox"]
    english = runner.invoke(cli, args)
    spanish = runner.invoke(cli, [*args, "--lang", "es"])
    by_env = runner.invoke(cli, args, env={"DIRECTORY_LANG": "es"})
    assert english.exit_code == spanish.exit_code == 0
    assert spanish.output == by_env.output != english.output
    assert spanish.output.splitlines()[0].startswith("Desintoxicación a menos de 25 millas de Tampa, FL:")
    assert spanish.output.splitlines()[1].split()[:2] == ["millas", "nombre"]
    as_json = runner.invoke(cli, [*args, "--format", "json", "--lang", "es"])
    english_json = runner.invoke(cli, [*args, "--format", "json"])
    assert as_json.output != english_json.output
    assert as_json.output.replace("Desintoxicación a menos de 25 millas", "") != as_json.output
    bad = runner.invoke(cli, [*args, "--lang", "fr"])
    assert bad.exit_code == 2 and "fr" in bad.output


def test_hsds_stays_the_code_books_english():
    records = NATIONAL.search(Query(near="Tampa, FL", services=("detox",))).records[:5]
    english = hsds.build_tables(records, NATIONAL.taxonomy)
    with using("es"):
        assert hsds.build_tables(records, NATIONAL.taxonomy) == english


def test_a_link_keeps_its_language_and_searches_the_same():
    form, warnings = view.SearchForm.from_params({"near": "Tampa, FL", "service": "detox", "lang": "es"})
    assert (form.lang, warnings) == ("es", [])
    assert form.to_params()["lang"] == "es" and "lang=es" in form.query_string()
    assert form.signature() == form.with_(lang="").signature() == form.with_(lang="en").signature()
    odd, warnings = view.SearchForm.from_params({"lang": "xx"})
    assert odd.lang == "" and warnings == ["no interface language 'xx'; the languages are en, es"]


def test_every_language_listed_has_its_catalog_and_vocabulary():
    """Adding a language is a .po and a vocabulary file (docs/languages.md): the list and the files agree."""
    folders = {p.name for p in i18n.LOCALE_DIR.iterdir() if p.is_dir()}
    assert folders == set(OTHERS)
    assert {p.stem.removeprefix("vocabulary_") for p in (REPO / "data" / "codebook").glob("vocabulary_*.csv")} == set(
        OTHERS
    )
    for lang in LANGUAGES:
        assert i18n.translator(lang).lang == lang and i18n.negotiate(f"{lang}-US") == lang
