"""Maintainers' corrections: evidence like a source — dated, attributed, applied by the build in one
place, and undone by another line, never by editing history.

``data/corrections.csv`` holds one line per correction (:data:`COLUMNS`):

========================  =====================================================================
``id``                    its number (1, 2, …): what ``--undo N`` and the build report name
``facility_id``           the site
``action``                ``closed``, ``reopened``, ``set`` (a field to a value), ``clear`` (a field),
                          ``verified`` (the record as it is), or ``undo`` (line ``undoes``)
``field``, ``value``      for ``set`` and ``clear`` (:data:`FIELDS`)
``reason``                why, in words ("phone disconnected; new number from its website")
``verified_how``          ``phone``, ``website``, ``visit`` or ``provider``
``verified_on``           the date it was verified (ISO)
``by``                    the maintainer's name or initials
``report_id``             the problem report it answers, if any (that report is then resolved)
``undoes``                for ``undo``: the id of the line it undoes
``recorded_at``           when the line was written (UTC, to the second; empty in older files)
========================  =====================================================================

An ``attempt`` line records a call that verified nothing (``field``: :data:`ATTEMPTS` — no answer, a
wrong number, the site declined to confirm): it changes no record, and a verification queue counts it.

:func:`append` validates a correction like the importers validate a row (the site exists, the field
can be corrected, a phone is a phone, a date is a date) and appends it under an exclusive lock,
flushed and fsync'ed: several maintainers at once never lose a line. :func:`apply` is what
``directory build`` runs last: later lines win, undone lines are skipped, and every line is accounted
for — applied, undone, or not applicable (its site is gone after a rebuild, its field no longer
exists), with the reason.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path

from ..core import paths
from ..core.errors import InputFileError, ValidationError
from ..core.facility import ACCESSIBILITY, Facility, parse_hours
from ..core.normalize import clean_text, clean_website, phones

CORRECTIONS_ENV = "DIRECTORY_CORRECTIONS"
ACTIONS = ("closed", "reopened", "set", "clear", "verified", "undo", "attempt")
#: What an ``attempt`` line says happened.
ATTEMPTS = ("no_answer", "wrong_number", "declined")
METHODS = ("phone", "website", "visit", "provider")
#: Fields a maintainer may set or clear, and how a value is checked and written.
FIELDS = (
    "name",
    "name2",
    "street1",
    "street2",
    "city",
    "zip",
    "phone",
    "intake_phone",
    "website",
    "notes",
    "hours",
    "accepting_new_patients",
    "accessibility",
)
#: A verification this recent shows ("Verified by phone, Nov 2026"); an older one is history.
SHOWN_FOR_DAYS = 365
#: The source id a correction is listed under in a site's ``sources``.
SOURCE_ID = "corrections"


@dataclass(frozen=True)
class Correction:
    """One line of the corrections file."""

    id: int
    facility_id: str
    action: str
    field: str = ""
    value: str = ""
    reason: str = ""
    verified_how: str = ""
    verified_on: str = ""
    by: str = ""
    report_id: str = ""
    undoes: str = ""
    recorded_at: str = ""

    def row(self) -> list[str]:
        return [str(getattr(self, f.name)) for f in fields(self)]

    def describe(self) -> str:
        """One line for people: ``#3 f3a1d13806edf set phone=727-555-0100 (phone, 2026-11-30, AB)``."""
        what = {
            "set": f"set {self.field}={self.value}",
            "clear": f"clear {self.field}",
            "undo": f"undo #{self.undoes}",
            "attempt": f"attempt: {self.field.replace('_', ' ')}",
        }.get(self.action, self.action)
        when = ", ".join(p for p in (self.verified_how, self.verified_on, self.by) if p)
        return f"#{self.id} {self.facility_id} {what} ({when})"


COLUMNS = [f.name for f in fields(Correction)]
#: Columns an older file may lack (read as empty).
OPTIONAL = ("recorded_at",)


def default_path() -> Path:
    return Path(os.environ.get(CORRECTIONS_ENV) or paths.DATA_DIR / "corrections.csv")


