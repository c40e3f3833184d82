"""Problem reports from users ("this phone number is wrong"), kept in a local JSON Lines file.

One JSON object per line in ``<folder>/reports.jsonl``. Each report is appended under an
exclusive lock, flushed and fsync'ed before :meth:`ReportStore.add` returns, so a
report is never lost or interleaved with another. The folder is ``$DIRECTORY_REPORTS_DIR``
or ``./reports``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..core.errors import ValidationError
from ..core.i18n import N_, _, ngettext, number
from ..live.availability import append_line as _append_line
from ..live.availability import default_folder

FILENAME = "reports.jsonl"
RESOLUTIONS = "resolutions.jsonl"
MAX_MESSAGE = 2000
MAX_CONTACT = 200

#: What a person can say is wrong: stored in English whatever the form's language (maintainers read one
#: vocabulary); :func:`problem_label` gives the form's words.
PROBLEMS = (
    N_("Phone number is wrong"),
    N_("Address or location is wrong"),
    N_("Facility has closed"),
    N_("Services are wrong or out of date"),
    N_("Website is wrong"),
    N_("Something else"),
)


def problem_label(problem: str) -> str:
    """A problem as the report form shows it, in the current language."""
    return _(problem)


def trim(text: str, limit: int = MAX_MESSAGE) -> tuple[str, str]:
    """``(text, note)``: text longer than ``limit`` is cut there, and the note says so (a form keeps
    what was pasted and tells the person, instead of refusing it or emptying the box).

    >>> trim("abc", 2)
    ('ab', 'Your message was 3 characters long; the first 2 were kept.')
    """
    if len(text) <= limit:
        return text, ""
    return text[:limit], _("Your message was {n} characters long; the first {limit} were kept.").format(
        n=number(len(text)), limit=number(limit)
    )


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
    #: Who sent it, as :func:`client_key` (never the address itself): what the daily limits count.
    client: str = ""

    def __post_init__(self) -> None:
        if not self.facility_id.strip():
            raise ValidationError("a report needs the facility it is about")
        if self.problem not in PROBLEMS:
            raise ValidationError(f"problem must be one of: {', '.join(PROBLEMS)}")
        if len(self.message) > MAX_MESSAGE:
            raise ValidationError(_("the message is longer than {n} characters").format(n=number(MAX_MESSAGE)))
        if len(self.contact) > MAX_CONTACT:
            raise ValidationError(_("the contact is longer than {n} characters").format(n=number(MAX_CONTACT)))
        if self.problem == "Something else" and not self.message.strip():
            raise ValidationError(_("say what is wrong in the message"))


@dataclass(frozen=True)
class Resolution:
    """A report marked done: by a maintainer's note, or by a correction that names it."""

    report_id: str
    note: str
    resolved: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    by_correction: str = ""
    #: Who resolved it (a maintainer's e-mail from the console; empty from the CLI of older versions).
    by: str = ""


