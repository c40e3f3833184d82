"""The app's library side: form ↔ URL, detail, list badges, map data, printable list, reports."""

from __future__ import annotations

import json
import multiprocessing
import re
from datetime import date
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from directory import view
from directory.cli import cli
from directory.core.errors import ValidationError
from directory.core.states import STATES
from directory.core.taxonomy import Taxonomy
from directory.curation.reports import PROBLEMS, Report, ReportStore
from directory.pipeline.manifest import source_label
from directory.search import Query
from directory.stores.memory import Directory
from directory.view import mapview

from .conftest import national_directory


@pytest.fixture(scope="module")
def directory() -> Directory:
    return national_directory()


TAXONOMY = Taxonomy.load()
DIRECTORY = national_directory()


def names(family: str) -> list[str]:
    return [g.name for g in TAXONOMY.groups_in(family)]


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30).map(str.strip)
forms = st.builds(
    view.SearchForm,
    near=text,
    radius=st.sampled_from(view.RADII),
    services=st.lists(st.sampled_from(names("service")), unique=True, max_size=3).map(tuple),
    match=st.sampled_from(["any", "all"]),
    medications=st.lists(st.sampled_from(names("medication")), unique=True, max_size=2).map(tuple),
    accreditations=st.lists(st.sampled_from(names("accreditation")), unique=True, max_size=2).map(tuple),
    payments=st.lists(st.sampled_from(names("payment")), unique=True, max_size=2).map(tuple),
    populations=st.lists(st.sampled_from(names("population")), unique=True, max_size=2).map(tuple),
    city=text,
    state=st.sampled_from([""] + sorted(STATES)),
    name=text,
    facility=st.from_regex(r"f[0-9a-f]{12}", fullmatch=True) | st.just(""),
)


@settings(max_examples=300, deadline=None)
@given(forms)
def test_url_round_trip(form):
    """Any form survives being written to a query string and read back."""
    from urllib.parse import parse_qs

    params = parse_qs(form.query_string(), keep_blank_values=True)
    back, warnings = view.SearchForm.from_params(params, TAXONOMY)
    expected = form if form.near else form.with_(radius=view.DEFAULT_RADIUS)
    assert warnings == []
    assert back == expected


def test_from_params_repairs_and_warns():
    form, warnings = view.SearchForm.from_params(
        {
            "near": "33602",
            "radius": "30",
            "service": ["Detox", "MAT", "detox"],
            "state": "florida",
            "payment": "medicaid",
            "accreditation": "xyzzy",
            "match": "both",
        },
        TAXONOMY,
    )
    assert form.radius == 25 and form.services == ("detox", "mat") and form.state == "FL"
    assert form.payments == ("medicaid",) and form.accreditations == () and form.match == "any"
    assert warnings == [
        "radius 30 is not offered; using 25 miles",
        "match must be 'any' or 'all', not 'both'; using 'any'",
        "unknown accreditation 'xyzzy'",
    ]


def test_run_turns_errors_into_messages(directory):
    bad_place = view.run(directory, view.SearchForm(near="Tampa, FX"))
    assert not bad_place.ok and "could not find 'Tampa, FX'" in bad_place.message
    bad_state = view.run(directory, view.SearchForm(state="Narnia"))
    assert not bad_state.ok and "unknown state 'Narnia'" in bad_state.message
    good = view.run(directory, view.SearchForm(near="Washington, IN", radius=50))
    assert good.heading == "Showing results near Washington, IN"


def test_result_table_matches_the_result(directory):
    result = directory.search(Query(near="Tampa, FL", radius_miles=50))
    table = view.result_table(directory, result)
    assert list(table["facility_id"]) == list(result.frame["facility_id"])
    assert list(table["distance_miles"]) == list(result.frame["distance_miles"].astype(float))
    # badges against the reference: a label appears exactly when the record has one of the group's codes
    for record, labels in zip(result.frame.to_dict("records"), table["services"], strict=True):
        codes = set(record["service_codes"].split(";"))
        expected = [TAXONOMY.group(g).label for g in view.BADGE_GROUPS if TAXONOMY.group(g).codes & codes]
        assert labels == expected