def normalise_value(field_name: str, value: str) -> str:
    """A corrected value as the record stores it; raises :class:`ValidationError` when it cannot be one.

    >>> normalise_value("phone", "(727) 555-0100")
    '727-555-0100'
    >>> normalise_value("accepting_new_patients", "Yes")
    'yes'
    """
    text = clean_text(value)
    if field_name in ("phone", "intake_phone"):
        found = phones(text)
        if len(found) != 1:
            raise ValidationError(f"{field_name} must be one US phone number such as 727-555-0100, not {value!r}")
        return found[0]
    if field_name == "website":
        url = clean_website(text)
        if not url:
            raise ValidationError(f"website must be a web address such as https://example.org, not {value!r}")
        return url
    if field_name == "zip":
        if not re.fullmatch(r"\d{5}", text):
            raise ValidationError(f"zip must be 5 digits, not {value!r}")
        return text
    if field_name == "accepting_new_patients":
        if text.lower() not in ("yes", "no"):
            raise ValidationError(f"accepting_new_patients must be yes or no, not {value!r}")
        return text.lower()
    if field_name == "accessibility":
        items = [a.strip() for a in text.split(";") if a.strip()]
        unknown = [a for a in items if a not in ACCESSIBILITY]
        if unknown or not items:
            raise ValidationError(f"accessibility lists {', '.join(ACCESSIBILITY)} separated by ';', not {value!r}")
        return ";".join(items)
    if field_name == "hours":
        if not parse_hours(text):
            raise ValidationError(f"hours must read like 'mon 08:00-17:00; tue 08:00-17:00', not {value!r}")
        return text
    if field_name == "name" and not text:
        raise ValidationError("a name cannot be empty (use clear for a second line, closed for a closed site)")
    return text


def check(correction: Correction, existing: list[Correction], known: Callable[[str], bool]) -> None:
    """Raise :class:`ValidationError` (one line, saying what to fix) when ``correction`` cannot be added:
    ``known(facility_id)`` says whether the directory has the site."""
    c = correction
    if c.action not in ACTIONS:
        raise ValidationError(f"action must be one of {', '.join(ACTIONS)}, not {c.action!r}")
    if c.action == "undo":
        target = next((e for e in existing if str(e.id) == c.undoes), None)
        if target is None:
            raise ValidationError(f"there is no correction #{c.undoes} to undo")
        if target.action == "undo":
            raise ValidationError(f"#{c.undoes} is itself an undo; correct the site again instead")
        if any(e.action == "undo" and e.undoes == c.undoes for e in existing):
            raise ValidationError(f"#{c.undoes} is already undone")
    elif not known(c.facility_id):
        raise ValidationError(f"no facility with id {c.facility_id!r} in this directory")
    if c.action in ("set", "clear"):
        if c.field not in FIELDS:
            raise ValidationError(f"field must be one of {', '.join(FIELDS)}, not {c.field!r}")
        if c.action == "clear" and c.field == "name":
            raise ValidationError("a name cannot be cleared")
    if c.action == "attempt" and c.field not in ATTEMPTS:
        raise ValidationError(f"an attempt is one of {', '.join(ATTEMPTS)}, not {c.field!r}")
    if c.action != "undo" and c.verified_how not in METHODS:
        raise ValidationError(f"say how it was verified: --verified {'|'.join(METHODS)}")
    try:
        when = date.fromisoformat(c.verified_on)
    except ValueError:
        raise ValidationError(f"verified_on must be an ISO date (2026-11-30), not {c.verified_on!r}") from None
    if when > date.today():
        raise ValidationError(f"verified_on {c.verified_on} is in the future")
    if not c.by.strip():
        raise ValidationError("say who made it: --by NAME (or set DIRECTORY_MAINTAINER)")


