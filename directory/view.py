"""What a search screen needs, as plain Python: the form, its URL, the list, the detail.

The Streamlit app (``app.py``) and any other front end are thin adapters over this
module: they read widgets into a :class:`SearchForm`, call :func:`run`, and render the
:class:`Outcome`, the rows of :func:`result_table` and a :class:`FacilityDetail`.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import hashlib
import math
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from .errors import DirectoryError, LocationNotFound, UnknownNameError
from .normalize import phones
from .search import Directory, Query, SearchResult
from .states import state_code
from .taxonomy import Taxonomy

#: The radius choices offered, in miles.
RADII = (5, 10, 25, 50, 100, 250, 500)
DEFAULT_RADIUS = 25

#: A record's services are "old" when their release is this many years before today.
STALE_AFTER_YEARS = 3

#: The treatment types shown as badges in the list, in this order.
BADGE_GROUPS = ("detox", "mat", "outpatient", "intensive-outpatient", "residential", "inpatient", "telehealth")

#: Sidebar families: form field → (taxonomy family, heading).
FILTERS = {
    "services": ("service", "Treatment type"),
    "medications": ("medication", "Medications"),
    "accreditations": ("accreditation", "Accreditation"),
    "payments": ("payment", "Payment"),
    "populations": ("population", "Populations served"),
}

#: URL query-string name of each form field.
PARAM_OF = {
    "near": "near", "radius": "radius", "services": "service", "match": "match",
    "medications": "medication", "accreditations": "accreditation", "payments": "payment",
    "populations": "population", "city": "city", "state": "state", "name": "name",
    "facility": "facility",
}
_REPEATED = {"services", "medications", "accreditations", "payments", "populations"}
_MAX_TEXT = 200


@dataclass(frozen=True)
class SearchForm:
    """The search screen's inputs, in friendly names (``detox``, ``joint-commission``)."""

    near: str = ""
    radius: int = DEFAULT_RADIUS
    services: tuple[str, ...] = ()
    match: str = "any"
    medications: tuple[str, ...] = ()
    accreditations: tuple[str, ...] = ()
    payments: tuple[str, ...] = ()
    populations: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    name: str = ""
    facility: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, object], taxonomy: Taxonomy | None = None
                    ) -> tuple["SearchForm", list[str]]:
        """Read a URL query string leniently: values that cannot be used are dropped, each with a warning.

        ``params`` maps names to a string or a list of strings (repeatable names).

        >>> form, warnings = SearchForm.from_params({"near": "Tampa, FL", "service": ["detox", "mat"], "radius": "50"})
        >>> form.near, form.services, form.radius, warnings
        ('Tampa, FL', ('detox', 'mat'), 50, [])
        >>> SearchForm.from_params({"radius": "7", "service": "detx"})[1]
        ['radius 7 is not offered; using 5 miles', "unknown treatment type 'detx' (did you mean detox, residential?)"]
        """
        taxonomy = taxonomy or Taxonomy.load()
        warnings: list[str] = []
        values: dict[str, object] = {}

        def all_of(key: str) -> list[str]:
            raw = params.get(key)
            if raw is None:
                return []
            items = [raw] if isinstance(raw, str) else list(raw)  # type: ignore[arg-type]
            return [str(v).strip()[:_MAX_TEXT] for v in items if str(v).strip()]

        def last(key: str) -> str:
            items = all_of(key)
            return items[-1] if items else ""

        for attr in ("near", "city", "name", "facility"):
            values[attr] = last(PARAM_OF[attr])
        radius = last("radius")
        if radius:
            values["radius"] = _nearest_radius(radius, warnings)
        match = last("match").lower()
        if match:
            if match in ("any", "all"):
                values["match"] = match
            else:
                warnings.append(f"match must be 'any' or 'all', not {match!r}; using 'any'")
        state = last("state")
        if state:
            code = state_code(state)
            if code:
                values["state"] = code
            else:
                warnings.append(f"unknown state {state!r}; showing every state")
        for attr, (family, heading) in FILTERS.items():
            chosen: list[str] = []
            for value in all_of(PARAM_OF[attr]):
                try:
                    group = taxonomy.resolve(value, family)
                except UnknownNameError as exc:
                    hint = f" (did you mean {', '.join(exc.suggestions)}?)" if exc.suggestions else ""
                    warnings.append(f"unknown {heading.lower()} {value!r}{hint}")
                    continue
                if group.name not in chosen:
                    chosen.append(group.name)
            values[attr] = tuple(chosen)
        return cls(**values), warnings  # type: ignore[arg-type]

    def to_params(self) -> dict[str, str | list[str]]:
        """The form as a URL query string: what differs from the defaults, and the radius whenever
        there is a place (so a shared link keeps its radius if the default changes).

        >>> SearchForm(near="Tampa, FL", services=("detox",)).to_params()
        {'near': 'Tampa, FL', 'radius': '25', 'service': ['detox']}
        >>> SearchForm(state="FL").to_params()
        {'state': 'FL'}
        """
        params: dict[str, str | list[str]] = {}
        default = SearchForm()
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name) and not (f.name == "radius" and self.near):
                continue
            if f.name == "radius" and not self.near:
                continue
            key = PARAM_OF[f.name]
            params[key] = list(value) if f.name in _REPEATED else str(value)
        return params

    def query_string(self) -> str:
        """``near=Tampa%2C+FL&service=detox`` — for links that reopen this search."""
        return urllib.parse.urlencode(self.to_params(), doseq=True)

    def signature(self) -> str:
        """A short stable key for the search (everything but the selected facility)."""
        return hashlib.sha1(self.with_(facility="").query_string().encode()).hexdigest()[:12]

    def to_query(self) -> Query:
        """The library :class:`~directory.search.Query` this form asks for."""
        return Query(
            near=self.near.strip() or None, radius_miles=self.radius,
            services=self.services, match=self.match, medications=self.medications,
            accreditations=self.accreditations, payments=self.payments, populations=self.populations,
            city=self.city.strip() or None, state=self.state.strip() or None, name=self.name.strip() or None,
        )

    def with_(self, **changes: object) -> "SearchForm":
        return replace(self, **changes)


