"""The results list beside the map: one row per facility, built from the result's records.

Screens read only the :class:`~directory.search.SearchResult` a store returned; which groups a
row belongs to is worked out from its own service codes (memoised per code set, so a national
list costs dictionary look-ups, not set algebra).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from ..core.crisis import HELPLINE_NUMBER, HELPLINE_TEL
from ..core.i18n import N_, _, decimal, month, number
from ..core.taxonomy import groups_of
from ..search import SearchResult
from ..search.drive import row_words
from ..stores.base import Store
from .availability import summary
from .text import md_escape, md_link, tel_url, website_url

#: The treatment types shown as badges in the list, in this order.
BADGE_GROUPS = ("detox", "mat", "outpatient", "intensive-outpatient", "residential", "inpatient", "telehealth")

#: The list shows at most this many rows (the map and the downloads have them all).
LIST_LIMIT = 1000


#: The badge of a row that is an individual practitioner (a locator BUPREN listing), before its types.
PRACTITIONER = N_("Individual practitioner")


def badges(store: Store, frame: pd.DataFrame) -> list[list[str]]:
    """For each row of a result frame, the labels of the treatment types (:data:`BADGE_GROUPS`) it offers,
    after :data:`PRACTITIONER` for an individual practitioner."""
    taxonomy = store.taxonomy
    labels = {g: taxonomy.group(g).label for g in BADGE_GROUPS}
    kinds = frame["type_facility"].tolist() if "type_facility" in frame else [""] * len(frame)
    practitioner = _(PRACTITIONER)
    return [
        [practitioner] * (kind == "BUPREN") + [labels[g] for g in groups_of(taxonomy, codes, BADGE_GROUPS)]
        for codes, kind in zip(frame["service_codes"].tolist(), kinds, strict=True)
    ]


def result_table(store: Store, result: SearchResult, limit: int | None = LIST_LIMIT) -> pd.DataFrame:
    """The list beside the map: distance (and drive time, when measured), name, city, phone, website, badges —
    the first ``limit`` rows of the result, in its order."""
    frame = result.frame if limit is None else result.frame.iloc[:limit]
    reports = store.availability(frame["facility_id"].tolist())
    verified_on = _column(frame, "verified_on")
    months = [verified_month(v) for v in verified_on]
    distance = (
        frame["distance_miles"].to_numpy(dtype=float) if "distance_miles" in frame else np.full(len(frame), np.nan)
    )
    table = pd.DataFrame(
        {
            "facility_id": frame["facility_id"].to_numpy(dtype=object),
            "distance_miles": distance,
            "name": np.array(
                [_title(a, b) for a, b in zip(frame["name"].tolist(), frame["name2"].tolist(), strict=True)],
                dtype=object,
            ),
            "city": np.array(
                [f"{c}, {s}" for c, s in zip(frame["city"].tolist(), frame["state"].tolist(), strict=True)],
                dtype=object,
            ),
            "phone": np.array(
                [
                    list_phone(p, i)
                    for p, i in zip(frame["phone"].tolist(), frame["intake_phone"].tolist(), strict=True)
                ],
                dtype=object,
            ),
            "website": np.array([_website(w) for w in frame["website"].tolist()], dtype=object),
            "services": _object_column(badges(store, frame)),
            "listed": np.array([_year(v) for v in frame["last_listed"].tolist()], dtype=object),
            "verified": np.array(months, dtype=object),
            # The same verification's day (ISO, '' where "verified" is empty): what the month sorts by.
            "verified_on": np.array(
                [str(v)[:10] if m else "" for v, m in zip(verified_on, months, strict=True)], dtype=object
            ),
            "availability": np.array(
                [summary(reports.get(i), store.taxonomy) for i in frame["facility_id"].tolist()], dtype=object
            ),
        }
    )
    if result.drive is not None:  # "about 23 min by car", or why there is no time, after the miles
        table.insert(2, "drive", np.array([row_words(result.drive, i) for i in range(len(frame))], dtype=object))
    return table


def _column(frame: pd.DataFrame, name: str) -> list:
    return frame[name].tolist() if name in frame else [""] * len(frame)


def verified_month(iso: object, today: date | None = None) -> str:
    """``"Nov 2026"`` for a verification in the last 12 months ('' otherwise): what the list shows.

    >>> verified_month("2026-11-30", date(2026, 12, 5)), verified_month("2024-01-02", date(2026, 12, 5))
    ('Nov 2026', '')
    """
    from ..pipeline.corrections import SHOWN_FOR_DAYS

    text = str(iso or "")
    if not text[:10].count("-") == 2:
        return ""
    when = date.fromisoformat(text[:10])
    return month(when) if ((today or date.today()) - when).days <= SHOWN_FOR_DAYS else ""


def _year(iso: object) -> str:
    """'2026' from '2026-01-09' ('' when unknown)."""
    return str(iso)[:4] if iso and str(iso)[:4].isdigit() else ""


#: What the list says where the sources give no phone: who to call instead.
NO_PHONE_LINE = N_("None listed — Helpline {number}")


def no_phone_line() -> str:
    return _(NO_PHONE_LINE).format(number=HELPLINE_NUMBER)


def list_phone(phone: str, intake: str) -> str:
    """The number a list row offers: the phone, else the intake phone, else the national helpline.

    >>> list_phone("", "813-555-0100"), list_phone("", "")
    ('813-555-0100', 'None listed — Helpline 1-800-662-4357')
    """
    return phone or intake or no_phone_line()


def list_note(result: SearchResult, limit: int = LIST_LIMIT) -> str:
    """Said under a list that shows only part of the result ('' when it shows all)."""
    if result.total <= limit:
        return ""
    return _(
        "The list shows the first {limit} of {total} facilities; the map shows all of them, and the downloads "
        "have every one. Type a place or add a filter to narrow the list."
    ).format(limit=number(limit), total=number(result.total))


def _title(name: str, name2: str) -> str:
    return f"{name} — {name2}" if name2 else str(name)


@lru_cache(maxsize=100_000)
def _website(text: str) -> str | None:
    return website_url(text)


def _object_column(values: list) -> np.ndarray:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


@dataclass(frozen=True)
class ListItem:
    """One result as the text list shows it (phones, screen readers): all text raw, renderers escape it."""

    facility_id: str
    name: str
    distance: str
    place: str
    phone: str
    phone_url: str | None
    types: list[str]
    #: "listed 2026": the year a source last listed it.
    listed: str = ""
    #: "verified Nov 2026": a maintainer verified it in the last 12 months.
    verified: str = ""
    #: The provider's report in one line, with its age ('' when none): "Accepting new patients · reported …".
    availability: str = ""
    #: "about 23 min by car" (or why there is no time) when a routing engine measured it.
    drive: str = ""


#: The text list shows at most this many rows (the list, the map and the downloads have them all).
TEXT_LIST_LIMIT = 100
#: ... this many at first, and this many more each time a person asks: every row is five elements of the page,
#: and on a phone the first 50 had cost its first load 390 ms of 2,080 (20 rows; side by side in Chromium).
TEXT_LIST_STEP = 20


def more_rows(shown: int, total: int) -> int:
    """How many more rows the text list offers after ``shown`` of ``total``: a step, what is left, or none at
    :data:`TEXT_LIST_LIMIT`.

    >>> more_rows(20, 25_297), more_rows(20, 21), more_rows(21, 21), more_rows(100, 25_297)
    (20, 1, 0, 0)
    """
    return max(0, min(TEXT_LIST_STEP, total - shown, TEXT_LIST_LIMIT - shown))


def item_markdown(item: ListItem, selected: str | None = None) -> str:
    """A list item as escaped Markdown: the name (bold), distance · place · the phone as a ``tel:`` link,
    then its treatment types."""
    chosen = " " + _("(shown above)") if item.facility_id == selected else ""
    verified = f" · {md_escape(item.verified)}" if item.verified else ""
    line = (
        f"**{md_escape(item.name)}**{md_escape(chosen)}  \n"
        + " · ".join(md_escape(p) for p in (item.drive, item.distance, item.place) if p)
        + f" · {md_link(item.phone, item.phone_url)}"
        + (f" · {md_escape(item.listed)}" if item.listed else "")
        + verified
    )
    line += f"  \n{md_escape(', '.join(item.types))}" if item.types else ""
    return line + (f"  \n*{md_escape(item.availability)}*" if item.availability else "")


def is_phone(user_agent: str | None) -> bool:
    """True for a phone's browser (the "Mobi" token every mobile browser sends): it gets the text list
    first and the map folded away.

    >>> is_phone("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"), is_phone(None)
    (True, False)
    """
    return "Mobi" in (user_agent or "")


_TEXT_LIST_COLUMNS = (
    "facility_id",
    "name",
    "name2",
    "city",
    "state",
    "phone",
    "intake_phone",
    "last_listed",
    "verified_on",
)


def text_list(store: Store, result: SearchResult, limit: int = TEXT_LIST_LIMIT) -> list[ListItem]:
    """The first ``limit`` results as :class:`ListItem` rows, in result order."""
    frame = result.frame.iloc[:limit]
    distances = frame["distance_miles"].tolist() if "distance_miles" in frame else [None] * len(frame)
    # Only the columns a row shows (a record has 37): the list is built on every rerun of a phone's page.
    shown = frame[[c for c in _TEXT_LIST_COLUMNS if c in frame.columns]]
    items = []
    none = no_phone_line()
    reports = store.availability(frame["facility_id"].tolist())
    drive = result.drive
    for i, (row, miles, types) in enumerate(
        zip(shown.to_dict("records"), distances, badges(store, frame), strict=True)
    ):
        year = _year(row.get("last_listed"))
        phone = list_phone(row["phone"], row["intake_phone"])
        items.append(
            ListItem(
                facility_id=row["facility_id"],
                name=_title(row["name"], row["name2"]),
                distance="" if miles is None else _("{miles} mi").format(miles=decimal(float(miles))),
                drive="" if drive is None else row_words(drive, i),
                place=f"{row['city']}, {row['state']}",
                phone=phone,
                phone_url=tel_url(phone) if phone != none else HELPLINE_TEL,
                types=types,
                listed=_("listed {year}").format(year=year) if year else "",
                verified=_("verified {month}").format(month=when)
                if (when := verified_month(row.get("verified_on")))
                else "",
                availability=summary(reports.get(row["facility_id"]), store.taxonomy),
            )
        )
    return items