class ReportStore:
    """Append-only store of :class:`Report` objects in ``folder/reports.jsonl``."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else default_folder()
        self.path = self.folder / FILENAME

    def add(self, report: Report) -> Report:
        """Append ``report`` durably; returns it."""
        _append_line(self.path, json.dumps(asdict(report), ensure_ascii=False, sort_keys=True))
        return report

    def resolve(self, report_id: str, note: str, by: str = "") -> Resolution:
        """Mark a report resolved with a note (appended to ``resolutions.jsonl``: nothing is rewritten)."""
        known = {r.report_id for r in self.list()[0]}
        if report_id not in known:
            raise ValidationError(f"no report {report_id!r} in {self.path}")
        resolution = Resolution(report_id, note.strip()[:MAX_MESSAGE], by=by)
        _append_line(self.folder / RESOLUTIONS, json.dumps(asdict(resolution), ensure_ascii=False, sort_keys=True))
        return resolution

    def resolutions(self) -> dict[str, Resolution]:
        """Report id → its latest resolution."""
        path = self.folder / RESOLUTIONS
        found: dict[str, Resolution] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    item = Resolution(**{k: str(v) for k, v in json.loads(line).items()})
                except (ValueError, TypeError):
                    continue
                found[item.report_id] = item
        return found

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
        from ..stores.postgis.connect import SCHEMA, connect

        conn = connect(self.dsn)
        if not self._ready:  # the table exists after `db load`; made here once for a fresh database
            conn.execute(SCHEMA)
            self._ready = True
        return conn

    def add(self, report: Report) -> Report:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO problem_reports (report_id, created, facility_id, facility_name, problem, message, "
                "contact, client) VALUES (%(report_id)s, %(created)s, %(facility_id)s, %(facility_name)s, "
                "%(problem)s, %(message)s, %(contact)s, %(client)s)",
                asdict(report),
            )
        return report

    def resolve(self, report_id: str, note: str, by: str = "") -> Resolution:
        resolution = Resolution(report_id, note.strip()[:MAX_MESSAGE], by=by)
        with self._connect() as conn:
            if conn.execute("SELECT 1 FROM problem_reports WHERE report_id = %s", (report_id,)).fetchone() is None:
                raise ValidationError(f"no report {report_id!r} in {self.path}")
            conn.execute(
                "INSERT INTO report_resolutions (report_id, resolved, note, by) VALUES (%s, %s, %s, %s)",
                (resolution.report_id, resolution.resolved, resolution.note, resolution.by),
            )
        return resolution

    def resolutions(self) -> dict[str, Resolution]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT report_id, note, resolved, by FROM report_resolutions ORDER BY resolved"
            ).fetchall()
        return {r[0]: Resolution(r[0], r[1], r[2], by=r[3]) for r in rows}

    def list(self) -> tuple[list[Report], list[str]]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT facility_id, facility_name, problem, message, contact, report_id, created, client "
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
    from ..core import paths
    from ..stores.postgis.connect import is_dsn

    source = str(data or paths.facilities_file())
    if folder is None and is_dsn(source):
        return DatabaseReportStore(source)
    return ReportStore(folder)


def review(store, corrections=()) -> list[tuple[Report, Resolution | None]]:
    """Every report with its resolution, if any: a maintainer's note, or a correction that names it
    (``report_id``; a correction resolves the report it answers)."""
    reports, _ = store.list()
    resolved = store.resolutions()
    for c in corrections:
        if c.report_id and c.action != "undo":
            resolved.setdefault(c.report_id, Resolution(c.report_id, c.describe(), c.verified_on, str(c.id)))
    return [(r, resolved.get(r.report_id)) for r in reports]


#: Reports one person may send in :data:`REPORT_WINDOW_SECONDS` (the public form's only power is to write
#: to maintainers: this keeps a pasting script from filling their queue).
REPORTS_PER_WINDOW = 5
REPORT_WINDOW_SECONDS = 600


def may_report(sent: list[float], now: float) -> tuple[bool, str]:
    """Whether a person who sent reports at times ``sent`` (seconds) may send another at ``now``, and what
    to tell them when not.

    >>> may_report([0, 10, 20, 30, 40], 100)
    (False, 'You have sent 5 reports in the last 10 minutes. Thank you — please wait 9 minutes before sending another.')
    >>> may_report([0, 10, 20, 30, 40], 700)
    (True, '')
    """
    recent = [t for t in sent if now - t < REPORT_WINDOW_SECONDS]
    if len(recent) < REPORTS_PER_WINDOW:
        return True, ""
    wait = max(1, math.ceil((REPORT_WINDOW_SECONDS - (now - min(recent))) / 60))
    sent_text = _("You have sent {n} reports in the last {minutes} minutes.").format(
        n=number(len(recent)), minutes=REPORT_WINDOW_SECONDS // 60
    )
    wait_text = ngettext(
        "Thank you — please wait {n} minute before sending another.",
        "Thank you — please wait {n} minutes before sending another.",
        wait,
    ).format(n=wait)
    return False, f"{sent_text} {wait_text}"


#: Reports accepted from one client address in a day, and from everyone in a day (settings
#: ``DIRECTORY_REPORTS_PER_CLIENT`` and ``DIRECTORY_REPORTS_PER_DAY``): a script opening session after
#: session cannot bury real reports, and the store stays bounded.
PER_CLIENT_ENV, PER_DAY_ENV = "DIRECTORY_REPORTS_PER_CLIENT", "DIRECTORY_REPORTS_PER_DAY"
REPORTS_PER_CLIENT = 20
REPORTS_PER_DAY = 500
#: The proxies whose ``X-Forwarded-For`` the app believes (addresses, comma-separated); none by default.
TRUSTED_PROXIES_ENV = "DIRECTORY_TRUSTED_PROXIES"
#: Mixed into :func:`client_key` (set it to a secret of the deployment's own).
SALT_ENV = "DIRECTORY_CLIENT_SALT"


def client_address(peer: str | None, forwarded_for: str | None, trusted: str | None = None) -> str:
    """The address a request came from: the connection's own, unless it is a proxy named in ``trusted``
    (default ``$DIRECTORY_TRUSTED_PROXIES``) — then the last address of ``X-Forwarded-For`` that is not
    one of those proxies (what a client writes there itself comes first, and is not believed).

    >>> client_address("10.0.0.5", "1.2.3.4, 203.0.113.9", "10.0.0.5")
    '203.0.113.9'
    >>> client_address("198.51.100.7", "1.2.3.4", "10.0.0.5")
    '198.51.100.7'
    """
    proxies = {a.strip() for a in (os.environ.get(TRUSTED_PROXIES_ENV, "") if trusted is None else trusted).split(",")}
    peer = (peer or "").strip()
    if peer and peer in proxies and forwarded_for:
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if hop not in proxies:
                return hop
    return peer or "unknown"


def client_key(address: str, day: str) -> str:
    """A client address as reports keep it: a salted hash of the address and the day (a report file
    never holds an address, and a key says nothing about another day)."""
    salt = os.environ.get(SALT_ENV, "directory")
    return hashlib.sha256(f"{salt}|{day}|{address}".encode()).hexdigest()[:16]


def _limit(env: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(env, default)))
    except ValueError:
        return default


def may_accept(store, client: str, now: datetime | None = None) -> tuple[bool, str]:
    """Whether the reports store takes one more report from ``client`` (a :func:`client_key`) today, and
    what to tell the person when not (one line)."""
    now = now or datetime.now(UTC)
    day = now.date().isoformat()
    reports, _problems = store.list()
    today = [r for r in reports if r.created[:10] == day]
    if len(today) >= _limit(PER_DAY_ENV, REPORTS_PER_DAY):
        return False, _("The directory has received as many reports as it can take today. Please try again tomorrow.")
    mine = sum(1 for r in today if r.client == client)
    if mine >= _limit(PER_CLIENT_ENV, REPORTS_PER_CLIENT):
        return False, _("Thank you — you have sent {n} reports today, as many as one connection can send.").format(
            n=number(mine)
        )
    return True, ""
