"""What a person can download from a search: CSV, Excel, GeoJSON and a printable list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..core.i18n import N_, _, day, pgettext
from ..search import SearchResult
from ..stores.base import Store
from .results import badges

#: Shown in the app footer and on printed lists (in the current language: :func:`attribution`).
ATTRIBUTION = N_(
    "Facility data: SAMHSA, public domain (N-SSATS 2015 directory; locator lists 2020-2021 and "
    "OTP directory 2022 as compiled by the Opioid Environment Policy Scan, doi:10.5281/zenodo.5842465; "
    "National Directory of Substance Use Treatment Facilities 2023; OTP directory of May 2026; "
    "FindTreatment.gov download 2023 (Texas) and export 2025; FindTreatment.gov national listing 2026 via the "
    "LOUD study, healthyregions/loud-study). CMS list of Medicare-enrolled opioid treatment programs 2023, "
    "public domain. California licence data: California DHCS, CC-BY 4.0. Colorado provider directory: "
    "Colorado Behavioral Health Administration (LADDERS, 2023). "
    "Place names: GeoNames, CC-BY 4.0. ZIP points and outlines: US Census Bureau. "
    "This directory takes no payment for listing or placement."
)


def attribution() -> str:
    """:data:`ATTRIBUTION` in the current language (the sources' names stay as published)."""
    return _(ATTRIBUTION)


@dataclass(frozen=True)
class Download:
    """One file a person can download; ``make`` builds the bytes only when asked."""

    label: str
    file_name: str
    mime: str
    make: object  # Callable[[], bytes | str]


def printable_list(
    store: Store, result: SearchResult, *, today: date | None = None, print_on_load: bool = False
) -> str:
    """The referral list as a printable HTML page (``print_on_load``: it opens the print dialog itself,
    for a page the app shows only when a person asks to print)."""
    from ..exports.tabular import to_html

    frame = result.frame.assign(services=badges(store, result.frame))
    return to_html(
        frame,
        title=_("Treatment facilities — referral list"),
        subtitle=result.describe(),
        generated=_("Printed {date}.").format(date=day(today or date.today())),
        attribution=attribution(),
        print_on_load=print_on_load,
    )


def downloads(store: Store, result: SearchResult) -> list[Download]:
    """CSV (Excel-safe), XLSX, GeoJSON and the printable list, all from :mod:`directory.exports.tabular.tabular`."""
    from ..exports import tabular as exports
    from ..hsds.package import package_zip

    name = exports.result_filename
    return [
        Download(
            "CSV", name(result, "csv"), "text/csv", lambda: exports.to_csv(with_availability(store, result.frame))
        ),
        Download(
            "Excel",
            name(result, "xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            lambda: exports.to_xlsx(with_availability(store, result.frame)),
        ),
        Download(
            "GeoJSON",
            name(result, "geojson"),
            "application/geo+json",
            lambda: exports.geojson_text(with_availability(store, result.frame), area=result.area),
        ),
        Download(_("Printable list"), name(result, "html"), "text/html", lambda: printable_list(store, result)),
        Download(
            "HSDS (zip)",
            name(result, "hsds.zip"),
            "application/zip",
            lambda: package_zip(result.records, store.taxonomy, store.availability(result.ids)),
        ),
    ]


#: The columns a download gains from providers' reports (live state, not the built directory's).
AVAILABILITY_COLUMNS = (
    "availability_reported_at",
    "availability_current",
    "accepting_new_patients_reported",
    "wait_days",
    "open_beds",
    "same_day_intake",
    "same_day_buprenorphine",
    "availability_note",
)


def with_availability(store: Store, frame):
    """The rows with the provider's latest report of each (empty cells where none): the provider's word
    and its time, in columns of their own (``accepting_new_patients`` stays the sources' fact)."""
    reports = store.availability(frame["facility_id"].tolist())

    def cells(fid: str) -> list[str]:
        r = reports.get(fid)
        if r is None:
            return [""] * len(AVAILABILITY_COLUMNS)
        flag = {True: "yes", False: "no", None: ""}
        return [
            r.received_at.isoformat(timespec="seconds"),
            "yes" if r.current() else "no",
            r.accepting_new_patients,
            "" if r.wait_days is None else str(r.wait_days),
            "; ".join(f"{b.level} {b.available}" + (f"/{b.maximum}" if b.maximum is not None else "") for b in r.beds),
            flag[r.same_day_intake],
            flag[r.same_day_buprenorphine],
            r.note,
        ]

    values = [cells(fid) for fid in frame["facility_id"].tolist()]
    return frame.assign(**{c: [v[i] for v in values] for i, c in enumerate(AVAILABILITY_COLUMNS)})


def shortlist_downloads(comparison, *, link: str = "", fmt: str = "summary", large: bool = False) -> list[Download]:
    """The shortlist as CSV (Excel-safe), XLSX, GeoJSON and its referral sheet (HTML), through the same
    exports as a search's list; file names say it is a shortlist and where it was searched from."""
    from ..exports import tabular as exports
    from .handover import sheet_html
    from .shortlist import shortlist_frame

    frame = shortlist_frame(comparison)
    place = [comparison.center.label] if comparison.center is not None else []

    def name(extension: str) -> str:
        return exports.filename([pgettext("file name", "shortlist"), *place], None, extension)

    return [
        Download("CSV", name("csv"), "text/csv", lambda: exports.to_csv(frame)),
        Download(
            "Excel",
            name("xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            lambda: exports.to_xlsx(frame),
        ),
        Download("GeoJSON", name("geojson"), "application/geo+json", lambda: exports.geojson_text(frame)),
        Download(
            _("Sheet (HTML)"),
            name("html"),
            "text/html",
            lambda: sheet_html(comparison, fmt, large=large, link=link, attribution=attribution()),
        ),
    ]