@pytest.mark.parametrize(
    "raw, url",
    [
        ("www.gatewayfoundation.org", "https://www.gatewayfoundation.org"),
        ("http://example.org/a?b=1", "http://example.org/a?b=1"),
        ("example.org:8080/x", "https://example.org:8080/x"),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("mailto:a@b.org", None),
        ("", None),
    ],
)
def test_website_url(raw, url):
    assert view.website_url(raw) == url


@pytest.mark.parametrize(
    "raw, url",
    [
        ("813-984-1818", "tel:+18139841818"),
        ("813-984-1818 x0", "tel:+18139841818"),
        ("813-931-4669 x229", "tel:+18139314669;ext=229"),
        ("1 (800) 662-4357", "tel:+18006624357"),
        ("555-0100", None),
        ("", None),
    ],
)
def test_tel_url(raw, url):
    assert view.tel_url(raw) == url


def test_detail_groups_every_labelled_code(directory):
    result = directory.search(Query(near="Tampa, FL", services=("detox",)))
    record = result.frame.iloc[0].to_dict()
    detail = view.FacilityDetail.from_record(record, TAXONOMY, today=date(2026, 11, 26))
    codes = [c for c in record["service_codes"].split(";") if TAXONOMY.is_known(c)]
    shown = {label for labels in detail.services.values() for label in labels}  # a label may head two categories
    assert shown == {TAXONOMY.label(c) for c in codes}
    for c in codes:  # each under its own category
        assert TAXONOMY.label(c) in detail.services[TAXONOMY.get(c).category]
    assert "Detox" in detail.types
    assert detail.sources == record["sources"].split(";") and detail.services_as_of == record["services_as_of"]
    assert detail.stale_note == f"Services as listed in {record['services_as_of'][:4]} — call to confirm."
    assert detail.directions.startswith("https://www.openstreetmap.org/directions?route=%3B")
    assert detail.distance_miles == float(record["distance_miles"])


def test_detail_says_the_licence_and_its_sources(directory):
    frame = directory.frame
    record = frame[(frame["license_number"] != "") & (frame["capacity"] != "0")].iloc[0].to_dict()
    detail = view.FacilityDetail.from_record(record, TAXONOMY, today=date(2026, 11, 26))
    assert detail.licence == (
        f"State licence {record['license_number']}, expires {record['license_expiration']}; "
        f"capacity {record['capacity']}"
    )
    assert detail.sources[0] == "ca-dhcs-2026" and "State licensed" in detail.accreditation
    plain = frame[frame["license_number"] == ""].iloc[0].to_dict()
    assert view.FacilityDetail.from_record(plain, TAXONOMY).licence == ""


def test_markdown_escape_makes_text_inert():
    from markdown_it import MarkdownIt

    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) **b** `c` $x$ :red[r] &amp;"
    rendered = MarkdownIt("commonmark").render(view.md_escape(hostile))
    assert "<script" not in rendered and "<a " not in rendered and "<strong>" not in rendered
    assert "<code>" not in rendered
    assert view.md_link("a)b", "https://x.org/a b)c") == "[a\\)b](https://x.org/a%20b%29c)"


# -- the map -----------------------------------------------------------------------------------


