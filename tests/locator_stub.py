"""A stand-in for FindTreatment.gov's locator JSON export, on 127.0.0.1, for the refresh tests.

Its facilities are real rows cut from the shipped ``data/facilities.csv`` (one or two small
states), served the way the locator serves them — distance queries (``sAddr``, ``limitType=2``,
``limitValue`` in metres), pages, services as ``{"f1", "f2", "f3"}`` blocks — with the quirks
public notes report, applied to chosen rows: latitude and longitude swapped, placeholder phones,
``typeFacility`` for ``type_facility``, ``services: null``, service names that drifted from the
code book and one it never had. ``faults`` scripts the first replies (429 with Retry-After, 500,
a truncated body); ``ignore_location`` answers every query with the same rows; ``fail_after``
answers 500 to everything after that many good replies (an outage mid-harvest). Not a test module.
"""

from __future__ import annotations

import json
import math
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from directory.core.facility import Facility
from directory.core.geo import great_circle_km
from directory.core.taxonomy import Taxonomy

#: Names the locator has used that differ from the 2023 code book's (see docs/refresh.md): the 2021 book's
#: names, kept as aliases, and a slash written with spaces; and a name it has that the book lacks.
DRIFTED = {
    "stag": "State Substance Abuse agency",
    "carf": "Commission on Accreditation of Rehabilitation Facilities",
    "res": "Residential / 24-hour residential",
}
UNKNOWN_NAME = "Recovery coaching by phone (new)"


def locator_row(record: Facility, taxonomy: Taxonomy, n: int) -> tuple[dict, tuple[float, float]]:
    """The locator's JSON row for a shipped record (quirks by its position ``n``), and its true point."""
    blocks: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for code in sorted(record.service_codes):
        service = taxonomy.get(code)
        if not service.known:
            continue
        blocks.setdefault(service.category_code, []).append(DRIFTED.get(code, service.label))
        names[service.category_code] = service.category
    services = [{"f1": names[c], "f2": c, "f3": "; ".join(labels)} for c, labels in sorted(blocks.items())]
    if n % 7 == 3:
        services.append({"f1": "Ancillary Services", "f2": "AS", "f3": UNKNOWN_NAME})
    lat, lon = f"{record.latitude:.6f}", f"{record.longitude:.6f}"
    row = {
        "name1": record.name,
        "name2": record.name2,
        "street1": record.street1,
        "street2": record.street2,
        "city": record.city,
        "state": record.state,
        "zip": record.zip,
        "phone": record.phone,
        "intake1": record.intake_phone,
        "intake2": "",
        "hotline1": "",
        "website": record.website,
        "latitude": lat,
        "longitude": lon,
        "services": services,
    }
    row["typeFacility" if n % 5 == 1 else "type_facility"] = "SA"
    if n % 11 == 4:
        row["latitude"], row["longitude"] = lon, lat  # swapped
    if n % 13 == 6:
        row["phone"] = "(999) 999-9999"
    if n % 17 == 9:
        row["services"] = None
    return row, (record.latitude, record.longitude)


class LocatorStub:
    def __init__(self, records: list[Facility], taxonomy: Taxonomy | None = None) -> None:
        tax = taxonomy or Taxonomy.load()
        self.rows = [locator_row(r, tax, n) for n, r in enumerate(records)]
        self.requests: list[str] = []
        self.faults: list[tuple[int, dict[str, str], bytes]] = []
        self.ignore_location = False
        self.fail_after: int | None = None
        self.good = 0
        self.lock = threading.Lock()

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append(path)
            if self.faults:
                return self.faults.pop(0)
            if self.fail_after is not None and self.good >= self.fail_after:
                return 500, {}, b"down"
            self.good += 1
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        lat, lon = (float(v) for v in query["sAddr"][0].strip('"').split(","))
        metres = float(query["limitValue"][0])
        size, page = int(query["pageSize"][0]), int(query["page"][0])
        if self.ignore_location:
            hits = [row for row, _ in self.rows[:19]]
        else:
            found = []
            for row, (y, x) in self.rows:
                km = great_circle_km(lat, lon, y, x)
                if km * 1000 <= metres:
                    found.append((km, row["name1"], {**row, "miles": round(km / 1.609344, 2)}))
            hits = [row for _, _, row in sorted(found, key=lambda t: (t[0], t[1]))]
        pages = math.ceil(len(hits) / size)
        body = {
            "page": page,
            "totalPages": pages,
            "recordCount": len(hits),
            "rows": hits[(page - 1) * size : page * size],
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def serve(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                status, headers, body = stub.answer(self.path)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}/locator/exportsAsJson/v2"