def _nearest_radius(text: str, warnings: list[str]) -> int:
    try:
        wanted = float(text)
    except ValueError:
        warnings.append(f"radius {text!r} is not a number; using {DEFAULT_RADIUS} miles")
        return DEFAULT_RADIUS
    if not math.isfinite(wanted) or wanted <= 0:
        warnings.append(f"radius {text!r} is not offered; using {DEFAULT_RADIUS} miles")
        return DEFAULT_RADIUS
    best = min(RADII, key=lambda r: (abs(r - wanted), -r))
    if best != wanted:
        warnings.append(f"radius {text} is not offered; using {best} miles")
    return best


@dataclass
class Outcome:
    """The answer to a form: a result, or one readable message (with suggestions)."""

    form: SearchForm
    result: SearchResult | None = None
    message: str = ""
    suggestions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def heading(self) -> str:
        """``Showing results near Washington, IN`` (or for the whole directory)."""
        if self.result is None:
            return ""
        center = self.result.center
        if center is None:
            return "Showing facilities in the whole directory — type a place to search near it"
        return f"Showing results near {center.label}"

    @property
    def notes(self) -> list[str]:
        """What to tell a person about the result: the nearest were shown instead, or nothing matched."""
        if self.result is None:
            return []
        notes = []
        if self.result.note:
            notes.append(f"No facilities matched within {self.form.radius} miles, so the nearest matching ones "
                         f"are shown ({self.result.note}).")
        if self.result.total == 0:
            notes.append("No facilities match these filters. Remove a filter or search a wider area.")
        return notes

    @property
    def alternatives(self) -> list[str]:
        """Other places the typed text could mean (labels), when it was ambiguous."""
        if self.result is None or self.result.center is None:
            return []
        return [a["label"] for a in self.result.center.alternatives if a.get("label")]


def run(directory: Directory, form: SearchForm) -> Outcome:
    """Search; a bad place or value becomes a message, never an exception."""
    try:
        return Outcome(form, directory.search(form.to_query()))
    except LocationNotFound as exc:
        return Outcome(form, None, f"We could not find {form.near.strip()!r}. Try a ZIP code, "
                                   "\"City, ST\", an address or \"latitude, longitude\".", list(exc.suggestions))
    except UnknownNameError as exc:
        return Outcome(form, None, str(exc), list(exc.suggestions))
    except DirectoryError as exc:
        return Outcome(form, None, str(exc))


