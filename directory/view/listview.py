"""The results list beside the map: what the app's list component (``web/list.js``, an HTML table)
draws for a result — the rows of :func:`~directory.view.results.result_table`, as text.

Only what a row shows is sent, column by column; a row's treatment types are indices into one list
of labels. A click sends back the row's index, and :func:`picked_id` finds its facility. Sorting by a
column happens in the browser (no rerun); what a source does not say sorts last.
"""

from __future__ import annotations

import hashlib
import json
import math
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..core.crisis import HELPLINE_TEL
from ..core.i18n import N_, _, decimal
from ..search import SearchResult
from ..stores.base import Store
from .results import LIST_LIMIT, list_note, no_phone_line, result_table
from .text import plain, tel_url

#: The list component's markup, style and code.
WEB = Path(__file__).parent.parent / "web"
LIST_HTML, LIST_CSS, LIST_JS = (
    (WEB / name).read_text(encoding="utf-8") for name in ("list.html", "list.css", "list.js")
)
#: The list's box is at most this tall (pixels); it scrolls inside, its header and names kept in view.
LIST_HEIGHT = 420


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    help: str | None = None
    #: How a cell is drawn: "name" (the row's button), "text", "num", "types", "phone" or "link".
    kind: str = "text"
    #: Long text that wraps (else a cell keeps to one line).
    wrap: bool = False


#: The columns, in order ("drive" only when a routing engine measured the trips).
COLUMNS = (
    Column("name", N_("Name"), kind="name"),
    Column("drive", N_("Drive time")),
    Column("distance_miles", N_("Miles"), kind="num"),
    Column("phone", N_("Phone"), kind="phone"),
    Column("availability", N_("Availability"), N_("As the provider reports it, with its age"), wrap=True),
    Column("city", N_("City")),
    Column("services", N_("Treatment"), kind="types", wrap=True),
    Column("listed", N_("Listed"), N_("The year a source last listed it")),
    Column("verified", N_("Verified"), N_("When a maintainer verified it (in the last 12 months)")),
    Column("website", N_("Website"), kind="link"),
)
#: What the list says to screen readers.
LIST_WORDS = {
    "caption": N_(
        "The facilities found, in the order of the search: choose a name to see its details; the up and down "
        "arrows move between names"
    ),
    # {column}: the column the list was sorted by
    "sorted": N_("Sorted by {column}"),
}


@dataclass(frozen=True)
class ListData:
    """What the list component draws for one result, in the language it was made in; the same whatever is
    selected (the selection is added by :meth:`payload`). ``ids`` are the facility ids of the rows, in order."""

    ids: tuple[str, ...]
    columns: tuple[Column, ...]
    rows: dict[str, list]
    sort: dict[str, list]
    types: tuple[str, ...]
    key: str
    #: Said above the table when it shows only part of the result (:func:`~directory.view.results.list_note`).
    note: str = ""

    def payload(self, selected: str | None = None, *, height: int = LIST_HEIGHT) -> dict:
        """The component's data: JSON-ready, with the ``selected`` facility's row index (or -1)."""
        return {
            "key": self.key,
            "columns": [
                {"key": c.key, "title": _(c.title), "help": c.help and _(c.help), "kind": c.kind, "wrap": c.wrap}
                for c in self.columns
            ],
            "rows": self.rows,
            "sort": self.sort,
            "types": list(self.types),
            "selected": self.ids.index(selected) if selected in self.ids else -1,
            "caption": _(LIST_WORDS["caption"]),
            "note": self.note,
            "height": min(height, 40 + 36 * max(len(self.ids), 1)),
            "words": {"sorted": _(LIST_WORDS["sorted"])},
        }


def list_data(store: Store, result: SearchResult, limit: int = LIST_LIMIT) -> ListData:
    """The first ``limit`` rows of ``result`` as the list shows them (:func:`result_table`'s rows)."""
    table = result_table(store, result, limit)
    columns = tuple(c for c in COLUMNS if c.key != "drive" or "drive" in table)
    ids = tuple(table["facility_id"].tolist())
    miles = [None if math.isnan(m) else round(float(m), 1) for m in table["distance_miles"].tolist()]
    phones = [plain(p) for p in table["phone"].tolist()]
    none = no_phone_line()
    types: dict[str, int] = {}
    rows = {
        "name": [plain(v) for v in table["name"].tolist()],
        "distance_miles": ["" if m is None else decimal(m) for m in miles],
        "phone": phones,
        "tel": [HELPLINE_TEL if p == none else tel_url(p) for p in phones],
        "availability": [plain(v) for v in table["availability"].tolist()],
        "city": [plain(v) for v in table["city"].tolist()],
        "services": [[types.setdefault(label, len(types)) for label in labels] for labels in table["services"]],
        "listed": table["listed"].tolist(),
        "verified": table["verified"].tolist(),
        "website": [_link(w) for w in table["website"].tolist()],
    }
    # Months and miles sort by number ("Nov 2026" after "Dec 2025"), not by their words.
    sort: dict[str, list] = {
        "distance_miles": miles,
        "verified": [int(iso.replace("-", "")) if iso else None for iso in table["verified_on"].tolist()],
    }
    if "drive" in table:
        rows["drive"] = table["drive"].tolist()
        drive = result.drive
        n = len(table)
        sort["drive"] = [
            None if drive.missing[i] or math.isnan(drive.minutes[i]) else round(float(drive.minutes[i]), 1)
            for i in range(n)
        ]
    # A new key draws the rows anew: another result, or the same in another language (its words are in it).
    titles = [_(c.title) for c in columns]
    note = list_note(result, limit)
    key = hashlib.sha256(json.dumps([ids, rows, list(types), titles, note], ensure_ascii=False).encode()).hexdigest()
    return ListData(ids, columns, rows, sort, tuple(types), key[:16], note)


def _link(url: object) -> list[str] | None:
    """A validated website (:func:`~directory.view.text.website_url` made it) as ``[href, host]``."""
    if not isinstance(url, str) or not url:
        return None
    host = (urllib.parse.urlsplit(url).hostname or "").removeprefix("www.")
    return [url, host] if host else None


def picked_id(index: object, data: ListData) -> str | None:
    """The facility id of the row the list says was chosen (its index among the rows), or None."""
    if isinstance(index, bool) or not isinstance(index, int):
        return None
    return data.ids[index] if 0 <= index < len(data.ids) else None
