"""A shortlist side by side and handed over: the comparison the app, the API and the CLI share, the
referral sheet in its three formats, and the text-message and e-mail links — with hostile names."""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner

from directory import view
from directory.cli import cli
from directory.core.geo import great_circle
from directory.search import Query
from directory.view.compare import MAX_SHORTLIST, TooMany, UnknownFacilities, compare
from directory.view.handover import SMS_LIMIT, mailto_url, message_text, sheet_html, sms_url

from .conftest import national_directory

STORE = national_directory()
TAMPA_DETOX = STORE.search(Query(near="Tampa, FL", services=("detox",)))
TODAY = date(2026, 12, 5)
#: What a hostile name or address can hold (the payload corpus of the app tests, plus header injection).
HOSTILE = [
    "[Call 555-0100](https://evil.example)",
    "<b>x</b><script>alert(1)</script>",
    "javascript:alert(1)",
    "\u202eevil\u202c name",
    "line one\r\nline two",
    "A%0AB%0D%0Acc: evil@example.org",
    "Clinic&cc=evil@example.org&bcc=x@y.z",
    "Clinic?subject=Hacked&body=gone",
]


@pytest.fixture(scope="module")
def four():
    return compare(STORE, TAMPA_DETOX.ids[:4], near="Tampa, FL", today=TODAY)


def test_the_comparison_keeps_the_order_and_measures_from_the_place(four):
    ids = TAMPA_DETOX.ids[:4]
    reordered = compare(STORE, [ids[2], ids[0], ids[2], ids[1]], near="Tampa, FL")  # a repeat counts once
    assert reordered.ids == [ids[2], ids[0], ids[1]]
    center = four.center
    for record, miles in zip(four.records, four.distances, strict=True):
        assert miles == round(
            float(great_circle(center.latitude, center.longitude, record.latitude, record.longitude)), 2
        )
    assert four.row("distance").cells[0].text == f"{four.distances[0]:.1f} mi"
    assert [r.key for r in four.rows] == [
        "name",
        "distance",
        "phone",
        "intake",
        "address",
        "website",
        "hours",
        "availability",
        "accepting",
        "treatment",
        "medications",
        "payment",
        "accreditation",
        "quality",
        "populations",
        "languages",
        "accessibility",
        "verified",
        "listed",
        "sources",
    ]
    assert all(len(r.cells) == 4 for r in four.rows)
    assert "distance" not in [r.key for r in compare(STORE, ids[:2]).rows]  # no place, no distance


def test_rows_say_where_they_differ_and_what_no_source_gives(four):
    for row in four.rows:
        assert row.differs == (len({c.text for c in row.cells}) > 1)
        assert row.unknown == all(not c.listed for c in row.cells)
    assert four.row("payment").differs and four.row("hours").unknown
    assert all(c.text == "not listed in the sources" for c in four.row("hours").cells)
    # Near Tampa the 2023 National Directory lists the detox programs' accreditation; where the sources
    # list none for any place compared, the comparison says how well they cover it there.
    assert not four.row("accreditation").unknown and four.row("accreditation").note == ""
    near = STORE.search(Query(near="Tampa, FL", listed_since=None, radius_miles=50))
    bare = [r.facility_id for r in near.records if not (r.service_codes & STORE.taxonomy.family_codes("accreditation"))]
    accreditation = compare(STORE, bare[:4], near="Tampa, FL").row("accreditation")
    assert accreditation.unknown and accreditation.note.startswith(
        "The sources list no accreditation for any of these 4"
    )
    florida = STORE.search(Query(state="FL", listed_since=None))
    assert f"in FL for {florida.listed['accreditation']:,} of {florida.total:,} sites" in accreditation.note


def test_facts_a_source_states_are_compared_with_their_links():
    """Two Denver sites with Colorado's hours, new patients and accessibility."""
    denver = STORE.search(Query(near="Denver, CO", radius_miles=10))
    stated = [r.facility_id for r in denver.records if r.hours and r.accessibility][:2]
    comparison = compare(STORE, stated)
    assert all(c.listed for c in comparison.row("hours").cells)
    assert all(c.listed for c in comparison.row("accessibility").cells)
    phones = comparison.row("phone").cells
    assert all(c.link.startswith("tel:+1") for c in phones if c.listed)
    directions = comparison.row("address").cells
    assert all(c.link.startswith("https://www.openstreetmap.org/directions?") for c in directions)


