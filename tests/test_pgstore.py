"""The PostGIS store against the in-memory store, on a throwaway PostgreSQL + PostGIS cluster the
tests start themselves (127.0.0.1, a free port): the same ids in the same order, distances within
10 m and the same facets for random queries on the national file; loads that are atomic; reports
from several processes; and a database that goes away and comes back."""

from __future__ import annotations

import multiprocessing
import time

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.cli import cli
from directory.core.errors import DatabaseUnavailable, InputFileError
from directory.search import Query
from directory.stores.base import open_store

from .browser import needs_chromium
from .conftest import REPO, national_directory, shown_list
from .pg import cluster, needs_postgis

pytestmark = needs_postgis

SERVICES = ["detox", "mat", "outpatient", "residential", "telehealth", "inpatient"]


@pytest.fixture(scope="module")
def pg():
    from directory.stores.postgis import PostgisStore, load

    with cluster() as c:
        load(c.dsn, REPO / "data/facilities.csv")
        store = PostgisStore(c.dsn)
        c.store = store
        yield c
        store.close()


def same(memory, database) -> None:
    assert database.ids == memory.ids
    assert database.total == memory.total and database.note == memory.note
    if memory.distances is not None:
        assert np.abs(database.distances - memory.distances).max(initial=0) * 1609.344 <= 10
    assert database.facets == memory.facets and database.listed == memory.listed
    assert (database.older, database.older_years) == (memory.older, memory.older_years)
    assert database.describe() == memory.describe()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_queries_answer_as_the_in_memory_store(pg, data):
    memory = national_directory()
    i = data.draw(st.integers(0, memory.n - 1))
    lat = float(memory.lat[i]) + data.draw(st.floats(-0.3, 0.3))
    lon = float(memory.lon[i]) + data.draw(st.floats(-0.3, 0.3))
    nearest = data.draw(st.one_of(st.none(), st.integers(1, 25)))
    query = Query(
        near=(lat, lon),
        radius_miles=data.draw(st.sampled_from([1, 5, 10, 25, 100])),
        nearest=nearest,
        services=tuple(data.draw(st.lists(st.sampled_from(SERVICES), max_size=2, unique=True))),
        match=data.draw(st.sampled_from(["any", "all"])),
        payments=tuple(data.draw(st.lists(st.sampled_from(["medicaid", "cash"]), max_size=1))),
        accreditations=tuple(data.draw(st.lists(st.sampled_from(["carf", "joint-commission"]), max_size=1))),
        listed_since=data.draw(st.sampled_from(["2021", "any", "2026"])),
        nearest_within_miles=data.draw(st.sampled_from([25.0, 100.0, 500.0])),
        limit=data.draw(st.sampled_from([None, 10])),
        sort=data.draw(st.sampled_from(["distance", "name"])),
    )
    same(memory.search(query), pg.store.search(query))


@pytest.mark.parametrize(
    "query",
    [
        Query(near="Tampa, FL", services=("detox",), payments=("medicaid",)),
        Query(state="VT"),
        Query(city="Saint Louis", state="MO"),
        Query(county="Suffolk", state="MA", sort="name"),
        Query(near="Ely, NV", radius_miles=5, medications=("methadone",), nearest_within_miles=400),
        Query(name="Gateway Comm Svcs"),
        Query(near="Boston, MA", listed_since="any", sort="name"),
        Query(near="Dorchester Center, MA"),
        Query(languages=("spanish",), state="FL"),
    ],
)
def test_named_queries_answer_as_the_in_memory_store(pg, query):
    same(national_directory().search(query), pg.store.search(query))


def test_facility_count_and_status(pg):
    memory = national_directory()
    some = memory.search(Query(near="Tampa, FL")).ids[3]
    assert pg.store.facility(some) == memory.facility(some) and pg.store.facility("fnope") is None
    assert pg.store.count() == memory.n
    assert pg.store.listed_years() == memory.listed_years()
    out = CliRunner().invoke(cli, ["db", "status", pg.dsn])
    assert out.exit_code == 0 and f"{memory.n:,} facilities served" in out.output


def test_the_cli_searches_the_database_as_the_file(pg):
    runner = CliRunner()
    args = ["search", "--near", "Tampa, FL", "--service", "detox", "--format", "csv"]
    assert runner.invoke(cli, [*args, "--data", pg.dsn]).stdout == runner.invoke(cli, args).stdout


