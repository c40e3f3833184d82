"""The online path against a Nominatim-like server on 127.0.0.1 that the test starts. No internet."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from directory.core.errors import GeocoderConfigError, LocationNotFound
from directory.core.schema import read_facilities, write_facilities
from directory.geocode import CachedGeocoder, GeocodeCache, OnlineOptions, locate, make_provider, offline
from directory.geocode.batch import geocode_file

from .conftest import REPO

USER_AGENT = "directory-tests/1.0 (tests@example.invalid)"


class FakeNominatim(BaseHTTPRequestHandler):
    """Answers /search like Nominatim. The query text selects the behaviour."""

    requests: Counter = Counter()
    lock = threading.Lock()

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        url = urlparse(self.path)
        query = parse_qs(url.query).get("q", [""])[0]
        with self.lock:
            self.requests[query] += 1
            seen = self.requests[query]
        if url.path != "/search":
            return self._send(404, {"error": "not found"})
        if "ratelimited" in query and seen <= 2:
            return self._send(429, {"error": "too many requests"})
        if "broken" in query:
            return self._send(500, {"error": "server error"})
        if "slow" in query:
            time.sleep(1.5)
        if "nowhere" in query:
            return self._send(200, [])
        # a deterministic point near Tampa, different per query
        offset = (sum(map(ord, query)) % 100) / 1000
        return self._send(
            200,
            [
                {
                    "lat": str(27.9 + offset),
                    "lon": str(-82.4 - offset),
                    "display_name": f"{query} (fake)",
                    "addresstype": "house",
                }
            ],
        )

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server():
    FakeNominatim.requests = Counter()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeNominatim)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _geocoder(server, cache=None, retries=2) -> tuple[CachedGeocoder, list[float]]:
    options = OnlineOptions(
        user_agent=USER_AGENT,
        domain=f"127.0.0.1:{server.server_address[1]}",
        scheme="http",
        timeout=0.5,
        min_delay_seconds=0.0,
        retries=retries,
        backoff_seconds=0.1,
    )
    waits: list[float] = []
    provider = make_provider("nominatim", options)
    return CachedGeocoder(
        "nominatim", provider, cache=cache, options=options, fallback=offline(), sleep=waits.append
    ), waits


def test_answer_is_located_with_address_precision(server):
    geocoder, _ = _geocoder(server)
    place = locate("401 N Ashley Dr, Tampa, FL 33602", geocoder)
    assert place.precision == "address" and 27.9 <= place.latitude < 28.0


def test_429_is_retried_with_backoff(server):
    geocoder, waits = _geocoder(server)
    place = locate("ratelimited 1 Main St, Tampa, FL", geocoder)
    assert place.precision == "address"
    assert FakeNominatim.requests["ratelimited 1 Main St, Tampa, FL"] == 3
    assert waits == [0.1, 0.2]  # exponential backoff


def test_500_after_retries_falls_back_offline_with_lower_precision(server):
    geocoder, waits = _geocoder(server)
    place = locate("broken 1 Main St, Tampa, FL 33602", geocoder)
    assert FakeNominatim.requests["broken 1 Main St, Tampa, FL 33602"] == 3
    assert place.precision == "zip" and geocoder.fallbacks == 1


def test_slow_reply_past_the_timeout_falls_back(server):
    geocoder, _ = _geocoder(server, retries=0)
    place = locate("slow 1 Main St, Tampa, FL", geocoder)
    assert place.precision == "city" and geocoder.fallbacks == 1


def test_no_match_raises_our_error_and_is_cached(server, tmp_path):
    with GeocodeCache(tmp_path / "c.sqlite") as cache:
        geocoder, _ = _geocoder(server, cache)
        for _ in range(2):
            with pytest.raises(LocationNotFound):
                locate("nowhere at all", geocoder)
    assert FakeNominatim.requests["nowhere at all"] == 1


def test_cache_makes_a_rerun_send_zero_requests(server, tmp_path):
    with GeocodeCache(tmp_path / "c.sqlite") as cache:
        geocoder, _ = _geocoder(server, cache)
        first = locate("1 Main St, Tampa, FL", geocoder)
    with GeocodeCache(tmp_path / "c.sqlite") as cache:
        geocoder, _ = _geocoder(server, cache)
        again = locate("1  main st,  TAMPA, fl", geocoder)  # normalised key: same entry
        assert geocoder.requests == 0
    assert (first.latitude, first.longitude) == (again.latitude, again.longitude)
    assert sum(FakeNominatim.requests.values()) == 1


def test_nominatim_without_a_real_user_agent_is_refused():
    with pytest.raises(GeocoderConfigError, match="user agent"):
        make_provider("nominatim", OnlineOptions())
    with pytest.raises(GeocoderConfigError, match="unknown geocoder"):
        make_provider("no-such-provider", OnlineOptions())


def _input_without_coordinates(tmp_path, n=6):
    frame = read_facilities(REPO / "data/facilities.csv")
    # distinct addresses: each is one request to the geocoder
    frame = frame.drop_duplicates(["street1", "city", "state", "zip"]).head(n).copy()
    frame["latitude"] = ""
    frame["longitude"] = ""
    frame["geocode_precision"] = ""
    path = tmp_path / "in.csv"
    write_facilities(frame, path)
    return path, frame


def test_interrupted_batch_resumes_without_repeating_a_request(server, tmp_path):
    source, frame = _input_without_coordinates(tmp_path)
    out = tmp_path / "out.csv"
    cache_path = tmp_path / "cache.sqlite"

    class Interrupting(CachedGeocoder):
        calls = 0

        def locate(self, query):
            Interrupting.calls += 1
            if Interrupting.calls == 4:
                raise KeyboardInterrupt
            return super().locate(query)

    with GeocodeCache(cache_path) as cache:
        base, _ = _geocoder(server, cache)
        interrupting = Interrupting(
            "nominatim", base.provider, cache=cache, options=base.options, fallback=offline(), sleep=lambda s: None
        )
        with pytest.raises(KeyboardInterrupt):
            geocode_file(source, out, geocoder=interrupting)
        assert not out.exists()  # no half-written output
        assert not list(tmp_path.glob(".out.csv.*"))  # and no temporary left behind
        assert len(cache) == 3
    with GeocodeCache(cache_path) as cache:
        geocoder, _ = _geocoder(server, cache)
        counts = geocode_file(source, out, geocoder=geocoder)
    assert counts == {"address": 6}
    assert set(FakeNominatim.requests.values()) == {1}  # every address asked exactly once
    result = read_facilities(out)
    assert (result["geocode_precision"] == "address").all() and (result["latitude"] != "").all()


def test_offline_batch_fills_only_rows_without_coordinates(tmp_path):
    source, frame = _input_without_coordinates(tmp_path)
    full = read_facilities(REPO / "data/facilities.csv").head(3)
    mixed = read_facilities(source)
    mixed.iloc[:3] = full.values
    write_facilities(mixed, source)
    counts = geocode_file(source, tmp_path / "out.csv")
    assert counts["unchanged"] == 3 and sum(v for k, v in counts.items() if k != "unchanged") == 3
    forced = geocode_file(source, tmp_path / "out2.csv", force=True)
    assert "unchanged" not in forced and sum(forced.values()) == 6
