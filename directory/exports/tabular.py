"""Exports of a search result: CSV (Excel-safe), XLSX and GeoJSON, with a filename from the query.

Reused by the CLI, the app and the API. Deterministic: fixed column order, UTF-8,
``\\n`` line endings.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable

import pandas as pd

from ..core.facility import COLUMNS, Facility
from ..core.i18n import _, pgettext
from ..search.drive import COLUMNS as DRIVE_COLUMNS

#: Columns of every export, in order; ``distance_miles`` (and, measured by road, ``drive_minutes``,
#: ``road_miles`` and ``route_status``) follow ``facility_id`` when present.
EXPORT_COLUMNS = list(COLUMNS)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: object) -> str:
    """A cell value safe to open in a spreadsheet (OWASP CSV injection guidance).

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    apostrophe, so a spreadsheet shows it as text instead of running it. Plain numbers
    (``-82.46``) and phone numbers (``813-555-0100``) are left as they are.

    >>> neutralise('=HYPERLINK("http://x","click")')
    '\\'=HYPERLINK("http://x","click")'
    >>> neutralise("-82.458")
    '-82.458'
    """
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def sheet_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> bytes:
    """A sheet as CSV bytes a spreadsheet opens safely: UTF-8 with a byte-order mark (Excel reads the
    accents), CRLF line ends, every cell neutralised.

    >>> sheet_csv(["name"], [["=1+1"]])
    b"\\xef\\xbb\\xbfname\\r\\n'=1+1\\r\\n"
    """
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_columns(frame: pd.DataFrame) -> list[str]:
    columns = [c for c in EXPORT_COLUMNS if c in frame.columns]
    measured = [c for c in ("distance_miles", *DRIVE_COLUMNS) if c in frame.columns]
    columns[1:1] = measured
    columns += [c for c in frame.columns if c not in columns]
    return columns


def to_csv(frame: pd.DataFrame) -> str:
    """The result as Excel-safe CSV text."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = export_columns(frame)
    writer.writerow(columns)
    for row in frame[columns].itertuples(index=False, name=None):
        # A bare CR inside a cell is not quoted by the csv module when rows end in LF, and
        # would split the row in a reader: line breaks inside cells become LF (then quoted).
        writer.writerow([neutralise(_fmt(v)).replace("\r\n", "\n").replace("\r", "\n") for v in row])
    return buffer.getvalue()