def option_label(taxonomy: Taxonomy, name: str, counts: Mapping[str, int]) -> str:
    """``Detox (12)``: a group's label with how many of the current results have it."""
    return f"{taxonomy.group(name).label} ({counts.get(name, 0):,})"


# -- the list ----------------------------------------------------------------------------------


def badges(directory: Directory, frame: pd.DataFrame) -> list[list[str]]:
    """For each row of a result frame, the labels of the treatment types (:data:`BADGE_GROUPS`) it offers."""
    cached = _list_columns(directory)["services"]
    return [cached[i] for i in directory.rows_of(frame["facility_id"])]


@lru_cache(maxsize=4)
def _list_columns(directory: Directory) -> dict[str, np.ndarray]:
    """The list's display columns for every row of the directory, computed once (a national
    list took 39 ms to build per rerun, 4 ms from this cache)."""
    frame = directory.frame
    labels = [directory.taxonomy.group(g).label for g in BADGE_GROUPS]
    has = np.stack([directory.group_masks[g] for g in BADGE_GROUPS], axis=1)
    services = np.empty(len(frame), dtype=object)
    services[:] = [[labels[j] for j in np.flatnonzero(row)] for row in has]
    return {
        "name": np.array([_title(a, b) for a, b in zip(frame["name"], frame["name2"])], dtype=object),
        "city": np.array([f"{c}, {s}" for c, s in zip(frame["city"], frame["state"])], dtype=object),
        "website": np.array([website_url(w) for w in frame["website"]], dtype=object),
        "services": services,
    }


#: The list shows at most this many rows (the map and the downloads have them all).
LIST_LIMIT = 1000


def result_table(directory: Directory, result: SearchResult, limit: int | None = LIST_LIMIT) -> pd.DataFrame:
    """The list beside the map: distance, name, city, phone, website (as a URL), badges —
    the first ``limit`` rows of the result, in its order."""
    frame = result.frame if limit is None else result.frame.iloc[:limit]
    rows = directory.rows_of(frame["facility_id"])
    columns = _list_columns(directory)
    distance = (frame["distance_miles"].to_numpy(dtype=float) if "distance_miles" in frame
                else np.full(len(frame), np.nan))
    return pd.DataFrame({
        "facility_id": frame["facility_id"].to_numpy(dtype=object),
        "distance_miles": distance,
        "name": columns["name"][rows],
        "city": columns["city"][rows],
        "phone": frame["phone"].to_numpy(dtype=object),
        "website": columns["website"][rows],
        "services": columns["services"][rows],
    })


def list_note(result: SearchResult, limit: int = LIST_LIMIT) -> str:
    """Said under a list that shows only part of the result ('' when it shows all)."""
    if result.total <= limit:
        return ""
    return (f"The list shows the first {limit:,} of {result.total:,} facilities; the map shows all of them, and "
            "the downloads have every one. Type a place or add a filter to narrow the list.")


def _title(name: str, name2: str) -> str:
    return f"{name} — {name2}" if name2 else str(name)


def website_url(text: object) -> str | None:
    """A clickable URL for a website field (scheme added), or None; only http(s).

    >>> website_url("www.example.org"), website_url("javascript:alert(1)"), website_url("")
    ('https://www.example.org', None, None)
    """
    value = str(text or "").strip()
    if not value:
        return None
    if not re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I):
        if ":" in value.split("/")[0] and not re.match(r"^[\w.-]+:\d+", value):
            return None
        value = "https://" + value
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        return None
    return value


def tel_url(phone: object) -> str | None:
    """``tel:+18135550100`` for a US phone number (extension kept as ``;ext=``), else None.

    >>> tel_url("813-555-0100 x12")
    'tel:+18135550100;ext=12'
    """
    found = phones(str(phone or ""))
    if not found:
        return None
    number, _, ext = found[0].partition(" x")
    return f"tel:+1{number.replace('-', '')}" + (f";ext={ext}" if ext.strip("0") else "")


def directions_url(latitude: float, longitude: float) -> str:
    """Directions to a point on OpenStreetMap (the person enters where they start)."""
    return (f"https://www.openstreetmap.org/directions?route=%3B{latitude:.5f}%2C{longitude:.5f}"
            f"#map=16/{latitude:.5f}/{longitude:.5f}")