def test_an_interrupted_load_keeps_the_old_data_served(pg, tmp_path):
    import csv

    from directory.stores.postgis import load, status

    broken = tmp_path / "broken.csv"
    with (REPO / "data/facilities.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[5000][rows[0].index("latitude")] = "north"  # row 5,000 cannot be loaded: the COPY stops halfway
    with broken.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    before = status(pg.dsn)
    with pytest.raises(InputFileError, match="row 5001.*nothing was loaded"):
        load(pg.dsn, broken)
    assert status(pg.dsn) == before and pg.store.count() == national_directory().n


def _send_reports(dsn: str, worker: int, n: int) -> None:
    from directory.curation.reports import DatabaseReportStore, Report

    store = DatabaseReportStore(dsn)
    for i in range(n):
        store.add(Report(f"f{worker:06d}{i:06d}", f"Facility {worker}-{i}", "Phone number is wrong", f"report {i}"))


def test_reports_from_several_processes_are_all_kept(pg):
    from directory.curation.reports import open_reports

    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_send_reports, args=(pg.dsn, w, 25)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
    assert all(p.exitcode == 0 for p in workers)
    found, problems = open_reports(data=pg.dsn).list()
    assert problems == [] and len(found) == 100 and len({r.report_id for r in found}) == 100
    out = CliRunner().invoke(cli, ["reports", "--data", pg.dsn])
    assert out.exit_code == 0 and out.output.startswith("100 reports")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_page_of_a_selection_is_the_in_memory_stores_page(pg, data):
    """HSDA's lists: the database counts and takes the window itself (by the id index)."""
    import datetime as dt

    from directory.search.selection import Selection

    selection = Selection(
        codes=data.draw(st.one_of(st.none(), st.sets(st.sampled_from(["dt", "md", "op", "mm", "xx"]), max_size=2))),
        words=tuple(data.draw(st.lists(st.sampled_from(["detox", "county", "recovery", "tampa", "fl"]), max_size=2))),
        modified_since=data.draw(st.one_of(st.none(), st.dates(dt.date(2018, 1, 1), dt.date(2026, 12, 31)))),
        zip_code=data.draw(st.one_of(st.none(), st.sampled_from(["33602", "02118"]))),
    )
    start = data.draw(st.one_of(st.integers(0, 300), st.integers(0, 30_000)))  # mostly pages that hold sites
    size = data.draw(st.integers(1, 500))
    memory = national_directory()
    assert pg.store.select_page(selection, start, size) == memory.select_page(selection, start, size)
    ids, _ = memory.select(selection)
    assert memory.select_page(selection, start, size) == (ids[start : start + size], len(ids))


def test_a_database_loaded_by_an_earlier_version_asks_for_a_new_load(pg):
    """A table without this version's search columns (here: without facet_keys) is one clear line
    naming the command that fixes it, not an SQL error on the first search."""
    import psycopg

    old = pg.dsn.rsplit("/", 1)[0] + "/earlier"
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS earlier")
        conn.execute("CREATE DATABASE earlier")
    with psycopg.connect(old, autocommit=True) as conn:
        conn.execute("CREATE TABLE directory_loads (id serial, columns text[])")
        conn.execute("INSERT INTO directory_loads (columns) VALUES ('{facility_id,name}')")
        conn.execute("CREATE TABLE facilities (row_no integer, facility_id text, record jsonb)")
    with pytest.raises(DatabaseUnavailable, match="earlier version of the directory; run: directory db load"):
        open_store(old)
    current = open_store(pg.dsn)  # the current one opens
    try:
        assert current.count() == pg.store.count()
    finally:
        current.close()


def test_a_database_that_is_down_then_back(pg):
    from fastapi.testclient import TestClient

    from directory.http.api import create_app

    client = TestClient(create_app(pg.store))
    assert client.get("/healthz").json()["status"] == "ok"
    pg.stop()
    try:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "database unavailable"
        search = client.get("/v1/facilities", params={"near": "Tampa, FL"})
        assert search.status_code == 503 and "unreachable" in search.json()["detail"]
        with pytest.raises(DatabaseUnavailable, match="unreachable"):
            open_store(pg.dsn)
        out = CliRunner().invoke(cli, ["search", "--near", "Tampa, FL", "--data", pg.dsn])
        assert (
            out.exit_code == 2
            and out.output.startswith("error: the database at 127.0.0.1")
            and "Traceback" not in out.output
        )
    finally:
        pg.start()
    # The pool reconnects by itself (with backoff): healthy again within seconds, no restart of the API.
    deadline = time.monotonic() + 30
    while client.get("/healthz").status_code != 200:
        assert time.monotonic() < deadline, "the store did not recover after the database came back"
        time.sleep(0.5)
    assert (
        client.get("/v1/facilities", params={"near": "Tampa, FL"}).json()["total"]
        == national_directory().search(Query(near="Tampa, FL")).total
    )


def test_the_api_over_the_database_answers_the_same_records_and_revalidates(pg):
    from fastapi.testclient import TestClient

    from directory.http.api import create_app

    database, memory = TestClient(create_app(pg.store)), TestClient(create_app(national_directory()))
    for params in ({"near": "Tampa, FL", "service": "detox"}, {"state": "WY", "page_size": 20, "page": 2}):
        a, b = database.get("/v1/facilities", params=params).json(), memory.get("/v1/facilities", params=params).json()
        for row in a["results"] + b["results"]:
            row.pop("distance_miles", None)  # the same within metres (see above), not always to the hundredth
        assert a["results"] == b["results"] and a["total"] == b["total"]
    first = database.get("/v1/facilities", params={"near": "Tampa, FL"})
    tag = first.headers["etag"]
    assert tag.strip('"').split(".")[0] != memory.get("/v1/facilities", params={"near": "Tampa, FL"}).headers[
        "etag"
    ].strip('"')  # another load (the database's), another tag
    assert (
        database.get("/v1/facilities", params={"near": "Tampa, FL"}, headers={"If-None-Match": tag}).status_code == 304
    )


def test_the_app_says_the_database_is_down_then_searches_again_once_it_is_back(pg, monkeypatch):
    """A search made while the database is down shows one line saying so (no error box); the same
    search once it is back lists its facilities: a failed search is not kept as the answer."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DIRECTORY_FACILITIES", pg.dsn)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["near"] = "Jacksonville, FL"
    at.run()
    assert not at.exception and not at.warning
    query = Query(near="Gainesville, FL", services=("detox",))  # a search of this test alone
    pg.stop()
    time.sleep(1.1)  # past the live state's once-a-second read: the next run asks the database for it too
    try:
        at.text_input(key="w_near").set_value("Gainesville, FL")
        at.multiselect(key="w_services").set_value(["detox"])
        at.run()
        assert not at.exception
        (warning,) = at.warning
        assert "is unreachable" in warning.value and "Traceback" not in warning.value
        assert shown_list(at) is None
    finally:
        pg.start()
    deadline = time.monotonic() + 30
    while True:
        at.run()
        assert not at.exception
        if shown_list(at):
            break
        assert time.monotonic() < deadline, [w.value for w in at.warning]
        time.sleep(0.5)
    assert shown_list(at)["ids"] == national_directory().search(query).ids


@needs_chromium
def test_the_app_over_the_database_shows_what_it_shows_over_the_file(pg, browser):
    """DIRECTORY_FACILITIES=postgresql://… : the same search in the app, in Chromium, lists the same total."""
    from .browser import alerts, idle, new_page, sentence_total, serve_app, shot

    expected = national_directory().search(Query(near="Tampa, FL", services=("detox",)))
    with serve_app({"DIRECTORY_FACILITIES": pg.dsn}) as url:
        page = new_page(browser, url)
        page.goto(url + "/?near=Tampa%2C+FL&service=detox")
        idle(page, "Showing results near Tampa, FL")
        assert not any("unreachable" in a or "error" in a.lower() for a in alerts(page)), alerts(page)
        assert sentence_total(page) == expected.total
        shot(page, "app-over-postgis")
        page.context.close()


def test_drive_times_over_the_database_are_the_in_memory_stores(pg, server):
    """The same router over both stores: the same minutes, order, limit and counts (the ``ids`` a
    drive-time search narrows to are a SQL condition here)."""
    import copy

    from directory.routing import parse_setting

    router = parse_setting(f"osrm:{server.url}")
    memory = copy.copy(national_directory())
    memory.router = router
    from directory.stores.postgis import PostgisStore

    database = PostgisStore(pg.dsn)
    database.router = router
    try:
        for query in (
            Query(near="Tampa, FL", radius_miles=5, services=("mat",)),
            Query(near="Tampa, FL", max_minutes=12),
            Query(near="Tampa, FL", max_minutes=1),  # none that near: the nearest by drive time
        ):
            on_file, in_db = memory.search(query), database.search(query)
            same(on_file, in_db)
            assert in_db.drive is not None
            assert np.allclose(in_db.drive.minutes, on_file.drive.minutes, equal_nan=True)
    finally:
        database.close()