def test_map_points_carry_only_what_the_map_needs(directory):
    result = directory.search(Query(near="Tampa, FL", radius_miles=100))
    points = mapview.map_points(directory, result.frame)
    assert list(points.columns) == ["id", "n", "c", "lon", "lat", "t"]
    assert list(points["id"]) == list(result.frame["facility_id"])
    assert np.allclose(points["lat"], result.frame["latitude"].astype(float), atol=6e-5)
    assert all(len(repr(v).split(".")[-1]) <= 4 for v in points["lon"])
    # colour class: the first of TYPES whose group the record is in (brute force on the codes)
    for record, kind in zip(result.frame.to_dict("records"), points["t"], strict=True):
        codes = set(record["service_codes"].split(";"))
        first = next(
            (i for i, t in enumerate(mapview.TYPES[:-1]) if TAXONOMY.group(t.group).codes & codes),
            len(mapview.TYPES) - 1,
        )
        assert kind == first
    data = mapview.build_map(directory, result)
    sent = data.payload()
    assert set(sent["points"]) == {"x", "y", "t", "n", "c"} and sent["clusters"] is None
    assert all(len(column) == result.total for column in sent["points"].values())
    # every point's index finds its facility again
    by_id = result.frame.set_index("facility_id")
    for i, name in enumerate(sent["points"]["n"]):
        assert by_id.loc[mapview.selected_id(i, data), "name"] == name
    assert sent["outlines"] == mapview.OUTLINES_URL and sent["tiles"] is None
    assert sent["circle"] is not None and sent["place"]["n"] == result.center.label
    assert len(json.dumps(sent, separators=(",", ":")).encode()) == data.payload_bytes()
    # the selection is the only thing that differs between two payloads of one search
    chosen = result.frame["facility_id"].iloc[3]
    assert data.payload(chosen)["selected"] == 3 and sent["selected"] == -1
    assert {k for k in sent if sent[k] != data.payload(chosen)[k]} == {"selected"}
    assert data.payload("no-such-id")["selected"] == -1


def test_the_map_legend_counts_are_the_filter_counts(directory):
    """The legend under the map gives each treatment type the count the filter shows for it (results
    offering it, whatever colour they got), in colour order with the searched types first; "Other
    services" counts the points coloured so; types with none are left out."""
    result = directory.search(Query(near="Tampa, FL", radius_miles=50, services=("detox",)))
    data = mapview.build_map(directory, result)
    facets = result.facets["service"]
    shown = {t.group: n for t, n in data.legend}
    assert [t.group for t, _ in data.legend][0] == "detox"
    for t in mapview.TYPES[:-1]:
        assert shown.get(t.group, 0) == facets.get(t.group, 0)
    assert shown.get("other", 0) == sum(1 for k in data.points["t"] if k == len(mapview.TYPES) - 1)
    assert data.note == "" and mapview.build_map(directory, directory.search(Query())).note