# -- the detail --------------------------------------------------------------------------------


@dataclass
class FacilityDetail:
    """A facility as the detail view and the printed list show it. All text is raw:
    renderers escape it."""

    facility_id: str
    name: str
    program: str
    address_lines: list[str]
    phone: str
    phone_url: str | None
    intake_phone: str
    intake_phone_url: str | None
    website: str | None
    directions: str
    latitude: float
    longitude: float
    #: Category name → service labels, in code-book order.
    services: dict[str, list[str]]
    types: list[str]
    accreditation: list[str]
    payment: list[str]
    populations: list[str]
    sources: list[str]
    source_date: str
    services_as_of: str
    stale_note: str
    distance_miles: float | None = None
    #: "State licence 191198AP, expires 2027-10-31; capacity 6" when a licence list knows the site.
    licence: str = ""

    @classmethod
    def from_record(cls, record: Mapping[str, object], taxonomy: Taxonomy, *, today: date | None = None
                    ) -> "FacilityDetail":
        text = {k: ("" if v is None or (isinstance(v, float) and v != v) else str(v)) for k, v in record.items()}
        codes = [c for c in text.get("service_codes", "").split(";") if c]
        by_category: dict[str, list[str]] = {}
        order = list(taxonomy.categories().values())
        for code in codes:
            service = taxonomy.get(code)
            if not service.known:
                continue
            by_category.setdefault(service.category, []).append(service.label)
        services = {c: sorted(set(by_category[c]), key=str.lower)
                    for c in sorted(by_category, key=lambda c: order.index(c) if c in order else len(order))}
        code_set = set(codes)

        def groups(family: str) -> list[str]:
            return [g.label for g in taxonomy.groups_in(family) if g.codes & code_set]

        street = ", ".join(p for p in (text.get("street1", ""), text.get("street2", "")) if p)
        town = f"{text.get('city', '')}, {text.get('state', '')} {text.get('zip', '')}".strip(", ")
        lat, lon = float(text["latitude"]), float(text["longitude"])
        as_of = text.get("services_as_of", "")
        distance = text.get("distance_miles", "")
        return cls(
            facility_id=text.get("facility_id", ""), name=text.get("name", ""), program=text.get("name2", ""),
            address_lines=[line for line in (street, town) if line],
            phone=text.get("phone", ""), phone_url=tel_url(text.get("phone")),
            intake_phone=text.get("intake_phone", ""), intake_phone_url=tel_url(text.get("intake_phone")),
            website=website_url(text.get("website")), directions=directions_url(lat, lon),
            latitude=lat, longitude=lon, services=services,
            types=[g.label for g in taxonomy.groups_in("service") if g.codes & code_set] + groups("medication"),
            accreditation=groups("accreditation"), payment=groups("payment"), populations=groups("population"),
            sources=[s for s in text.get("sources", text.get("source", "")).split(";") if s],
            source_date=text.get("source_date", ""), services_as_of=as_of,
            stale_note=stale_note(as_of, today), distance_miles=float(distance) if distance else None,
            licence=_licence(text),
        )


def contacts(detail: FacilityDetail) -> list[tuple[str, str, str | None]]:
    """The detail's contact lines as (label, text, link): phone, intake (when it differs), website,
    directions."""
    lines: list[tuple[str, str, str | None]] = []
    if detail.phone:
        lines.append(("Phone", detail.phone, detail.phone_url))
    if detail.intake_phone and detail.intake_phone != detail.phone:
        lines.append(("Intake", detail.intake_phone, detail.intake_phone_url))
    if detail.website:
        lines.append(("Website", detail.website, detail.website))
    lines.append(("", "Directions (OpenStreetMap)", detail.directions))
    return lines


def highlights(detail: FacilityDetail) -> list[tuple[str, list[str]]]:
    """The headline facts that are present: treatment, accreditation, payment, populations."""
    return [(heading, values) for heading, values in (
        ("Treatment", detail.types), ("Accreditation", detail.accreditation),
        ("Payment", detail.payment), ("Populations", detail.populations)) if values]


