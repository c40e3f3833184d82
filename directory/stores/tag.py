"""What a store's answers depend on, as one short text: what an HTTP answer's ``ETag`` is made of.

A store answers the same request the same way as long as the same load is served
(:meth:`~directory.stores.Store.build_id`), the same provider reports are the newest of their sites,
no report has stopped being current since, the same maintainers' corrections apply, and it is the
same day (a few words count days). :class:`StateTag` makes a text of exactly these, from the content
itself — never from a process's own counters — so every replica serving the same state gives the same
text, and a replica that has not yet seen a new report gives another.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from datetime import UTC, datetime, timedelta

from ..live.availability import current_days
from .base import Store, open_corrections


class StateTag:
    """Call it for the store's state now (cheap: the digests are made again only when the reports or
    the corrections changed)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._seen: tuple[int, int] | None = None
        self._digests = ("", "")
        #: When each newest report stops being current, ascending.
        self._expiries: list[datetime] = []

    def __call__(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        log = getattr(self.store, "live", None)
        latest = log.latest() if log is not None else {}
        corrections = open_corrections(self.store)
        lines = corrections.lines()
        seen = (log.version if log is not None else 0, corrections.version)
        if seen != self._seen:
            reports = hashlib.blake2b(digest_size=6)
            for fid in sorted(latest):
                reports.update(f"{fid}\t{latest[fid].report_id}\n".encode())
            fixes = hashlib.blake2b(digest_size=6)
            for c in lines:
                fixes.update(f"{c.id}\t{c.action}\t{c.facility_id}\t{c.field}\t{c.value}\t{c.undoes}\n".encode())
            days = timedelta(days=current_days())
            self._expiries = sorted(r.received_at + days for r in latest.values())
            self._digests = (reports.hexdigest(), fixes.hexdigest())
            self._seen = seen
        expired = bisect_left(self._expiries, now)  # reports no longer current: their words changed
        return f"{self.store.build_id()}.{self._digests[0]}.{expired}.{self._digests[1]}.{now:%Y%m%d}"
