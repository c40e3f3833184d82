"""What a provider reports about its site this week: accepting new patients (yes / waitlist / no /
assessment first), the expected wait, open beds or slots per level of care, same-day intake and
same-day buprenorphine, and a short note — the provider's word with its time.

A report is one record, appended and never edited (:class:`AvailabilityLog`); the newest report of a
site is its availability, *current* for :data:`CURRENT_DAYS` days after it was received and then shown
as "last reported 3 weeks ago". The words are HL7 Gravity SDOH Clinical Care's capacity statuses
(:data:`CAPACITY_STATUS`) and Open Referral HSDS 3.1's ``service_capacity`` (unit "bed").

>>> r = parse_report({"accepting_new_patients": "waitlist", "wait_days": 10,
...                   "beds": [{"level": "detox", "available": 2, "maximum": 12}]}, "f0123456789ab", 7,
...                  received_at=datetime(2026, 12, 1, 15, tzinfo=UTC))
>>> r.accepting_new_patients, r.wait_days, r.beds[0].available, r.current(datetime(2026, 12, 6, tzinfo=UTC))
('waitlist', 10, 2, True)
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..core.errors import InputFileError, ReportRejected
from ..core.i18n import N_

#: What a provider may say about new patients → HL7 Gravity SDOHCC HealthcareServiceCapacityStatus.
CAPACITY_STATUS = {
    "yes": "capacity",
    "waitlist": "waitlist",
    "no": "no-capacity",
    "assessment": "additional-assessment-required",
}
ACCEPTING_LABELS = {
    "yes": N_("Accepting new patients"),
    "waitlist": N_("Waitlist"),
    "no": N_("Not accepting new patients"),
    "assessment": N_("Assessment first"),
}
#: The levels of care a provider may report beds or slots for: the treatment groups of those names
#: (their labels are the groups' own).
LEVELS = ("detox", "residential", "inpatient")
MAX_NOTE = 280
MAX_HOURS = 120
MAX_WAIT_DAYS = 365
MAX_BEDS = 10_000
#: A report is current this many days after it was received (``DIRECTORY_AVAILABILITY_DAYS`` changes it).
CURRENT_DAYS = 14
DAYS_ENV = "DIRECTORY_AVAILABILITY_DAYS"
#: The fields a report's body may hold (anything else is refused by name).
FIELDS = (
    "accepting_new_patients",
    "wait_days",
    "beds",
    "same_day_intake",
    "intake_hours",
    "same_day_buprenorphine",
    "note",
)


def current_days() -> int:
    value = os.environ.get(DAYS_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else CURRENT_DAYS


@dataclass(frozen=True)
class Beds:
    """Open beds or slots at one level of care (HSDS ``service_capacity``: unit "bed")."""

    level: str
    available: int
    maximum: int | None = None


@dataclass(frozen=True)
class Availability:
    """One report: the provider's word about its site, with when it was received (server time, UTC) and
    which provider link sent it (``link_id``; never the secret)."""

    facility_id: str
    received_at: datetime
    link_id: int
    accepting_new_patients: str = ""
    wait_days: int | None = None
    beds: tuple[Beds, ...] = ()
    same_day_intake: bool | None = None
    intake_hours: str = ""
    same_day_buprenorphine: bool | None = None
    note: str = ""
    report_id: str = field(default="")

    def current(self, now: datetime | None = None) -> bool:
        """Received within :func:`current_days` of ``now``."""
        return (now or datetime.now(UTC)) - self.received_at <= timedelta(days=current_days())

    @property
    def capacity_status(self) -> str:
        """The SDOHCC capacity status ('' when the report does not say)."""
        return CAPACITY_STATUS.get(self.accepting_new_patients, "")

    @property
    def open_beds(self) -> int:
        return sum(b.available for b in self.beds)

    def body(self) -> dict[str, object]:
        """The report as the API takes and returns it (the fields of :data:`FIELDS`, then when and who)."""
        return {
            "facility_id": self.facility_id,
            "accepting_new_patients": self.accepting_new_patients or None,
            "capacity_status": self.capacity_status or None,
            "wait_days": self.wait_days,
            "beds": [asdict(b) for b in self.beds],
            "same_day_intake": self.same_day_intake,
            "intake_hours": self.intake_hours or None,
            "same_day_buprenorphine": self.same_day_buprenorphine,
            "note": self.note or None,
            "reported_at": self.received_at.isoformat(timespec="seconds"),
            "reported_by": "the provider",
            "report_id": self.report_id,
        }

    def public(self, now: datetime | None = None) -> dict[str, object]:
        """:meth:`body` with whether it is still current (what the APIs and downloads give)."""
        return {**self.body(), "current": self.current(now)}

    def to_json(self) -> str:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat(timespec="seconds")
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Availability:
        data = json.loads(line)
        data["received_at"] = datetime.fromisoformat(data["received_at"])
        data["beds"] = tuple(Beds(**b) for b in data.get("beds", ()))
        return cls(**data)


def _text(value: object, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ReportRejected(f"{name} must be text", name)
    # Kept as text, never rendered: control characters (a line break in hours, a bidi override) go.
    cleaned = "".join(c for c in value if c in "\n" or unicodedata.category(c)[0] != "C").strip()
    if name != "note":
        cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        raise ReportRejected(f"{name} is longer than {limit} characters ({len(cleaned)})", name)
    return cleaned


def _flag(value: object, name: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ReportRejected(f"{name} must be true or false", name)
    return value


def _count(value: object, name: str, limit: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReportRejected(f"{name} must be a whole number", name)
    if not 0 <= value <= limit:
        raise ReportRejected(f"{name} must be between 0 and {limit}, not {value}", name)
    return value


def parse_report(
    body: Mapping[str, object], facility_id: str, link_id: int, *, received_at: datetime | None = None
) -> Availability:
    """A report from a request's JSON body (or the update page's form), checked field by field;
    :class:`ReportRejected` names the first field that is wrong. An empty report is refused."""
    if not isinstance(body, Mapping):
        raise ReportRejected("the body must be a JSON object", "body")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise ReportRejected(f"unknown field {unknown[0]!r}; the fields are: {', '.join(FIELDS)}", unknown[0])
    accepting = body.get("accepting_new_patients")
    if accepting is not None and accepting not in CAPACITY_STATUS:
        raise ReportRejected(
            f"accepting_new_patients must be one of {', '.join(CAPACITY_STATUS)}, not {accepting!r}",
            "accepting_new_patients",
        )
    wait = _count(body.get("wait_days"), "wait_days", MAX_WAIT_DAYS)
    if wait is not None and accepting != "waitlist":
        raise ReportRejected("wait_days is for a waitlist: say accepting_new_patients = waitlist", "wait_days")
    beds_in = body.get("beds") or []
    if not isinstance(beds_in, list):
        raise ReportRejected("beds must be a list of {level, available, maximum}", "beds")
    beds: list[Beds] = []
    for item in beds_in:
        if not isinstance(item, Mapping) or set(item) - {"level", "available", "maximum"}:
            raise ReportRejected("each of beds must be {level, available, maximum}", "beds")
        level = item.get("level")
        if level not in LEVELS:
            raise ReportRejected(f"beds level must be one of {', '.join(LEVELS)}, not {level!r}", "beds")
        if level in {b.level for b in beds}:
            raise ReportRejected(f"beds names {level} twice", "beds")
        available = _count(item.get("available"), "beds", MAX_BEDS)
        if available is None:
            raise ReportRejected(f"beds for {level} need available", "beds")
        maximum = _count(item.get("maximum"), "beds", MAX_BEDS)
        if maximum is not None and available > maximum:
            raise ReportRejected(f"beds for {level}: {available} available is above the maximum {maximum}", "beds")
        beds.append(Beds(level, available, maximum))
    report = Availability(
        facility_id=facility_id,
        received_at=(received_at or datetime.now(UTC)).replace(microsecond=0),
        link_id=link_id,
        accepting_new_patients=accepting or "",
        wait_days=wait,
        beds=tuple(sorted(beds, key=lambda b: LEVELS.index(b.level))),
        same_day_intake=_flag(body.get("same_day_intake"), "same_day_intake"),
        intake_hours=_text(body.get("intake_hours"), "intake_hours", MAX_HOURS),
        same_day_buprenorphine=_flag(body.get("same_day_buprenorphine"), "same_day_buprenorphine"),
        note=_text(body.get("note"), "note", MAX_NOTE),
    )
    if not (
        report.accepting_new_patients
        or report.beds
        or report.same_day_intake is not None
        or report.same_day_buprenorphine is not None
        or report.intake_hours
        or report.note
    ):
        raise ReportRejected("the report says nothing: give at least accepting_new_patients or beds", "body")
    return report


#: Where the live files are (the same folder as problem reports): ``$DIRECTORY_REPORTS_DIR`` or ``./reports``.
FOLDER_ENV = "DIRECTORY_REPORTS_DIR"


def default_folder() -> Path:
    return Path(os.environ.get(FOLDER_ENV) or "reports")


def append_line(path: Path, line: str) -> None:
    """Append one line under an exclusive lock, flushed and fsync'ed: never lost, never interleaved."""
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    except OSError as exc:
        raise InputFileError(f"cannot save to {path}: {exc.strerror or exc}") from None