def read(path: str | Path | None = None) -> list[Correction]:
    """Every correction in the file, checked; a row that is not a correction raises
    :class:`InputFileError` naming the row (the build stops rather than apply half a file)."""
    p = Path(path) if path else default_path()
    if not p.exists():
        return []
    with p.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            return []
        missing = set(COLUMNS) - set(reader.fieldnames) - set(OPTIONAL)
        if missing:
            raise InputFileError(f"{p}: not a corrections file (no {', '.join(sorted(missing))} column)")
        found: list[Correction] = []
        for line, row in enumerate(reader, start=2):
            try:
                number = int(row["id"])
            except (TypeError, ValueError):
                raise InputFileError(
                    f"{p}: row {line}: id {row.get('id')!r} is not a number; nothing was applied"
                ) from None
            correction = Correction(number, *(str(row.get(c) or "") for c in COLUMNS[1:]))
            try:
                check(correction, found, lambda _: True)  # whether the site still exists is the build's question
            except ValidationError as exc:
                raise InputFileError(f"{p}: row {line}: {exc}; nothing was applied") from None
            if correction.action in ("set", "clear") and correction.value:
                try:
                    normalise_value(correction.field, correction.value)
                except ValidationError as exc:
                    raise InputFileError(f"{p}: row {line}: {exc}; nothing was applied") from None
            found.append(correction)
    return found


def new(
    facility_id: str,
    action: str,
    *,
    by: str,
    verified_how: str = "",
    verified_on: str | None = None,
    field: str = "",
    value: str = "",
    reason: str = "",
    report_id: str = "",
    undoes: str = "",
) -> Correction:
    """A correction not yet numbered: its text cleaned, a set value normalised (a phone as the directory
    writes phones), dated today unless ``verified_on`` says otherwise."""
    if action == "set":
        value = normalise_value(field.strip(), value)
    return Correction(
        0,
        facility_id.strip(),
        action,
        field.strip(),
        value,
        clean_text(reason),
        verified_how,
        verified_on or date.today().isoformat(),
        clean_text(by),
        report_id.strip(),
        str(undoes),
    )


