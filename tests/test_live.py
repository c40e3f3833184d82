"""Live state: a provider's availability report (validated field by field, append-only, read again when
the log changes) and the private links providers report with (hashed, revocable, expiring, rate-limited)."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest

from directory.core.errors import NotAllowed, ReportRejected
from directory.live.availability import AvailabilityLog, parse_report
from directory.live.links import PER_HOUR, ProviderLinks, digest, within_limit

from .conftest import national_directory

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site():
    """A real site of the shipped directory (a Tampa detox program)."""
    from directory import Query

    return national_directory().search(Query(near="Tampa, FL", services=("detox",))).records[0]


def test_a_report_in_the_providers_words(site):
    report = parse_report(
        {
            "accepting_new_patients": "waitlist",
            "wait_days": 10,
            "beds": [{"level": "detox", "available": 2, "maximum": 12}],
            "same_day_intake": True,
            "intake_hours": "Mon–Fri 8–11am",
            "same_day_buprenorphine": False,
            "note": "Call intake first.",
        },
        site.facility_id,
        3,
        received_at=NOW,
    )
    assert report.capacity_status == "waitlist" and report.open_beds == 2
    assert report.current(NOW + timedelta(days=14)) and not report.current(NOW + timedelta(days=15))
    body = report.body()
    assert body["reported_at"] == "2026-12-06T15:00:00+00:00" and body["beds"][0] == {
        "level": "detox",
        "available": 2,
        "maximum": 12,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"accepting_new_patients": "maybe"}, "accepting_new_patients"),
        ({"accepting": "yes"}, "accepting"),  # an unknown field, named
        ({"accepting_new_patients": "yes", "wait_days": 3}, "wait_days"),  # a wait without a waitlist
        ({"beds": [{"level": "detox", "available": -1}]}, "beds"),
        ({"beds": [{"level": "detox", "available": 5, "maximum": 4}]}, "beds"),
        ({"beds": [{"level": "spa", "available": 1}]}, "beds"),
        ({"beds": [{"level": "detox", "available": 1}, {"level": "detox", "available": 2}]}, "beds"),
        ({"beds": [{"level": "detox", "available": True}]}, "beds"),
        ({"same_day_intake": "yes"}, "same_day_intake"),
        ({"note": "x" * 281}, "note"),
        ({}, "body"),
        ([], "body"),
    ],
)
def test_a_bad_report_names_its_field(body, field):
    with pytest.raises(ReportRejected) as caught:
        parse_report(body, "f0123456789ab", 1, received_at=NOW)
    assert caught.value.field == field and "\n" not in str(caught.value)


def test_a_note_with_markup_is_kept_as_text():
    note = "<script>alert(1)</script> [x](https://evil.example) \u202eevil **b**"
    report = parse_report({"note": note}, "f0123456789ab", 1, received_at=NOW)
    assert report.note == note.replace("\u202e", "")  # a bidi override goes; the rest is text, kept


def test_the_log_keeps_every_report_and_reads_the_newest(tmp_path, site):
    log = AvailabilityLog(tmp_path)
    first = log.add(parse_report({"accepting_new_patients": "no"}, site.facility_id, 1, received_at=NOW))
    assert log.latest()[site.facility_id] == first
    second = log.add(
        parse_report({"accepting_new_patients": "yes"}, site.facility_id, 1, received_at=NOW + timedelta(hours=1))
    )
    assert log.latest()[site.facility_id] == second and len(log.history(site.facility_id)) == 2
    # A crash mid-write leaves a cut line: it is skipped, no earlier report is lost.
    with log.path.open("a", encoding="utf-8") as fh:
        fh.write('{"facility_id": "f0123')
    assert AvailabilityLog(tmp_path).latest()[site.facility_id] == second


def _report_many(folder: str, worker: int) -> None:
    log = AvailabilityLog(folder)
    for i in range(25):
        log.add(parse_report({"beds": [{"level": "detox", "available": i}]}, f"f{worker:012x}", worker))


def test_concurrent_writers_never_lose_a_line(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_report_many, args=(str(tmp_path), w)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    lines = (tmp_path / AvailabilityLog.FILENAME).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 100 and all(json.loads(line)["facility_id"] for line in lines)
    assert {r.facility_id for r in AvailabilityLog(tmp_path).history()} == {f"f{w:012x}" for w in range(4)}


def test_a_link_is_shown_once_stored_hashed_and_checked(tmp_path, site):
    links = ProviderLinks(tmp_path)
    link, secret = links.issue(site.facility_id, "intake@example.org / Dana", now=NOW)
    assert secret.startswith("tdp_") and len(secret) > 40
    stored = (tmp_path / ProviderLinks.FILENAME).read_text(encoding="utf-8")
    assert secret not in stored and digest(secret) in stored
    assert links.check(secret, site.facility_id, now=NOW).id == link.id == 1
    other, other_secret = links.issue("f0123456789ab", "someone", now=NOW)
    assert other.id == 2
    with pytest.raises(NotAllowed) as wrong_site:
        links.check(other_secret, site.facility_id, now=NOW)
    assert wrong_site.value.status == 403
    for bad in ("", None, "tdp_forged", secret + "x"):
        with pytest.raises(NotAllowed) as refused:
            links.check(bad, site.facility_id, now=NOW)
        assert refused.value.status == 401 and (not bad or bad not in str(refused.value))
    with pytest.raises(NotAllowed, match="expired"):
        links.check(secret, site.facility_id, now=NOW + timedelta(days=366))
    links.revoke(link.id, now=NOW)
    with pytest.raises(NotAllowed, match="revoked"):
        links.check(secret, site.facility_id, now=NOW)
    assert [x.state(NOW) for x in links.list()] == ["revoked", "active"]


def test_thirty_updates_an_hour():
    sent = [NOW - timedelta(minutes=59 - i) for i in range(PER_HOUR - 1)]
    within_limit(sent, NOW)  # the 30th is allowed
    with pytest.raises(NotAllowed) as caught:
        within_limit([*sent, NOW - timedelta(seconds=5)], NOW)
    assert caught.value.status == 429 and 0 < caught.value.retry_after <= 3600
