"""Taking a provider's report, the one way every front end does (the API's PUT, the update page): the
link checked for that site, the hourly limit, the body checked field by field, then one append. A
refusal raises :class:`~directory.core.errors.NotAllowed` or :class:`~directory.core.errors.ReportRejected`
and writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from .availability import Availability, parse_report
from .links import ProviderLinks, within_limit


def submit(log, links: ProviderLinks, secret: str | None, facility_id: str, body: Mapping[str, object]) -> Availability:
    """Store ``body`` as the report of ``facility_id`` sent with ``secret``; returns the stored report."""
    link = links.check(secret, facility_id)
    now = datetime.now(UTC)
    within_limit(log.sent_since(link.id, now - timedelta(hours=1)), now)
    return log.add(parse_report(body, facility_id, link.id, received_at=now))
