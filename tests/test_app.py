"""The Streamlit app through streamlit.testing.v1.AppTest (no browser): wiring, state and URL."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from directory.search import Query
from directory.stores.memory import Directory

from .conftest import REPO, national_directory, shown_list

APP = str(REPO / "app.py")


@pytest.fixture(scope="module")
def directory() -> Directory:
    return national_directory()


def start(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(text: str) -> str:
    """What a person reads: the app escapes every markdown character of dynamic text."""
    return re.sub(r"\\(.)", r"\1", text)


def sentence(at: AppTest) -> str:
    texts = [m.value for m in at.markdown if re.search(r": [\d,]+ facilit", m.value)]
    assert len(texts) == 1, [m.value for m in at.markdown]
    return texts[0].replace("\\", "")


def as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def open_more_filters(at: AppTest) -> None:
    """Open "More filters" (its filters are drawn only while it is open), as a click on it does."""
    at.session_state["w_more"] = True
    at.run()


def listed_ids(at: AppTest) -> list[str]:
    shown = shown_list(at)
    return shown["ids"] if shown else []


def test_search_changes_the_list(directory):
    at = start()
    everything = listed_ids(at)
    assert everything == list(directory.search(Query()).frame["facility_id"][:1000])  # the list's first 1,000
    assert f"first 1,000 of {directory.search(Query()).total:,}" in shown_list(at)["note"]
    assert sentence(at).startswith("**All facilities: ")
    at.text_input(key="w_near").set_value("Tampa, FL").run()
    assert not at.exception
    expected = directory.search(Query(near="Tampa, FL"))
    assert listed_ids(at) == list(expected.frame["facility_id"])
    assert at.subheader[0].value == "Showing results near Tampa, FL"
    distances = shown_list(at)["sort"]["distance_miles"]
    assert distances == sorted(distances) and distances[-1] <= 25
    assert shown_list(at)["rows"]["distance_miles"][-1] == f"{distances[-1]:.1f}"
    assert at.query_params["near"] == "Tampa, FL"


def test_filters_narrow_and_counts_follow(directory):
    at = start({"near": "Tampa, FL"})
    before = listed_ids(at)
    services = at.multiselect(key="w_services")
    wide = directory.search(Query(near="Tampa, FL"))
    # options keep fixed labels (a browser sends the label back); the counts are in the line below
    assert "Detox" in services.options, services.options
    assert any(f"Detox {wide.facets['service']['detox']:,}" in plain(c.value) for c in at.caption)
    services.set_value(["detox"]).run()
    narrow = directory.search(Query(near="Tampa, FL", services=("detox",)))
    after = listed_ids(at)
    assert after == list(narrow.frame["facility_id"]) and set(after) < set(before)
    assert f": {narrow.total:,} facilities" in sentence(at)
    # the counts now describe the narrowed list; the other filters are drawn once "More filters" is open
    with pytest.raises(KeyError):
        at.multiselect(key="w_payments")
    open_more_filters(at)
    payment = at.multiselect(key="w_payments")
    assert "Medicaid" in payment.options
    assert any(f"Medicaid {narrow.facets['payment']['medicaid']:,}" in plain(c.value) for c in at.caption)
    at.multiselect(key="w_payments").set_value(["medicaid"]).run()
    both = directory.search(Query(near="Tampa, FL", services=("detox",), payments=("medicaid",)))
    assert listed_ids(at) == list(both.frame["facility_id"])
    assert as_list(at.query_params["service"]) == ["detox"] and as_list(at.query_params["payment"]) == ["medicaid"]
    # closed again, "More filters" keeps what was set under it
    at.session_state["w_more"] = False
    at.run()
    with pytest.raises(KeyError):
        at.multiselect(key="w_payments")
    assert listed_ids(at) == list(both.frame["facility_id"]) and at.query_params["payment"] == "medicaid"
    assert any("(1 set)" in e.label for e in at.expander)
    # "all" needs every selected type
    assert "w_match" not in [r.key for r in at.radio]  # one type: "any or all" is not asked
    at.multiselect(key="w_services").set_value(["detox", "residential"]).run()
    at.radio(key="w_match").set_value("all").run()
    all_of = directory.search(
        Query(near="Tampa, FL", services=("detox", "residential"), match="all", payments=("medicaid",))
    )
    assert listed_ids(at) == list(all_of.frame["facility_id"])
    open_more_filters(at)
    next(b for b in at.button if b.label == "Clear filters").click().run()  # keeps the place
    assert listed_ids(at) == before


def test_query_parameters_restore_a_search(directory):
    target = directory.search(Query(near="Washington, IN", radius_miles=50, services=("mat",))).frame.iloc[0]
    at = start(
        {"near": "Washington, IN", "radius": "50", "service": ["mat"], "state": "IN", "facility": target["facility_id"]}
    )
    assert at.text_input(key="w_near").value == "Washington, IN"
    assert at.selectbox(key="w_radius").value == 50
    assert at.multiselect(key="w_services").value == ["mat"]
    expected = directory.search(Query(near="Washington, IN", radius_miles=50, services=("mat",), state="IN"))
    assert listed_ids(at) == list(expected.frame["facility_id"])
    headings = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert headings and target["name"].split()[0] in headings[0]
    # the page writes the same URL back
    assert at.query_params["facility"] == target["facility_id"]
    assert at.query_params["radius"] == "50"


def test_bad_link_values_warn_and_are_dropped():
    at = start({"near": "Tampa, FL", "service": ["detox", "detx"], "radius": "abc"})
    warnings = [plain(w.value) for w in at.warning]
    assert any("unknown treatment type 'detx'" in w for w in warnings), warnings
    assert any("radius 'abc'" in w for w in warnings), warnings
    assert at.multiselect(key="w_services").value == ["detox"]


def test_unresolvable_place_shows_a_message_and_suggestions():
    at = start({"near": "Tampa, FX"})
    assert not at.exception
    assert any("could not find 'Tampa, FX'" in plain(w.value) for w in at.warning)
    assert shown_list(at) is None
    assert "Tampa, FL" in [plain(b.label) for b in at.button if b.key and b.key.startswith("suggest-")]
    at = start({"near": "Tampe, FL"})
    suggestions = [plain(b.label) for b in at.button if b.key and b.key.startswith("suggest-")]
    assert "Tampa, FL" in suggestions
    next(b for b in at.button if plain(b.label) == "Tampa, FL").click().run()
    assert plain(at.subheader[0].value) == "Showing results near Tampa, FL"


def test_ambiguous_place_offers_alternatives():
    at = start({"near": "Washington"})
    labels = [plain(b.label) for b in at.button if b.key and b.key.startswith("alt-")]
    assert "Washington, IN" in labels
    next(b for b in at.button if plain(b.label) == "Washington, IN").click().run()
    assert plain(at.subheader[0].value) == "Showing results near Washington, IN"


def test_no_results_in_radius_shows_nearest_with_a_note(directory):
    at = start({"near": "Bend, OR", "radius": "5", "service": "detox"})
    expected = directory.search(Query(near="Bend, OR", radius_miles=5, services=("detox",)))
    assert expected.note and listed_ids(at) == expected.ids and len(expected.ids) > 0
    assert any("nearest matching ones within 100 miles" in plain(i.value) for i in at.info)
    assert (expected.frame["distance_miles"] <= 100).all()


def test_nothing_nearby_says_which_filter_empties_the_area(directory):
    at = start({"near": "Tampa, FL", "service": "detox", "accreditation": "ncqa"})
    infos = [plain(i.value) for i in at.info]
    assert any(i.startswith("Accreditation is listed for ") for i in infos), infos
    assert listed_ids(at) == []


def test_facility_text_is_escaped(tmp_path, monkeypatch):
    """A hostile name renders as text in the detail view, not as markup or a link."""
    import csv

    from directory.core.schema import read_facilities

    frame = read_facilities()
    row = frame.iloc[0].copy()
    row["name"] = "<img src=x onerror=alert(1)> [click](javascript:alert(1)) :red[x] $x$"
    frame.iloc[0] = row
    path = tmp_path / "facilities.csv"
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    monkeypatch.setenv("DIRECTORY_FACILITIES", str(path))
    at = start({"facility": row["facility_id"]})
    heading = [m.value for m in at.markdown if m.value.startswith("### ")][0]
    assert "\\<img" in heading and "\\[click\\]\\(javascript\\:alert" in heading and "\\:red\\[" in heading


def test_language_filter_comes_from_the_registry(directory):
    at = start({"near": "Miami, FL", "language": "spanish"})
    widget = at.multiselect(key="w_languages")
    assert widget.label == "Language of treatment" and widget.value == ["spanish"]
    expected = directory.search(Query(near="Miami, FL", languages=("spanish",)))
    assert listed_ids(at) == expected.ids
    assert "offering treatment in Spanish" in sentence(at)
    widget.set_value(["spanish", "other-languages"]).run()
    assert not at.exception
    assert listed_ids(at) == directory.search(Query(near="Miami, FL", languages=("spanish", "other-languages"))).ids
    assert as_list(at.query_params["language"]) == ["spanish", "other-languages"]


def test_the_map_is_of_the_file_the_app_reads(tmp_path, monkeypatch):
    """The map of a search is built once per directory file: the same search on another file (here
    the first 40 Tampa rows of the shipped file) maps that file's facilities, not a map kept from
    the national file."""
    import csv
    import json

    from directory.core.schema import read_facilities

    start({"near": "Tampa, FL"})  # the national file's map of this search, now kept
    frame = read_facilities()
    cut = frame[(frame["state"] == "FL") & (frame["city"] == "Tampa")].head(40)
    path = tmp_path / "facilities.csv"
    cut.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    monkeypatch.setenv("DIRECTORY_FACILITIES", str(path))
    at = start({"near": "Tampa, FL"})
    (drawn,) = [e for e in at.get("bidi_component") if e.proto.component_name == "facility_map"]
    shown = len(json.loads(drawn.proto.json)["points"]["n"])
    assert shown == len(listed_ids(at)) and 0 < shown <= 40


def test_the_listed_since_choices_are_the_years_the_sources_listed(tmp_path, monkeypatch):
    """ "Listed since" offers each year after the default in which a source of this file listed some
    facility: a file cut from the shipped one with sites last listed in 2015, 2022 and 2026 offers
    2022 and 2026, and no 2025 (no source of it is from 2025)."""
    import csv

    from directory.core.schema import read_facilities

    frame = read_facilities()
    year = frame["last_listed"].str[:4]
    cut = frame[(frame["state"] == "FL") & year.isin(["2015", "2022", "2026"])]
    assert set(cut["last_listed"].str[:4]) == {"2015", "2022", "2026"}
    path = tmp_path / "facilities.csv"
    cut.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    monkeypatch.setenv("DIRECTORY_FACILITIES", str(path))
    at = start({"near": "Tampa, FL"})
    open_more_filters(at)
    box = at.selectbox(key="w_listed_since")
    assert box.options == ["2021 or later (default)", "Any date, older listings too", "2022 or later", "2026 or later"]
    box.set_value("2022").run()
    assert not at.exception and at.query_params["listed_since"] == "2022"
    assert listed_ids(at) == Directory(cut).search(Query(near="Tampa, FL", listed_since="2022")).ids