def test_the_drawn_circle_is_the_search_circle(directory):
    """The map draws the search circle as a circle in metres at its centre's Mercator scale (map.js
    divides by metres per pixel at the centre's latitude): centred on the searched place, with the
    query's radius, and within 0.5 % of the geodesic search circle (result.area) at 25 miles and 1.5 %
    at 100, north, south, east and west."""
    import math

    def merc_y(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    for radius, tolerance in ((25, 0.005), (100, 0.015)):
        result = directory.search(Query(near="Bend, OR", radius_miles=radius))
        circle = mapview.build_map(directory, result).circle
        lat0, lon0 = result.center.latitude, result.center.longitude
        assert [circle["x"], circle["y"]] == [round(lon0, 5), round(lat0, 5)] and circle["r"] == round(
            radius * 1609.344
        )
        drawn = circle["r"] / (6_378_137 * math.cos(math.radians(lat0)))  # in radians of Mercator
        minx, miny, maxx, maxy = result.area.bounds
        for true in (
            merc_y(maxy) - merc_y(lat0),
            merc_y(lat0) - merc_y(miny),
            math.radians(maxx - lon0),
            math.radians(lon0 - minx),
        ):
            assert abs(drawn - true) / true < tolerance


def test_the_served_outlines_are_the_state_outlines():
    """static/state-outlines.json, which the map fetches, is what mapview.outlines_json() makes
    (regenerate it with that function)."""
    from .conftest import REPO

    assert (REPO / "static" / "state-outlines.json").read_text(encoding="utf-8") == mapview.outlines_json()
    assert mapview.OUTLINES_URL == "/app/static/state-outlines.json"


def test_the_served_county_files_are_every_county_with_a_name_point_inside_it():
    """static/counties/ holds exactly what counties.county_files() makes (one file a state, every county of
    the Census outlines in one of them), and each county's name is written at a point inside it."""
    import shapely
    from shapely.geometry import shape

    from directory.view import counties

    from .conftest import REPO

    files = counties.county_files()
    folder = REPO / "static" / "counties"
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    for name, text in files.items():
        assert (folder / name).read_text(encoding="utf-8") == text, name
    source = json.loads((REPO / "data/boundaries/us_counties_2017_10m.geojson").read_text(encoding="utf-8"))
    outlines = counties.county_outlines()
    assert sum(len(c["features"]) for c in outlines.values()) == len(source["features"]) == 3231
    assert len(outlines["FL"]["features"]) == 67 and len(outlines["IN"]["features"]) == 92
    for state, collection in outlines.items():  # in the source's order, state by state
        mine = [f for f in source["features"] if f["properties"]["state"] == state]
        for feature, original in zip(collection["features"], mine, strict=True):
            props = feature["properties"]
            assert props["n"] == original["properties"]["name"]
            raw = shape(original["geometry"])
            polygon = raw.buffer(0)  # a few cities (Falls Church, VA) are slivers at 1:10m: within their box
            area = polygon.buffer(0.002) if polygon.area > 1e-6 else raw.envelope.buffer(0.002)
            assert area.contains(shapely.Point(props["x"], props["y"])), (state, props)
    assert counties.COUNTIES_URL.format(s="FL") == "/app/static/counties/FL.json"


def test_a_national_map_shows_areas_not_22000_points(directory):
    result = directory.search(Query())
    points = mapview.map_points(directory, result.frame, result.coordinates())
    data = mapview.build_map(directory, result)
    assert data.points is None and data.ids == ()
    assert data.clusters["c"] == mapview.AREA_HINT  # sent once, not per area
    assert sum(int(n.split()[0].replace(",", "")) for n in data.clusters["n"]) == result.total
    assert data.payload_bytes() < 100_000 and mapview.map_note(points)
    assert mapview.selected_id(0, data) is None and data.payload(result.ids[0])["selected"] == -1
    small = directory.search(Query(near="Tampa, FL"))
    assert not mapview.map_note(mapview.map_points(directory, small.frame))


def test_map_tiles_setting(monkeypatch, directory):
    """Three modes: none (offline), web tiles, a PMTiles archive; every tiled mode credited (the setting
    refuses a source without its attribution, in one line), and counties drawn only offline."""
    from directory.core.errors import DirectoryError
    from directory.view import tiles

    tampa = directory.search(Query(near="Tampa, FL"))
    monkeypatch.delenv(tiles.ATTRIBUTION_ENV, raising=False)
    monkeypatch.setenv(tiles.TILES_ENV, "carto")
    assert tiles.map_tiles() == {"url": tiles.CARTO_TILES, "attribution": tiles.CARTO_ATTRIBUTION}
    data = mapview.build_map(directory, tampa)
    assert data.tiles["url"].startswith("https://") and data.payload()["counties"] is None
    for source in ("https://tiles.example.org/{z}/{x}/{y}.png", "pmtiles:/app/static/region.pmtiles"):
        monkeypatch.setenv(tiles.TILES_ENV, source)
        monkeypatch.delenv(tiles.ATTRIBUTION_ENV, raising=False)
        with pytest.raises(DirectoryError, match=tiles.ATTRIBUTION_ENV) as refused:
            tiles.map_tiles()
        assert "\n" not in str(refused.value)
        monkeypatch.setenv(tiles.ATTRIBUTION_ENV, "  \u00a9 OpenStreetMap\ncontributors ")
        assert tiles.map_tiles()["attribution"] == "\u00a9 OpenStreetMap contributors"
    assert tiles.map_tiles() == {
        "pmtiles": "/app/static/region.pmtiles",
        "script": tiles.PMTILES_SCRIPT,
        "attribution": "\u00a9 OpenStreetMap contributors",
    }
    monkeypatch.setenv(tiles.TILES_ENV, "pmtiles:https://maps.example.org/us.pmtiles")
    assert tiles.map_tiles()["pmtiles"] == "https://maps.example.org/us.pmtiles"
    for bad in (
        "https://example.org/style.json",
        "javascript:alert(1)//{z}/{x}/{y}",
        "tiles/{z}/{x}/{y}.png",
        "pmtiles:region.pmtiles",
        "pmtiles:https://maps.example.org/us.mbtiles",
        "pmtiles:javascript:x.pmtiles",
    ):
        monkeypatch.setenv(tiles.TILES_ENV, bad)
        with pytest.raises(DirectoryError, match=tiles.TILES_ENV):
            tiles.map_tiles()
    monkeypatch.setenv(tiles.TILES_ENV, "pmtiles:/app/static/region.pmtiles")
    monkeypatch.setenv(tiles.ATTRIBUTION_ENV, "x" * 201)
    with pytest.raises(DirectoryError, match="at most 200"):
        tiles.map_tiles()
    monkeypatch.delenv(tiles.TILES_ENV)
    assert tiles.map_tiles() is None
    assert mapview.build_map(directory, tampa).payload()["counties"]["url"] == "/app/static/counties/{s}.json"
    # The vendored reader is the one named, with its licences beside it.
    from .conftest import REPO

    script = REPO / tiles.PMTILES_SCRIPT.removeprefix("/app/")
    assert script.read_text(encoding="utf-8").startswith('"use strict";var pmtiles=')
    licences = (script.parent / "LICENSES.txt").read_text(encoding="utf-8")
    assert "Copyright 2021 Protomaps LLC" in licences and "Arjun Barrett" in licences


def test_state_outlines_cover_every_state():
    outlines = mapview.state_outlines()
    assert len(outlines["features"]) >= 51
    assert {f["properties"]["n"] for f in outlines["features"]} >= {"Florida", "Alaska", "Hawaii"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(18, 70), st.floats(-170, -65)), min_size=1, max_size=150))