def test_unknown_ids_are_named_or_dropped_and_ten_is_the_most():
    ids = TAMPA_DETOX.ids[:2]
    with pytest.raises(UnknownFacilities) as caught:
        compare(STORE, [ids[0], "fffffffffffff", ids[1], "f000000000000"])
    assert caught.value.ids == ["fffffffffffff", "f000000000000"] and "'fffffffffffff'" in str(caught.value)
    lenient = compare(STORE, [ids[0], "fffffffffffff", ids[1]], drop_unknown=True)
    assert lenient.ids == ids and lenient.dropped_note() == "1 facility in this link is no longer in the directory."
    many = STORE.search(Query(near="Chicago, IL")).ids
    assert len(compare(STORE, many[:MAX_SHORTLIST]).records) == MAX_SHORTLIST
    with pytest.raises(TooMany):
        compare(STORE, many[: MAX_SHORTLIST + 1])


@pytest.mark.parametrize("fmt", ["line", "summary", "full"])
def test_each_sheet_holds_exactly_the_shortlist_and_ends_with_the_crisis_lines(four, fmt):
    html = sheet_html(four, fmt, today=TODAY, link="http://127.0.0.1:8501/?shortlist=x")
    places = re.findall(r'<li class="place">(.*?)</li>', html, flags=re.S)
    assert len(places) == 4
    for place, record in zip(places, four.records, strict=True):
        assert record.name.replace("&", "&amp;") in place
    assert "break-inside: avoid" in html and "page-break-inside: avoid" in html  # a place never split
    end = html.index('<div class="end">')
    assert end > html.index("</ol>") and "988" in html[end:] and "Call before going" in html[end:]
    assert "printed 5 Dec 2026" in html
    assert ("Payment" in html) == (fmt != "line") and ("Populations served" in html) == (fmt == "full")
    assert "font-size: 16pt" in sheet_html(four, fmt, large=True) and 'class="large' in sheet_html(
        four, fmt, large=True
    )


def _hostile(comparison, text: str):
    """The comparison with ``text`` as every facility's name and address (what the data could hold)."""
    records = [replace(r, name=text, name2=text, street1=text, city=text) for r in comparison.records]
    return compare(_Store(records), [r.facility_id for r in records])


class _Store:
    """A store of a few records (the comparison asks only for facilities and the vocabulary)."""

    def __init__(self, records):
        self.records = {r.facility_id: r for r in records}
        self.taxonomy = STORE.taxonomy

    def facility(self, facility_id):
        return self.records.get(facility_id)

    def availability(self, facility_ids):
        return {}

    def search(self, query):
        return STORE.search(query)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_inside_the_body_and_the_page(four, text):
    comparison = _hostile(four, text)
    link = "http://127.0.0.1:8501/?shortlist=a&shortlist=b"
    sms, mail = sms_url(comparison, link=link), mailto_url(comparison, link=link)
    # One query parameter each: body (sms), subject and body (mailto); nothing else can be added.
    sms_query = urllib.parse.urlsplit(sms.replace("sms:", "sms://x", 1)).query
    assert [k for k, _ in urllib.parse.parse_qsl(sms_query.lstrip("&"), keep_blank_values=True)] == ["body"]
    mail_query = urllib.parse.urlsplit(mail).query
    assert [k for k, _ in urllib.parse.parse_qsl(mail_query, keep_blank_values=True)] == ["subject", "body"]
    assert mail.startswith("mailto:?subject=")  # no recipient
    body = dict(urllib.parse.parse_qsl(mail_query))["body"]
    plain = view.plain(text)
    assert plain in body and "\r" not in body and "\u202e" not in body
    assert body.count("\n") == len(body.splitlines()) - 1 and all(
        not line.startswith("cc:") for line in body.splitlines()
    )
    assert body.splitlines()[-1] == f"List: {link}"  # the link is the last line, whole
    html = sheet_html(comparison, "full")
    assert "<script>alert" not in html and "<b>x</b>" not in html and 'href="javascript' not in html
    for page in (html, view.table_html(comparison), view.card_html(comparison, 0)):
        assert "<script>alert" not in page and "<b>x</b>" not in page and "\u202e" not in page
        links = re.findall(r'href="([^"]*)"', page)
        assert all(h.startswith(("tel:", "https://www.openstreetmap.org/directions?")) for h in links), links