def to_xlsx(frame: pd.DataFrame, sheet: str = "Facilities") -> bytes:
    """The result as an XLSX workbook: text written as text (never a formula), header frozen, widths set."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    columns = export_columns(frame)
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    numeric = set(_NUMERIC)
    for r, row in enumerate(frame[columns].itertuples(index=False, name=None), start=2):
        for c, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = ws.cell(row=r, column=c)
            if column in numeric and _is_number(value):
                cell.value = float(value)
            else:
                # Assigning a string that starts with "=" would make openpyxl write a formula:
                # set the value, then force the type to a plain string.
                cell.value = _fmt(value)
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    for c, column in enumerate(columns, start=1):
        values = [len(column)] + [len(_fmt(v)) for v in frame[column].head(500)]
        ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = min(60, max(values) + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_geojson(frame: pd.DataFrame, *, area: object | None = None) -> dict:
    """An RFC 7946 FeatureCollection: Point geometries in lon/lat order, every column as a property.

    ``area`` (a shapely polygon, e.g. the search circle) is added as a last feature
    with ``"role": "search-area"``.
    """
    columns = export_columns(frame)
    features = []
    for row in frame[columns].to_dict("records"):
        try:
            lon, lat = round(float(row["longitude"]), 6), round(float(row["latitude"]), 6)
            geometry = {"type": "Point", "coordinates": [lon, lat]}
        except (TypeError, ValueError):
            geometry = None
        properties = {k: (_number(v) if k in _NUMERIC[2:] else _fmt(v)) for k, v in row.items()}
        features.append(
            {"type": "Feature", "id": row.get("facility_id"), "geometry": geometry, "properties": properties}
        )
    if area is not None:
        from shapely.geometry import mapping

        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(json.dumps(mapping(area))),
                "properties": {"role": "search-area"},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def geojson_text(frame: pd.DataFrame, *, area: object | None = None) -> str:
    return json.dumps(to_geojson(frame, area=area), ensure_ascii=False, indent=None, separators=(",", ":")) + "\n"


def filename(parts: Iterable[str], radius_miles: float | None, extension: str) -> str:
    """A deterministic file name from the query: ``detox_tampa-fl_25mi.csv``.

    >>> filename(["detox", "Tampa, FL"], 25, "csv")
    'detox_tampa-fl_25mi.csv'
    """
    slugs = [_slug(p) for p in parts if p and _slug(p)]
    if radius_miles:
        slugs.append(f"{radius_miles:g}mi")
    return ("_".join(slugs) or "facilities") + "." + extension.lstrip(".")


def result_filename(result, extension: str) -> str:
    """The file name for a :class:`~directory.search.SearchResult`."""
    from ..core.filters import FILTERS

    q = result.query
    parts = ["-".join(q.services) or pgettext("file name", "facilities")]
    for f in FILTERS:
        value = getattr(q, f.field)
        if f.in_filename and value and f.field != "services":
            parts.extend(value if f.repeatable else [value])
    near = q.near if isinstance(q.near, str) else (result.center.label if result.center else "")
    if near:
        parts.append(near)
    radius = (
        q.radius_miles if result.center is not None and not q.nearest and not (result.note and result.total) else None
    )
    if q.nearest:
        parts.append(pgettext("file name", "nearest-{n}").format(n=q.nearest))
    elif result.note and result.total and result.center is not None:
        parts.append(pgettext("file name", "nearest"))
    if (q.nearest or (result.note and result.total)) and result.center is not None:
        parts.append(pgettext("file name", "within-{miles}mi").format(miles=f"{q.nearest_within_miles:g}"))
    return filename(parts, radius, extension)


def _slug(text: str) -> str:
    from ..core.normalize import ascii_fold

    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(str(text))).strip("-")[:40]


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return str(float(value))
    return str(value)


def _is_number(value: object) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return str(value).strip() != ""


_PRINT_CSS = """
body { font: 11pt/1.35 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #111; margin: 2em; }
h1 { font-size: 16pt; margin: 0 0 .2em; } .sub { color: #444; margin: 0 0 1em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35em .5em; border-bottom: 1px solid #ccc; }
th { font-size: 9pt; text-transform: uppercase; letter-spacing: .03em; color: #444; }
td.num { white-space: nowrap; text-align: right; } .name { font-weight: 600; } .svc { font-size: 9pt; color: #333; }
.crisis { margin-top: 1.5em; padding: .7em 1em; border: 2px solid #b00020; border-radius: 6px; }
.crisis p { margin: .2em 0; } .foot { margin-top: 1em; font-size: 8.5pt; color: #555; }
.noprint { margin-bottom: 1em; } .ph { white-space: nowrap; }
@media print { body { margin: 0; } .noprint { display: none; } tr { page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; } }
@page { margin: 1.5cm; }
"""


def to_html(
    frame: pd.DataFrame,
    *,
    title: str,
    subtitle: str = "",
    generated: str = "",
    attribution: str = "",
    print_on_load: bool = False,
) -> str:
    """A printable referral list: name, address, phone, distance and services, with the crisis
    lines at the bottom; ``print_on_load`` opens the browser's print dialog as soon as it is shown.
    Every value from the data is HTML-escaped; ``services`` may be a
    column of label lists.
    """
    from html import escape

    from ..core.crisis import HELPLINE_NUMBER, crisis_lines
    from ..core.i18n import decimal, lang

    has_distance = "distance_miles" in frame.columns
    rows = []
    intake_word = escape(_("Intake:"))
    miles = _("{miles} mi")
    for number, record in enumerate(frame.to_dict("records"), 1):
        name = escape(_fmt(record.get("name")))
        program = _fmt(record.get("name2"))
        street = ", ".join(p for p in (_fmt(record.get("street1")), _fmt(record.get("street2"))) if p)
        town = f"{_fmt(record.get('city'))}, {_fmt(record.get('state'))} {_fmt(record.get('zip'))}"
        phones = [f'<span class="ph">{escape(p)}</span>' for p in (_fmt(record.get("phone")),) if p]
        intake = _fmt(record.get("intake_phone"))
        if intake and intake != _fmt(record.get("phone")):
            phones.append(f'{intake_word} <span class="ph">{escape(intake)}</span>')
        if not phones:
            phones.append(escape(_("None listed — SAMHSA Helpline {number}").format(number=HELPLINE_NUMBER)))
        services = record.get("services")
        services_text = ", ".join(services) if isinstance(services, list) else ""
        distance = record.get("distance_miles") if has_distance else None
        listed, as_of = _fmt(record.get("last_listed"))[:4], _fmt(record.get("services_as_of"))[:4]
        age = " · ".join(
            p
            for p in (
                listed and _("last listed {year}").format(year=listed),
                as_of and _("services as of {year}").format(year=as_of),
            )
            if p
        )
        rows.append(
            "<tr>"
            f'<td class="num">{number}</td>'
            f'<td><div class="name">{name}</div>'
            + (f"<div>{escape(program)}</div>" if program else "")
            + (f'<div class="svc">{escape(services_text)}</div>' if services_text else "")
            + (f'<div class="svc">{escape(age.capitalize())}</div>' if age else "")
            + "</td>"
            f"<td>{escape(street)}<br>{escape(town)}</td>"
            f"<td>{'<br>'.join(phones)}</td>"
            + (
                f'<td class="num">{_fmt(distance) and miles.format(miles=decimal(float(distance)))}</td>'
                if has_distance
                else ""
            )
            + "</tr>"
        )
    headings = [_("Facility and services"), _("Address"), _("Phone")]
    head = "<th>#</th>" + "".join(f"<th>{escape(h)}</th>" for h in headings)
    if has_distance:
        head += '<th class="num">' + escape(_("Distance")) + "</th>"
    print_word, ahead = _("Print this list"), _("Call ahead: services, hours and insurance change.")
    crisis = "".join(f"<p><strong>{escape(who)}:</strong> {escape(what)}</p>" for who, what, _link in crisis_lines())
    return (
        f'<!DOCTYPE html>\n<html lang="{lang()}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_PRINT_CSS}</style></head><body>\n"
        f'<p class="noprint"><button onclick="window.print()">{escape(print_word)}</button></p>\n'
        + (
            '<script>window.addEventListener("load", function () { window.print(); });</script>\n'
            if print_on_load
            else ""
        )
        + f"<h1>{escape(title)}</h1>\n"
        + (f'<p class="sub">{escape(subtitle)}</p>\n' if subtitle else "")
        + f"<table><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>\n"
        f'<div class="crisis">{crisis}</div>\n'
        f'<p class="foot">{escape(ahead)} {escape(generated)} '
        f"{escape(attribution)}</p>\n</body></html>\n"
    )


_NUMERIC = ("latitude", "longitude", "distance_miles", "drive_minutes", "road_miles")


def _number(value: object) -> float | None:
    """A measured value as a JSON number (None for a missing one)."""
    text = _fmt(value)
    return float(text) if text else None


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts: every column in export order; coordinates and distance as
    numbers, everything else as text ('' when empty)."""
    columns = export_columns(frame)
    out = []
    for row in frame[columns].itertuples(index=False, name=None):
        item: dict[str, object] = {}
        for column, value in zip(columns, row, strict=True):
            if column in _NUMERIC:
                item[column] = _number(value)
            else:
                item[column] = _fmt(value)
        out.append(item)
    return out


def facility_json(facility: Facility) -> dict[str, object]:
    """One facility as the API's JSON object (the same shape as a search result's rows, without distance)."""
    return records(pd.DataFrame([facility.to_row()]))[0]


def distance_basis(result) -> dict | None:
    """What a result's distances are, for a machine and in words (None without a place): ``basis``
    ``drive_time`` (a routing engine measured the rows) or ``straight_line``; ``ordered_by``;
    ``unavailable``: why drive times are missing from a search that asked for them."""
    if result.center is None:
        return None
    drive = result.drive
    ordered = (
        "name" if result.query.sort == "name" else "drive_time" if drive is not None and drive.ranked else "distance"
    )
    return {
        "basis": "drive_time" if drive is not None else "straight_line",
        "travel": drive.profile if drive is not None else None,
        "source": "OSRM (road data © OpenStreetMap contributors)" if drive is not None else None,
        "ordered_by": ordered,
        "unavailable": result.routing_note or None,
        "sentence": result.basis,
    }


def json_body(
    result, *, page: int = 1, page_size: int | None = None, query: dict | None = None, rows: list | None = None
) -> dict:
    """The locator-style JSON body shared by the CLI and the API:
    ``{"query", "description", "center", "total", "page", "page_size", "note", "older", "results", "facets"}``;
    ``older`` says how many matches ``listed_since`` left out (``count``, ``last_listed_years``, ``note``).

    ``result.frame`` must already hold the rows of the page (or every row when ``page_size`` is None);
    ``rows``: the page's rows already made (:mod:`directory.exports.public`), the frame then unread.
    """
    if rows is None:
        frame = result.frame
        if page_size is not None:
            frame = frame.iloc[(page - 1) * page_size : page * page_size]
        rows = records(frame)
    return {
        "query": query if query is not None else {},
        "description": result.describe(),
        "center": result.center.to_dict() if result.center is not None else None,
        "total": result.total,
        "page": page,
        "page_size": page_size if page_size is not None else result.total,
        "note": result.note,
        "distance_basis": distance_basis(result),
        "older": {
            "count": result.older,
            "last_listed_years": list(result.older_years) if result.older_years else None,
            "note": result.older_note(),
        },
        "results": rows,
        "facets": result.facets,
    }