def test_fit_view_contains_every_point(points):
    import math

    lats = np.array([p[0] for p in points])
    lons = np.array([p[1] for p in points])
    v = mapview.fit_view(lats, lons, width=900, height=520, padding=40, max_zoom=13)
    scale = 512 * 2 ** v["zoom"]

    def project(la, lo):
        y = math.log(math.tan(math.pi / 4 + math.radians(la) / 2))
        return (lo + 180) / 360 * scale, (1 - y / math.pi) / 2 * scale

    cx, cy = project(v["latitude"], v["longitude"])
    for la, lo in points:
        x, y = project(la, lo)
        assert abs(x - cx) <= 450 + 1e-6 and abs(y - cy) <= 260 + 1e-6


def test_selected_id_reads_a_click(directory):
    result = directory.search(Query(near="Tampa, FL"))
    data = mapview.build_map(directory, result)
    assert mapview.selected_id(len(result.ids) - 1, data) == result.ids[-1]
    for wrong in (len(result.ids), -1, None, True, "0", 1.5, {"i": 0}):
        assert mapview.selected_id(wrong, data) is None


# -- printable list -----------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.rows = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows += 1

    def handle_data(self, data):
        self.text.append(data)


def test_printable_list_escapes_and_ends_with_crisis_lines(directory):
    result = directory.search(Query(near="Tampa, FL", services=("detox",)))
    result.frame.loc[0, "name"] = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    html = view.printable_list(directory, result, today=date(2026, 11, 26))
    parsed = _Collect()
    parsed.feed(html)
    assert "script" not in parsed.tags[1:] or parsed.tags.count("script") == 0
    assert "img" not in parsed.tags
    assert parsed.rows == result.total + 1
    body = "".join(parsed.text)
    assert '<script>alert("x")</script>' in body
    assert body.index("1-800-662-4357") > body.index(result.frame.iloc[-1]["name"])
    assert "call 911" in body and "988" in body and "Printed 26 Nov 2026." in body
    assert "@media print" in html


def test_downloads_come_from_the_exports(directory):
    from directory.exports import tabular as exports

    result = directory.search(Query(near="Tampa, FL", services=("detox",)))
    items = {d.label: d for d in view.downloads(directory, result)}
    # The result's columns, then the providers' reports in columns of their own (empty where none).
    assert items["CSV"].make() == exports.to_csv(view.with_availability(directory, result.frame))
    assert items["CSV"].make().splitlines()[0].endswith(",".join(view.AVAILABILITY_COLUMNS))
    assert items["CSV"].file_name == "detox_tampa-fl_25mi.csv"
    assert items["Excel"].make()[:2] == b"PK"
    assert json.loads(items["GeoJSON"].make())["type"] == "FeatureCollection"


# -- reports ------------------------------------------------------------------------------------


