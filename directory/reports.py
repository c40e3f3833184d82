"""Problem reports from users ("this phone number is wrong"), kept in a local JSON Lines file.

One JSON object per line in ``<folder>/reports.jsonl``. Each report is appended under an
exclusive lock, flushed and fsync'ed before :meth:`ReportStore.add` returns, so a
report is never lost or interleaved with another. The folder is ``$DIRECTORY_REPORTS_DIR``
or ``./reports``.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .errors import InputFileError, ValidationError

REPORTS_ENV = "DIRECTORY_REPORTS_DIR"
FILENAME = "reports.jsonl"
MAX_MESSAGE = 2000
MAX_CONTACT = 200

#: What a person can say is wrong.
PROBLEMS = (
    "Phone number is wrong",
    "Address or location is wrong",
    "Facility has closed",
    "Services are wrong or out of date",
    "Website is wrong",
    "Something else",
)


def trim(text: str, limit: int = MAX_MESSAGE) -> tuple[str, str]:
    """``(text, note)``: text longer than ``limit`` is cut there, and the note says so (a form keeps
    what was pasted and tells the person, instead of refusing it or emptying the box).

    >>> trim("abc", 2)
    ('ab', 'Your message was 3 characters long; the first 2 were kept.')
    """
    if len(text) <= limit:
        return text, ""
    return text[:limit], f"Your message was {len(text):,} characters long; the first {limit:,} were kept."


@dataclass(frozen=True)
class Report:
    """A report about one facility."""

    facility_id: str
    facility_name: str
    problem: str
    message: str = ""
    contact: str = ""
    report_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def __post_init__(self) -> None:
        if not self.facility_id.strip():
            raise ValidationError("a report needs the facility it is about")
        if self.problem not in PROBLEMS:
            raise ValidationError(f"problem must be one of: {', '.join(PROBLEMS)}")
        if len(self.message) > MAX_MESSAGE:
            raise ValidationError(f"the message is longer than {MAX_MESSAGE} characters")
        if len(self.contact) > MAX_CONTACT:
            raise ValidationError(f"the contact is longer than {MAX_CONTACT} characters")
        if self.problem == "Something else" and not self.message.strip():
            raise ValidationError("say what is wrong in the message")


def default_folder() -> Path:
    return Path(os.environ.get(REPORTS_ENV) or "reports")


class ReportStore:
    """Append-only store of :class:`Report` objects in ``folder/reports.jsonl``."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else default_folder()
        self.path = self.folder / FILENAME

    def add(self, report: Report) -> Report:
        """Append ``report`` durably; returns it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            line = json.dumps(asdict(report), ensure_ascii=False, sort_keys=True) + "\n"
            with open(self.path, "a", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    fh.write(line)
                    fh.flush()
                    os.fsync(fh.fileno())
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        except OSError as exc:
            raise InputFileError(f"cannot save the report in {self.path}: {exc.strerror or exc}") from None
        return report

    def list(self) -> tuple[list[Report], list[str]]:
        """All reports, oldest first, and a message for each line that could not be read."""
        if not self.path.exists():
            return [], []
        reports: list[Report] = []
        problems: list[str] = []
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    reports.append(Report(**{k: str(v) for k, v in data.items()}))
                except (ValueError, TypeError, ValidationError) as exc:
                    problems.append(f"line {number}: {exc}")
        return reports, problems


class DatabaseReportStore:
    """The same reports in the PostGIS store's database (table ``problem_reports``): what several app
    replicas share. Same fields and validation as the file; each report is one committed INSERT."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.path = "the database's problem_reports table"
        self._ready = False

    def _connect(self):
        from .pgstore import SCHEMA, _connect

        conn = _connect(self.dsn)
        if not self._ready:  # the table exists after `db load`; made here once for a fresh database
            conn.execute(SCHEMA)
            self._ready = True
        return conn

    def add(self, report: Report) -> Report:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO problem_reports (report_id, created, facility_id, facility_name, problem, message, "
                "contact) VALUES (%(report_id)s, %(created)s, %(facility_id)s, %(facility_name)s, %(problem)s, "
                "%(message)s, %(contact)s)",
                asdict(report),
            )
        return report

    def list(self) -> tuple[list[Report], list[str]]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT facility_id, facility_name, problem, message, contact, report_id, created "
                "FROM problem_reports ORDER BY id"
            ).fetchall()
        reports, problems = [], []
        for row in rows:
            try:
                reports.append(Report(*row))
            except ValidationError as exc:
                problems.append(f"report {row[5]}: {exc}")
        return reports, problems


def open_reports(folder: str | Path | None = None, data: str | Path | None = None):
    """Where reports go: the database when the directory is served from one (``data`` or
    ``$DIRECTORY_FACILITIES`` is a PostgreSQL DSN), else ``folder/reports.jsonl``."""
    from . import paths
    from .pgstore import is_dsn

    source = str(data or paths.facilities_file())
    if folder is None and is_dsn(source):
        return DatabaseReportStore(source)
    return ReportStore(folder)
