"""The provider's update page, without Streamlit: the choices it offers, the form pre-filled with the
last report, and the body a filled form makes — checked by the same :func:`parse_report` as the API."""

from __future__ import annotations

from ..core.facility import Facility
from ..core.i18n import N_, _
from ..core.taxonomy import Taxonomy
from ..live.availability import ACCEPTING_LABELS, LEVELS, Availability

#: The answers a yes/no question offers ('' = the report does not say).
YES_NO = ("", "yes", "no")
YES_NO_LABELS = {"": N_("Not saying"), "yes": N_("Yes"), "no": N_("No")}
ACCEPTING = ("", *ACCEPTING_LABELS)


def accepting_label(value: str) -> str:
    return _(ACCEPTING_LABELS[value]) if value else _(YES_NO_LABELS[""])


def yes_no_label(value: str) -> str:
    return _(YES_NO_LABELS[value])


def levels_offered(record: Facility, taxonomy: Taxonomy) -> tuple[str, ...]:
    """The levels of care the site lists (a report may name beds for these), in order; all when it
    lists none of them (the record may be out of date: a provider knows)."""
    found = tuple(level for level in LEVELS if taxonomy.group(level).codes & record.service_codes)
    return found or LEVELS


def defaults(report: Availability | None, levels: tuple[str, ...]) -> dict[str, object]:
    """The form's values: the last report's, or nothing said."""
    flag = {True: "yes", False: "no", None: ""}
    beds = {b.level: b for b in report.beds} if report else {}
    values: dict[str, object] = {
        "accepting_new_patients": report.accepting_new_patients if report else "",
        "wait_days": report.wait_days if report else None,
        "same_day_intake": flag[report.same_day_intake] if report else "",
        "intake_hours": report.intake_hours if report else "",
        "same_day_buprenorphine": flag[report.same_day_buprenorphine] if report else "",
        "note": report.note if report else "",
    }
    for level in levels:
        values[f"beds_{level}"] = beds[level].available if level in beds else None
        values[f"max_{level}"] = beds[level].maximum if level in beds else None
    return values


def body(values: dict[str, object], levels: tuple[str, ...]) -> dict[str, object]:
    """The API body a filled form makes (what it leaves empty, it does not say).

    >>> body({"accepting_new_patients": "waitlist", "wait_days": 10, "beds_detox": 2, "max_detox": None,
    ...       "same_day_intake": "", "intake_hours": "", "same_day_buprenorphine": "no", "note": ""}, ("detox",))
    {'accepting_new_patients': 'waitlist', 'wait_days': 10, 'beds': [{'level': 'detox', 'available': 2}], \
'same_day_buprenorphine': False}
    """
    out: dict[str, object] = {}
    if values.get("accepting_new_patients"):
        out["accepting_new_patients"] = values["accepting_new_patients"]
        if values["accepting_new_patients"] == "waitlist" and values.get("wait_days") is not None:
            out["wait_days"] = int(values["wait_days"])
    beds = []
    for level in levels:
        available = values.get(f"beds_{level}")
        if available is not None:
            item: dict[str, object] = {"level": level, "available": int(available)}
            if values.get(f"max_{level}") is not None:
                item["maximum"] = int(values[f"max_{level}"])
            beds.append(item)
    if beds:
        out["beds"] = beds
    for name in ("same_day_intake", "same_day_buprenorphine"):
        if values.get(name) in ("yes", "no"):
            out[name] = values[name] == "yes"
    for name in ("intake_hours", "note"):
        if str(values.get(name) or "").strip():
            out[name] = values[name]
    return out