class AvailabilityLog:
    """Every report, appended to ``folder/availability.jsonl`` under an exclusive lock and fsync'ed
    (never lost, never interleaved; a crash mid-write loses at most that line, which is skipped on
    reading). :meth:`latest` is read again only when the file changes."""

    FILENAME = "availability.jsonl"

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else default_folder()
        self.path = self.folder / self.FILENAME
        self._seen: tuple[int, int] | None = None
        self._latest: dict[str, Availability] = {}
        self._all: list[Availability] = []
        #: Counts the times the log was read anew (a reader's caches key on it).
        self.version = 0

    def add(self, report: Availability) -> Availability:
        import uuid
        from dataclasses import replace

        report = replace(report, report_id=report.report_id or uuid.uuid4().hex[:12])
        append_line(self.path, report.to_json())
        return report

    def _read(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            if self._seen is not None:
                self.version += 1
            self._seen, self._latest, self._all = None, {}, []
            return
        key = (stat.st_mtime_ns, stat.st_size)
        if key == self._seen:
            return
        reports = []
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    reports.append(Availability.from_json(line))
                except (ValueError, TypeError, KeyError):
                    continue  # a line cut by a crash, or not ours
        latest: dict[str, Availability] = {}
        for r in reports:
            latest[r.facility_id] = r
        self._seen, self._latest, self._all = key, latest, reports
        self.version += 1

    def latest(self) -> dict[str, Availability]:
        """Facility id → its newest report (read again when the file has changed)."""
        self._read()
        return self._latest

    def history(self, facility_id: str | None = None) -> list[Availability]:
        self._read()
        return [r for r in self._all if facility_id is None or r.facility_id == facility_id]

    def sent_since(self, link_id: int, since: datetime) -> list[datetime]:
        """When the link sent reports since ``since`` (the hourly limit counts them)."""
        self._read()
        return [r.received_at for r in self._all if r.link_id == link_id and r.received_at >= since]


def available_now(latest: Mapping[str, Availability], now: datetime | None = None) -> dict[str, frozenset[str]]:
    """The sites each value of the ``available_now`` filter selects, by every store's one rule: a
    *current* report (:meth:`Availability.current`) that says it accepts new patients (``accepting``),
    or that reports open beds or slots (``beds``). An old report, or Colorado's "accepting" of 2023 (a
    source's fact, not a report), never counts."""
    now = now or datetime.now(UTC)
    current = [r for r in latest.values() if r.current(now)]
    return {
        "accepting": frozenset(r.facility_id for r in current if r.accepting_new_patients == "yes"),
        "beds": frozenset(r.facility_id for r in current if r.open_beds > 0),
    }