def _add_many(folder: str, start: int) -> None:
    store = ReportStore(folder)
    for i in range(start, start + 50):
        store.add(Report(f"f{i:012x}", f"Facility {i}", PROBLEMS[i % len(PROBLEMS) - 1], f"message {i}"))


def test_reports_from_many_processes_are_all_kept(tmp_path):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_add_many, args=(str(tmp_path), n * 50)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    reports, problems = ReportStore(tmp_path).list()
    assert problems == []
    assert sorted(r.facility_id for r in reports) == [f"f{i:012x}" for i in range(200)]


def test_reports_survive_a_broken_line_and_validate(tmp_path):
    store = ReportStore(tmp_path)
    store.add(Report("f1", "One", "Facility has closed"))
    with open(store.path, "a", encoding="utf-8") as fh:
        fh.write('{"facility_id": "f2", "facility_na\n')
    store.add(Report("f3", "Three", "Something else", "They moved to 5th St"))
    reports, problems = store.list()
    assert [r.facility_id for r in reports] == ["f1", "f3"]
    assert len(problems) == 1 and problems[0].startswith("line 2:")
    with pytest.raises(ValidationError, match="problem must be one of"):
        Report("f1", "One", "Bad problem")
    with pytest.raises(ValidationError, match="say what is wrong"):
        Report("f1", "One", "Something else", "  ")


def test_reports_command(tmp_path):
    store = ReportStore(tmp_path)
    store.add(Report("fabc", '=HYPERLINK("x")', "Phone number is wrong", "rings a fax", "me@example.org"))
    runner = CliRunner()
    table = runner.invoke(cli, ["reports", "--folder", str(tmp_path)])
    assert table.exit_code == 0
    assert "1 report (all) in" in table.output and "fabc  Phone number is wrong" in table.output
    assert "    now: no facility with this id in the directory any more\n    open" in table.output
    csv_out = runner.invoke(cli, ["reports", "--folder", str(tmp_path), "--format", "csv"])
    assert "'=HYPERLINK" in csv_out.output
    lines = runner.invoke(cli, ["reports", "--folder", str(tmp_path), "--format", "jsonl"]).output.splitlines()
    assert json.loads(lines[0])["contact"] == "me@example.org"
    empty = runner.invoke(cli, ["reports", "--folder", str(tmp_path / "none")])
    assert empty.exit_code == 0 and empty.output.startswith("0 reports")


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(list(view.PARAM_OF.values()) + ["other"]),
        st.one_of(st.text(max_size=40), st.lists(st.text(max_size=20), max_size=4)),
        max_size=8,
    )
)
def test_any_link_gives_a_page_not_a_traceback(params):
    """Whatever a shared link holds: a form (bad values dropped with warnings) and an outcome."""
    form, warnings = view.SearchForm.from_params(params, TAXONOMY)
    outcome = view.run(DIRECTORY, form)
    assert outcome.ok or outcome.message


def test_detail_contact_lines_highlights_and_provenance(directory):
    frame = directory.frame
    older = (frame["phone_as_of"] == "2015-03-31") & (frame["source_date"] != "2015-03-31")
    record = frame[older & (frame["services_as_of"].str[:4] == "2015") & (frame["phone"] != "")].iloc[0].to_dict()
    detail = view.FacilityDetail.from_record(record, TAXONOMY)
    lines = view.contacts(detail)
    # This site's phone comes from an older source than its record, and says which year.
    assert record["phone_as_of"] == "2015-03-31" and record["source_date"] != record["phone_as_of"]
    assert (
        lines[0] == ("Phone (as listed in 2015)", detail.phone, detail.phone_url) and lines[-2][2] == detail.directions
    )
    # The last line leads to the current federal listing, saying why: the services are old.
    assert (
        lines[-1][2] == "https://findtreatment.gov/locator?sAddr=" + f"{detail.latitude:.5f}%2C{detail.longitude:.5f}"
    )
    assert lines[-1][1].startswith("Services as listed in 2015 — see the current federal listing on FindTreatment.gov")
    assert any(label.startswith("Intake") for label, _, _ in lines) == bool(
        detail.intake_phone and detail.intake_phone != detail.phone
    )
    same_intake = view.FacilityDetail.from_record(dict(record, intake_phone=record["phone"]), TAXONOMY)
    assert not any(label.startswith("Intake") for label, _, _ in view.contacts(same_intake))
    own = view.FacilityDetail.from_record(dict(record, phone_as_of=""), TAXONOMY)
    assert view.contacts(own)[0] == ("Phone", detail.phone, detail.phone_url)
    assert [h for h, _ in view.highlights(detail)][0] == "Treatment"
    assert view.provenance(detail).startswith(
        "Source: " + "; ".join(source_label(s) for s in detail.sources) + f"; record as of {detail.source_date}"
    )