def provenance(detail: FacilityDetail) -> str:
    """Where the record comes from and how old it is, in one sentence."""
    return (f"Source: {', '.join(detail.sources)}; record as of {detail.source_date}; "
            f"services as of {detail.services_as_of}. Facility id {detail.facility_id}.")


def _licence(text: Mapping[str, str]) -> str:
    number = text.get("license_number", "")
    if not number:
        return ""
    parts = [f"State licence {number}"]
    if text.get("license_expiration"):
        parts[0] += f", expires {text['license_expiration']}"
    if text.get("capacity") and text["capacity"] != "0":
        parts.append(f"capacity {text['capacity']}")
    return "; ".join(parts)


def stale_note(services_as_of: str, today: date | None = None) -> str:
    """A warning when a record's services come from an old release.

    >>> stale_note("2015-03-31", date(2026, 11, 26))
    'Services as listed in 2015 — call to confirm.'
    >>> stale_note("2025-06-01", date(2026, 11, 26))
    ''
    """
    match = re.match(r"(\d{4})", services_as_of or "")
    if not match:
        return "The date of these services is unknown — call to confirm."
    year = int(match.group(1))
    if (today or date.today()).year - year >= STALE_AFTER_YEARS:
        return f"Services as listed in {year} — call to confirm."
    return ""


# -- downloads ---------------------------------------------------------------------------------

#: Shown in the app footer and on printed lists.
ATTRIBUTION = ("Facility data: SAMHSA, public domain (N-SSATS 2015 directory; locator lists 2020-2021 and "
               "OTP directory 2022 as compiled by the Opioid Environment Policy Scan, doi:10.5281/zenodo.5842465; "
               "FindTreatment.gov 2025). California licence data: California DHCS, CC-BY 4.0. "
               "Place names: GeoNames, CC-BY 4.0. ZIP points and outlines: US Census Bureau.")


@dataclass(frozen=True)
class Download:
    """One file a person can download; ``make`` builds the bytes only when asked."""

    label: str
    file_name: str
    mime: str
    make: object  # Callable[[], bytes | str]


def printable_list(directory: Directory, result: SearchResult, *, today: date | None = None) -> str:
    """The referral list as a printable HTML page."""
    from .exports import to_html

    frame = result.frame.assign(services=badges(directory, result.frame))
    when = (today or date.today()).isoformat()
    return to_html(frame, title="Treatment facilities — referral list", subtitle=result.describe(),
                   generated=f"Printed {when}.", attribution=ATTRIBUTION)


def downloads(directory: Directory, result: SearchResult) -> list[Download]:
    """CSV (Excel-safe), XLSX, GeoJSON and the printable list, all from :mod:`directory.exports`."""
    from . import exports

    name = exports.result_filename
    return [
        Download("CSV", name(result, "csv"), "text/csv", lambda: exports.to_csv(result.frame)),
        Download("Excel", name(result, "xlsx"),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 lambda: exports.to_xlsx(result.frame)),
        Download("GeoJSON", name(result, "geojson"), "application/geo+json",
                 lambda: exports.geojson_text(result.frame, area=result.area)),
        Download("Printable list", name(result, "html"), "text/html",
                 lambda: printable_list(directory, result)),
    ]


# -- rendering helpers (escaping) --------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=])")


def md_escape(text: object) -> str:
    """Facility text made inert for Markdown renderers (Streamlit's included): every ASCII
    punctuation character that Markdown, HTML, LaTeX (``$``) or colour directives (``:blue[``)
    could use is backslash-escaped; line breaks become spaces.

    >>> md_escape("<b>[x](javascript:1)</b> $5 :red[hi]")
    '\\\\<b\\\\>\\\\[x\\\\]\\\\(javascript\\\\:1\\\\)\\\\</b\\\\> \\\\$5 \\\\:red\\\\[hi\\\\]'
    """
    value = "" if text is None else re.sub(r"\s+", " ", str(text)).strip()
    return _MD_SPECIAL.sub(r"\\\1", value)


def md_link(text: object, url: str | None) -> str:
    """A Markdown link with escaped text and a URL with no characters that could end it early."""
    if not url:
        return md_escape(text)
    safe_url = urllib.parse.quote(url, safe=":/?#@!$&'*+,;=%~-._")
    return f"[{md_escape(text)}]({safe_url})"
