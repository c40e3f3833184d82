"""Colorado's behavioral-health provider directory (the Behavioral Health Administration's LADDERS export,
behind its OwnPath directory): a state licensing directory with levels of care, payment, populations,
languages, accessibility, opening hours, "accepting new patients" and telehealth.

Its values map to SAMHSA codes through a value map (``data/sources/colorado_bha.toml``): a value the
map does not name is counted in the import report (``unmapped_values``), never dropped silently.
Accessibility, hours and "accepting new patients" go to the record's own fields, dated by the row's
``ProviderDirectoryFormModifiedDate`` (when the provider last updated its entry).

``HideAddress = 1``: the provider asked that its address not be shown. No street is kept (the importer
drops it, and the source's point, which is the street's), so nothing can show, export or serve it; the
point is its ZIP's. In the 2023 export those rows give no address at all (the placeholder "Please
contact this provider directly for location"), so they have no ZIP and are rejected as
"address withheld, no ZIP".
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from pathlib import Path

from ...core.errors import MappingError
from ...core.facility import WEEKDAYS
from ...core.normalize import norm_name
from .base import Adapter, Candidate

#: The weekday columns, in the record's order.
HOURS_COLUMNS = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)
#: Columns whose cells list values separated by ";" and map through the value map.
LIST_COLUMNS = ("SubstanceUseServices", "MentalHealthSettings", "Fees", "PopulationServed", "LanguagesSpoken")
_PLACE = re.compile(r"^(?P<city>.+?),\s*(?P<state>[A-Za-z .-]+?)\s+(?P<zip>\d{5}(?:-\d{4})?)$")
_UNIT = re.compile(r"^(suite|ste\.?|unit|apt\.?|#|room|rm\.?|bldg\.?|building|floor|fl\.?)\b", re.I)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})\s*([AP]M)$", re.I)
_PLACEHOLDER = "please contact this provider directly for location"


def clock(text: str) -> str | None:
    """``"5:30PM"`` as ``"17:30"`` (None when it is not a time).

    >>> clock("9:00AM"), clock("12:00AM"), clock("12:30PM"), clock("noon")
    ('09:00', '00:00', '12:30', None)
    """
    match = _TIME.match(text.strip())
    if not match:
        return None
    hour, minute, half = int(match[1]) % 12, match[2], match[3].upper()
    return f"{hour + (12 if half == 'PM' else 0):02d}:{minute}"


def day_hours(text: str) -> str:
    """A day's ``"9:00AM - 5:00PM"`` as ``"09:00-17:00"``; a day ending at midnight ends at 24:00, so
    ``"12:00AM - 12:00AM"`` reads ``"00:00-24:00"`` (open all day). Text that is not a range is kept as it is.

    >>> day_hours("9:00AM - 5:00PM"), day_hours("12:00AM - 12:00AM"), day_hours("5:00AM - 12:00AM")
    ('09:00-17:00', '00:00-24:00', '05:00-24:00')
    >>> day_hours("By appointment")
    'By appointment'
    """
    start, _, end = text.partition(" - ")
    opens, closes = clock(start), clock(end)
    if opens is None or closes is None:
        return " ".join(text.split())
    return f"{opens}-{'24:00' if closes == '00:00' else closes}"


def modified_on(text: str) -> str:
    """``"6/28/2022 5:27 PM"`` as ``"2022-06-28"`` ('' when it is not such a date)."""
    try:
        return datetime.strptime(text.strip().split(" ")[0], "%m/%d/%Y").date().isoformat()
    except ValueError:
        return ""


def split_address(label: str) -> dict[str, str]:
    """The address of a ``ProviderLocationDisplayLabel`` ("street_BR_ENCODED_City, State 80218").

    >>> split_address("1245 East Colfax Avenue, Suite 203_BR_ENCODED_Denver, Colorado 80218")["street2"]
    'Suite 203'
    >>> split_address("2531 Airport Road_BR_ENCODED_Colorado Springs, CO 80910")["city"]
    'Colorado Springs'
    """
    street, _, place = label.partition("_BR_ENCODED_")
    found = _PLACE.match(place.strip()) if place else None
    if found is None:
        return {}
    first, _, rest = street.partition(", ")
    street1, street2 = (first, rest) if rest and _UNIT.match(rest.strip()) else (street, "")
    return {
        "street1": street1.strip(),
        "street2": street2.strip(),
        "city": found["city"].strip(),
        # "CO.", "CO - Colorado": the state as the row writes it, its code first.
        "state": found["state"].split(" - ")[0].strip().rstrip("."),
        "zip": found["zip"],
    }


class ColoradoAdapter(Adapter):
    """Rows of the Colorado BHA directory; see the module docstring."""

    name = "colorado-bha"
    description = "Colorado Behavioral Health Administration provider directory (LADDERS export)"
    required = frozenset(
        {
            "accountid",
            "displayname",
            "providerlocationdisplaylabel",
            "hideaddress",
            "substanceuseservices",
            "activesudlicense",
        }
    )

    def __init__(self, value_map: str | Path) -> None:
        path = Path(value_map)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise MappingError(f"{path}: not a readable value map ({exc})") from None
        #: Column → value → codes (or accessibility keys), every key lower-cased.
        self.values = {
            column.lower(): {v.strip().lower(): list(codes) for v, codes in table.items()}
            for column, table in data.items()
        }
        missing = {c.lower() for c in (*LIST_COLUMNS, "flags", "OffersTelehealth", "Accessibility")} - set(self.values)
        if missing:
            raise MappingError(f"{path}: the value map has no table for {', '.join(sorted(missing))}")

    @classmethod
    def matches(cls, header: list[str]) -> bool:
        return cls.required <= {h.lower() for h in header}

    def extra_columns(self) -> list[str]:
        return ["colorado_account_id"]

    def convert(self, raw: dict[str, str]) -> Candidate:
        codes: list[str] = []
        unmapped: list[tuple[str, str]] = []

        def mapped(column: str, value: str) -> list[str]:
            found = self.values[column.lower()].get(value.strip().lower())
            if found is None:
                unmapped.append((column, value.strip()))
            return found or []

        for flag, add in self.values["flags"].items():
            if raw.get(flag, "").strip() == "1":
                codes += add
        for column in LIST_COLUMNS:
            for value in raw.get(column.lower(), "").split(";"):
                if value.strip():
                    codes += mapped(column, value)
        telehealth = raw.get("offerstelehealth", "").strip()
        if telehealth:
            codes += mapped("OffersTelehealth", telehealth)
        accessibility = [
            key
            for value in raw.get("accessibility", "").split(";")
            if value.strip()
            for key in mapped("Accessibility", value)
        ]
        substance_use = (
            raw.get("activesudlicense", "").strip() == "1"
            or bool(raw.get("substanceuseservices", "").strip())
            or raw.get("opioidtreatmentprograms", "").strip() == "1"
        )
        withheld = raw.get("hideaddress", "").strip() == "1"
        address = split_address(raw.get("providerlocationdisplaylabel", ""))
        if _PLACEHOLDER in raw.get("addressoneline", "").lower():
            address = {}
        display, account = raw.get("displayname", "").strip(), raw.get("accountname", "").strip()
        # "Servicios de la Raza - Smith Rd.": the part after the dash tells a provider's sites apart.
        suffix = account.rsplit(" - ", 1)[1].strip() if " - " in account else ""
        notes = raw.get("telehealthrestrictions", "").strip()
        return Candidate(
            fields={
                "name": display or account,
                "name2": suffix if suffix and norm_name(suffix) not in norm_name(display) else "",
                **address,
                "state": address.get("state", "CO"),
                "phone": raw.get("phone", ""),
                "website": raw.get("website", ""),
                "latitude": raw.get("lat", ""),
                "longitude": raw.get("lon", ""),
                "notes": f"Telehealth restrictions: {notes}" if notes else "",
                "hours": "; ".join(
                    f"{day} {day_hours(raw[f'hoursofoperation{name.lower()}'])}"
                    for day, name in HOURS_COLUMNS.items()
                    if raw.get(f"hoursofoperation{name.lower()}", "").strip()
                ),
                "accepting_new_patients": {"yes": "yes", "no": "no"}.get(
                    raw.get("acceptingnewpatients", "").strip().lower(), ""
                ),
                "accessibility": ";".join(dict.fromkeys(accessibility)),
                "details_as_of": modified_on(raw.get("providerdirectoryformmodifieddate", "")),
                "address_withheld": "1" if withheld else "",
            },
            codes=codes,
            extra={"colorado_account_id": raw.get("accountid", "")},
            reject=None if substance_use else "mental-health only",
            unmapped=unmapped,
        )