def test_a_long_text_message_keeps_the_link_and_drops_addresses_first():
    ids = STORE.search(Query(near="Chicago, IL")).ids[:MAX_SHORTLIST]
    comparison = compare(STORE, ids)
    link = "http://127.0.0.1:8501/?" + "&".join(f"shortlist={i}" for i in ids) + "&view=compare"
    whole = message_text(comparison, link=link)
    assert len(whole) > SMS_LIMIT  # ten places with their addresses do not fit in a text message
    short = message_text(comparison, link=link, limit=SMS_LIMIT)
    assert len(short) <= SMS_LIMIT and short.endswith(f"List: {link}")
    assert "Addresses left out" in short and comparison.row("address").cells[0].text not in short
    phones = [c.text for c in comparison.row("phone").cells if c.listed]
    assert all(p in short for p in phones)  # every phone kept
    decoded = urllib.parse.unquote(sms_url(comparison, link=link).removeprefix("sms:?&body="))
    assert decoded == short


def test_the_api_and_the_cli_give_the_same_comparison(four):
    from fastapi.testclient import TestClient

    from directory.http.api import create_app

    ids = four.ids
    client = TestClient(create_app(STORE), raise_server_exceptions=False)
    body = client.get("/v1/shortlist", params={"id": ids, "near": "Tampa, FL"}).json()
    assert [f["facility_id"] for f in body["facilities"]] == ids
    assert [f["distance_miles"] for f in body["facilities"]] == four.distances
    assert body == json.loads(json.dumps(four.to_json()))
    reversed_ids = list(reversed(ids))
    again = client.get("/v1/shortlist", params={"id": reversed_ids}).json()
    assert [f["facility_id"] for f in again["facilities"]] == reversed_ids and again["center"] is None
    missing = client.get("/v1/shortlist", params={"id": [ids[0], "fffffffffffff"]})
    assert missing.status_code == 404 and missing.json()["detail"][0]["ids"] == ["fffffffffffff"]
    csv = client.get("/v1/shortlist", params={"id": ids, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.count("\n") == len(ids) + 1
    html = client.get("/v1/shortlist", params={"id": ids, "format": "html"})
    assert html.headers["content-type"].startswith("text/html") and html.text.count('<li class="place">') == len(ids)
    assert client.get("/v1/shortlist", params={"id": ["a"] * 11}).status_code == 422
    runner = CliRunner()
    out = runner.invoke(cli, ["compare", *ids, "--near", "Tampa, FL", "--format", "json"], catch_exceptions=False)
    assert out.exit_code == 0 and json.loads(out.output) == body
    table = runner.invoke(cli, ["compare", *ids[:2]], catch_exceptions=False).output
    assert table.startswith(f"1. {four.row('name').cells[0].text}\n") and "≠ Phone" in table
    bad = runner.invoke(cli, ["compare", ids[0], "fffffffffffff"])
    assert bad.exit_code == 2 and bad.output.strip().splitlines() == [
        "error: no facility with id 'fffffffffffff' in this directory"
    ]


def test_the_form_keeps_the_shortlist_in_the_url_in_order():
    ids = TAMPA_DETOX.ids[:3]
    form, warnings = view.SearchForm.from_params(
        {"near": "Tampa, FL", "shortlist": [ids[2], ids[0], ids[2], "not-an-id", ids[1]], "view": "compare"}
    )
    assert form.shortlist == (ids[2], ids[0], ids[1]) and form.view == "compare"
    assert warnings == ["'not-an-id' is not a facility id; left off the shortlist"]
    assert form.to_params()["shortlist"] == [ids[2], ids[0], ids[1]]
    assert form.signature() == form.with_(shortlist=(), view="").signature()  # the search is the same
    kept, note = view.known_shortlist(STORE, (ids[0], "fffffffffffff"))
    assert kept == (ids[0],) and note == "1 facility in this link is no longer in the directory."
    assert view.toggle_shortlist(tuple(f"f{i:012x}" for i in range(10)), "f0000000000ff") == tuple(
        f"f{i:012x}" for i in range(10)
    )  # full: nothing added