def append(
    correction: Correction, *, known: Callable[[str], bool] | None = None, path: str | Path | None = None
) -> Correction:
    """Check a correction (made by :func:`new`) and append it as the file's next line, under an exclusive
    lock (a process that appends at the same time waits, then numbers its line after this one); returns
    it numbered. ``known(facility_id)`` says whether the directory has the site."""
    p = Path(path) if path else default_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(p, "a+", encoding="utf-8", newline="") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                text = fh.read()
                existing = read(p) if text.strip() else []
                numbered = replace(
                    correction,
                    id=max((c.id for c in existing), default=0) + 1,
                    recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
                if numbered.action == "undo":
                    target = next((c for c in existing if str(c.id) == numbered.undoes), None)
                    if target is not None:
                        numbered = replace(numbered, facility_id=target.facility_id)
                check(numbered, existing, known or (lambda _: True))
                if text.strip() and text.splitlines()[0].strip() != ",".join(COLUMNS):
                    text = _upgrade(p, fh, existing)  # only for a line that will be written
                out = io.StringIO()
                writer = csv.writer(out, lineterminator="\n")
                if not text.strip():
                    writer.writerow(COLUMNS)
                elif not text.endswith("\n"):
                    out.write("\n")
                writer.writerow(numbered.row())
                fh.write(out.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    except OSError as exc:
        raise InputFileError(f"cannot write {p}: {exc.strerror or exc}") from None
    return numbered


def _upgrade(path: Path, fh, existing: list[Correction]) -> str:
    """Rewrite an older file (under the caller's lock) with today's columns, its lines unchanged, after
    keeping a copy of it beside it; returns the new text."""
    fh.seek(0)
    old = fh.read()
    backup = path.with_name(f"{path.name}.before-{date.today().isoformat()}")
    if not backup.exists():
        backup.write_text(old, encoding="utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in existing:
        writer.writerow(c.row())
    fh.seek(0)
    fh.truncate()
    fh.write(out.getvalue())  # the file is opened for appending: this writes from its (new) start
    fh.flush()
    os.fsync(fh.fileno())
    return out.getvalue()


@dataclass
class Applied:
    """What :func:`apply` did with each line."""

    applied: list[dict[str, object]]
    not_applied: list[dict[str, object]]
    undone: list[int]
    #: Report ids the applied corrections answer.
    resolves: list[str]

    def report(self) -> dict[str, object]:
        return {
            "applied": self.applied,
            "not_applied": self.not_applied,
            "undone": self.undone,
            "reports_resolved": self.resolves,
        }


def apply(records: Iterable[Facility], corrections: list[Correction]) -> tuple[list[Facility], Applied]:
    """The records with every correction applied, newest evidence last (see the module docstring)."""
    by_id = {r.facility_id: r for r in records}
    undone = {int(c.undoes) for c in corrections if c.action == "undo" and c.undoes.isdigit()}
    result = Applied([], [], sorted(undone), [])
    for c in corrections:
        if c.action in ("undo", "attempt") or c.id in undone:
            continue
        record = by_id.get(c.facility_id)
        if record is None:
            result.not_applied.append(
                {
                    "id": c.id,
                    "facility_id": c.facility_id,
                    "action": c.action,
                    "reason": "no facility with this id after this build",
                }
            )
            continue
        if c.action in ("set", "clear") and c.field not in FIELDS:
            result.not_applied.append(
                {
                    "id": c.id,
                    "facility_id": c.facility_id,
                    "action": c.action,
                    "reason": f"field {c.field!r} can no longer be corrected",
                }
            )
            continue
        by_id[c.facility_id] = _apply_one(record, c)
        result.applied.append({"id": c.id, "facility_id": c.facility_id, "what": c.describe()})
        if c.report_id:
            result.resolves.append(c.report_id)
    return [by_id[fid] for fid in by_id], result


def _apply_one(record: Facility, c: Correction) -> Facility:
    when = date.fromisoformat(c.verified_on)
    changes: dict[str, object] = {"verified_on": when, "verified_by_method": c.verified_how}
    if c.action == "closed":
        changes["status"] = "closed"
    elif c.action == "reopened":
        changes["status"] = ""
    elif c.action in ("set", "clear"):
        value = normalise_value(c.field, c.value) if c.action == "set" else ""
        row = {**record.to_row(), c.field: value}
        if c.field in ("hours", "accepting_new_patients", "accessibility"):
            row.update(details_source=SOURCE_ID, details_as_of=c.verified_on)
        changed = Facility.from_row(row)
        changes[c.field] = getattr(changed, c.field)
        if "details_source" in row and row["details_source"] == SOURCE_ID:
            changes.update(details_source=SOURCE_ID, details_as_of=when)
        kept = tuple(x for x in record.corrected_fields if x[0] != c.field)
        changes["corrected_fields"] = (*kept, (c.field, when, c.verified_how))
    if SOURCE_ID not in record.sources:  # last: a source's listing stays the site's "last listed"
        changes["sources"] = (*record.sources, SOURCE_ID)
    return replace(record, **changes)


class CorrectionsFile:
    """The corrections file as a live store reads it: read again whenever it changes (its size and
    modification time), with a ``version`` that counts the changes (what a cache of searches keys on)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.version = 0
        self._stamp: tuple[int, int] | None = None
        self._lines: list[Correction] = []

    def lines(self) -> list[Correction]:
        """Every line, oldest first (a file that cannot be read keeps the last good lines)."""
        try:
            info = self.path.stat()
            stamp: tuple[int, int] | None = (info.st_size, info.st_mtime_ns)
        except OSError:
            stamp = None
        if stamp != self._stamp:
            try:
                self._lines = read(self.path) if stamp else []
            except InputFileError:
                if self._stamp is None:
                    raise
                return self._lines
            self._stamp = stamp
            self.version += 1
        return self._lines

    def add(self, correction: Correction, known: Callable[[str], bool] | None = None) -> Correction:
        """Append a line (:func:`append`); the next read sees it."""
        return append(correction, known=known, path=self.path)


def undoable(line: Correction, lines: list[Correction], by: str, today: date | None = None) -> str:
    """Why ``by`` may not undo ``line`` from a console (one line), or "" when they may: only one's own
    line, the day it was made, not itself an undo, not already undone."""
    if line.action == "undo":
        return f"#{line.id} is itself an undo"
    if any(c.action == "undo" and c.undoes == str(line.id) for c in lines):
        return f"#{line.id} is already undone"
    if line.by.casefold() != by.casefold():
        return f"#{line.id} was recorded by {line.by}: only they can undo it here"
    if line.verified_on != (today or date.today()).isoformat():
        return f"#{line.id} is from {line.verified_on}: only today's lines are undone here (directory correct --undo)"
    return ""
