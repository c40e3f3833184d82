"""The results list's data (directory.view.listview): what the list component draws, against the result
table it is made from; text stays text; a click's index names its facility."""

from __future__ import annotations

import json

import pytest

from directory.core.i18n import using
from directory.core.schema import read_facilities
from directory.search import Query
from directory.stores.memory import Directory
from directory.view import listview, result_table, tel_url, website_url

from .conftest import national_directory


@pytest.fixture(scope="module")
def directory() -> Directory:
    return national_directory()


def test_the_rows_are_the_result_tables_rows(directory):
    result = directory.search(Query(near="Tampa, FL", radius_miles=50))
    table = result_table(directory, result)
    data = listview.list_data(directory, result)
    assert list(data.ids) == list(table["facility_id"]) == result.ids
    assert data.rows["name"] == list(table["name"]) and data.rows["city"] == list(table["city"])
    # each row's treatment types, looked up in the one list of labels, are the table's badges in order
    assert [[data.types[t] for t in row] for row in data.rows["services"]] == list(table["services"])
    assert data.sort["distance_miles"] == [round(m, 1) for m in table["distance_miles"]]
    assert data.rows["distance_miles"] == [f"{m:.1f}" for m in table["distance_miles"]]
    # every phone is a tel: link; a row with none offers the national helpline's
    for phone, tel in zip(data.rows["phone"], data.rows["tel"], strict=True):
        assert tel == (tel_url(phone) or "tel:+18006624357") and tel.startswith("tel:+1")
    assert [c.key for c in data.columns][:3] == ["name", "distance_miles", "phone"]  # no drive time measured


def test_only_validated_websites_are_links_and_the_list_stops_at_its_limit(directory):
    result = directory.search(Query())
    data = listview.list_data(directory, result)
    assert len(data.ids) == listview.LIST_LIMIT < result.total
    links = [w for w in data.rows["website"] if w]
    assert links, "the national list's first rows have websites"
    raw = dict(zip(result.ids, result.frame["website"], strict=True))
    for facility_id, link in zip(data.ids, data.rows["website"], strict=True):
        href = website_url(raw[facility_id])
        assert link == (None if href is None else [href, link[1]])
        if link:
            assert link[0].startswith(("http://", "https://")) and link[1] in link[0].lower()
            assert not link[1].startswith("www.")


def test_text_stays_text_and_the_script_never_parses_it():
    """A name with markup (a real row, renamed inside this test) is sent as it is, for ``textContent``;
    the list's script has no HTML parsing at all."""
    frame = read_facilities()
    row = frame[(frame["state"] == "FL") & (frame["city"] == "Tampa")].head(5).copy()
    hostile = "<img src=x onerror=alert(1)> [click](javascript:alert(1))"
    row.iloc[0, row.columns.get_loc("name")] = hostile
    row.iloc[0, row.columns.get_loc("website")] = "javascript:alert(1)"
    directory = Directory(row)
    data = listview.list_data(directory, directory.search(Query(near="Tampa, FL")))
    (i,) = [k for k, name in enumerate(data.rows["name"]) if name.startswith(hostile)]  # "NAME — program"
    assert data.rows["website"][i] is None
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in listview.LIST_JS


def test_the_payload_marks_the_selection_and_a_click_names_its_facility(directory):
    result = directory.search(Query(near="Washington, IN", radius_miles=50))
    data = listview.list_data(directory, result)
    payload = data.payload(data.ids[3])
    assert payload["selected"] == 3 and data.payload("nope")["selected"] == -1
    assert json.loads(json.dumps(payload)) == payload  # JSON as it is
    assert listview.picked_id(3, data) == data.ids[3]
    for bad in (-1, len(data.ids), True, "3", None, 2.0):
        assert listview.picked_id(bad, data) is None
    # a short list's box is as tall as its rows, a long one stops at LIST_HEIGHT and scrolls
    assert payload["height"] == min(listview.LIST_HEIGHT, 40 + 36 * len(data.ids))


def test_another_language_is_another_key(directory):
    """The component draws its rows anew only when the key changes: the same result in Spanish has
    Spanish words (a type's label, the header), so it has its own key."""
    result = directory.search(Query(near="Miami, FL", services=("detox",)))
    english = listview.list_data(directory, result)
    with using("es"):
        spanish = listview.list_data(directory, result)
        titles = [c["title"] for c in spanish.payload()["columns"]]
    assert english.key != spanish.key and english.ids == spanish.ids
    assert "Desintoxicación" in spanish.types and "Detox" in english.types
    assert "Nombre" in titles
    assert listview.list_data(directory, result).key == english.key  # the same rows, the same key