def test_detail_markdown_holds_every_line_and_escapes_the_data(directory):
    """The detail's few Markdown blocks carry every contact line, fact, address line and service label,
    and text from the data stays text: no markup, no link other than the contact links."""
    record = directory.search(Query(near="Tampa, FL", services=("detox",))).frame.iloc[0].to_dict()
    hostile = "[Call 555-0100](https://evil.example) <b>x</b> ![i](https://evil.example/p.png) :red[x] $x$"
    detail = view.FacilityDetail.from_record(dict(record, name=hostile, name2=hostile, street1=hostile), TAXONOMY)
    blocks = view.detail_markdown(detail)
    for block in (blocks.heading, blocks.address, blocks.contact):
        assert "](https://evil" not in block and "<b>" not in block and "![" not in block
    assert blocks.heading.startswith("### " + view.md_escape(hostile)) and view.md_escape(hostile) in blocks.address
    for _label, text, link in view.contacts(detail):
        assert view.md_link(text, link) in blocks.contact
    for name, values in view.highlights(detail):
        assert f"**{name}:** " + ", ".join(view.md_escape(v) for v in values) in blocks.contact
    assert all(view.md_escape(label) in blocks.services for labels in detail.services.values() for label in labels)
    links = re.findall(r"\]\(([^)]*)\)", blocks.contact)
    assert links == [link for _, _, link in view.contacts(detail) if link]


def test_the_map_in_words_names_the_largest_towns_and_the_legends_counts():
    from directory.geocode.gazetteer import Gazetteer
    from directory.view.mapview import build_map, type_label
    from directory.view.mapwords import map_caption, towns_in

    store = national_directory()
    result = store.search(Query(near="Tampa, FL"))
    data = build_map(store, result)
    caption = map_caption(result, data, store.taxonomy)
    assert caption.startswith(f"The map shows {len(result)} facilities around Tampa, FL (")
    for label, count in ((type_label(store.taxonomy, t), n) for t, n in data.legend):
        assert f"{label} {count}" in caption
    # The towns are the largest places inside the fitted bounds, by brute force over the gazetteer.
    south, north, west, east = data.view["bounds"]
    inside = [
        p for g in Gazetteer.load().places.values() for p in g if south <= p.lat <= north and west <= p.lon <= east
    ]
    pop = {p.name: p.population for p in inside}
    named = towns_in(tuple(data.view["bounds"]))
    assert {"Tampa", "St. Petersburg", "Clearwater"} <= set(named)
    assert [pop[n] for n in named] == sorted(pop.values(), reverse=True)[: len(named)]
    # By county: the map's facilities counted one by one from their records, most first.
    from collections import Counter

    by_county = Counter(store.facility(i).county for i in data.ids if store.facility(i).county)
    ranked = sorted(by_county.items(), key=lambda item: (-item[1], item[0]))
    assert ranked[0][0] == "Hillsborough"
    expected = ", ".join(f"{c} {n}" for c, n in ranked[:-1]) + f" and {ranked[-1][0]} {ranked[-1][1]}"
    assert f"By county: {expected}." in caption
    rural = store.search(Query(near="Washington, IN", radius_miles=50))  # Indiana and Illinois: states said
    words = map_caption(rural, build_map(store, rural), store.taxonomy)
    assert "By county: Monroe (IN) " in words and "more counties." in words
    # The whole directory: grouped by area, the biggest cities named.
    everything = store.search(Query())
    national = map_caption(everything, build_map(store, everything), store.taxonomy)
    assert "groups the" in national and "New York" in national and "Los Angeles" in national
