"""What a person can download from a search: CSV, Excel, GeoJSON and a printable list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..search import SearchResult
from ..store import Store
from .results import badges


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


def printable_list(store: Store, result: SearchResult, *, today: date | None = None) -> str:
    """The referral list as a printable HTML page."""
    from ..exports import to_html

    frame = result.frame.assign(services=badges(store, result.frame))
    when = (today or date.today()).isoformat()
    return to_html(frame, title="Treatment facilities — referral list", subtitle=result.describe(),
                   generated=f"Printed {when}.", attribution=ATTRIBUTION)


def downloads(store: Store, result: SearchResult) -> list[Download]:
    """CSV (Excel-safe), XLSX, GeoJSON and the printable list, all from :mod:`directory.exports`."""
    from .. import exports

    name = exports.result_filename
    return [
        Download("CSV", name(result, "csv"), "text/csv", lambda: exports.to_csv(result.frame)),
        Download("Excel", name(result, "xlsx"),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 lambda: exports.to_xlsx(result.frame)),
        Download("GeoJSON", name(result, "geojson"), "application/geo+json",
                 lambda: exports.geojson_text(result.frame, area=result.area)),
        Download("Printable list", name(result, "html"), "text/html",
                 lambda: printable_list(store, result)),
    ]


def print_launcher(page: str, label: str = "Print this list") -> str:
    """A button (an HTML page for a sandboxed component frame) that opens ``page`` — the printable
    list — in a new window and starts the browser's print dialog: one click from the list to paper.

    ``page`` is already HTML-escaped facility text (:func:`printable_list`); it travels as a JSON
    string with ``</`` broken up, so nothing in it can end the script.
    """
    import html
    import json

    payload = json.dumps(page).replace("</", "<\\/")
    return (
        "<!DOCTYPE html><html lang=\"en\"><body style=\"margin:0;font-family:sans-serif\">"
        f"<button id=\"p\" style=\"font:inherit;padding:.45em .9em;border:1px solid #bbb;border-radius:.5em;"
        f"background:#fff;cursor:pointer\">{html.escape(label)}</button>"
        "<script>document.getElementById('p').addEventListener('click', function () {"
        "var w = window.open('', '_blank'); if (!w) { alert('Allow pop-ups to print the list.'); return; }"
        f"w.document.open(); w.document.write({payload}); w.document.close();"
        "w.focus(); setTimeout(function () { w.print(); }, 250); });</script></body></html>"
    )
