"""Private links for providers: a maintainer issues one for one site, and the provider reports its
availability with it (the update page, or the API as a bearer key) — no account.

A link's secret is random (256 bits), shown once when issued and never stored: only its SHA-256 is
kept, with the site, who it is for, when it expires (:data:`DEFAULT_DAYS`) and whether it was revoked.
The file ``folder/provider_links.jsonl`` holds events (issued, revoked), appended under a lock and
never rewritten. A link changes nothing but its own site's availability, at most :data:`PER_HOUR`
times an hour.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..core.errors import InputFileError, NotAllowed, ValidationError

DEFAULT_DAYS = 365
PER_HOUR = 30
MAX_CONTACT = 200
#: The secret's prefix: a leaked one is recognisable (as package registries' tokens are).
PREFIX = "tdp_"


def digest(secret: str) -> str:
    """The stored form of a secret (a secret of 256 random bits needs no salt or slow hash)."""
    return hashlib.sha256(secret.strip().encode()).hexdigest()


@dataclass(frozen=True)
class ProviderLink:
    id: int
    facility_id: str
    contact: str
    created: datetime
    expires: datetime
    secret_hash: str
    revoked: datetime | None = None
    #: Who issued and revoked it (a maintainer's e-mail from the console; empty from older events).
    issued_by: str = ""
    revoked_by: str = ""

    def state(self, now: datetime | None = None) -> str:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked is not None:
            return "revoked"
        return "expired" if (now or datetime.now(UTC)) >= self.expires else "active"


class ProviderLinks:
    """The links issued, as events in ``folder/provider_links.jsonl``."""

    FILENAME = "provider_links.jsonl"

    def __init__(self, folder: str | Path | None = None) -> None:
        from .availability import default_folder

        self.folder = Path(folder) if folder else default_folder()
        self.path = self.folder / self.FILENAME

    def _events(self, fh=None) -> list[dict]:
        if fh is None:
            if not self.path.exists():
                return []
            text = self.path.read_text(encoding="utf-8", errors="replace")
        else:
            fh.seek(0)
            text = fh.read()
        events = []
        for line in text.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a crash
        return events

    def _locked(self, write):
        """Run ``write(events, fh)`` with the file locked: ids are numbered without a race."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    result, line = write(self._events(fh))
                    fh.seek(0, os.SEEK_END)
                    fh.write(line + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                    return result
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        except OSError as exc:
            raise InputFileError(f"cannot save to {self.path}: {exc.strerror or exc}") from None

    def issue(
        self, facility_id: str, contact: str, *, days: int = DEFAULT_DAYS, now: datetime | None = None, by: str = ""
    ):
        """A new link for ``facility_id``: ``(link, secret)``. The secret is returned once and never stored."""
        contact = " ".join(contact.split())
        if not facility_id.strip():
            raise ValidationError("a provider link needs the facility it is for")
        if not contact or len(contact) > MAX_CONTACT:
            raise ValidationError(f"say who the link is for (--contact, at most {MAX_CONTACT} characters)")
        if not 1 <= days <= 3650:
            raise ValidationError("a link lasts between 1 and 3,650 days")
        secret = PREFIX + secrets.token_urlsafe(32)
        now = (now or datetime.now(UTC)).replace(microsecond=0)

        def write(events):
            number = 1 + max((e.get("id", 0) for e in events if e.get("event") == "issued"), default=0)
            link = ProviderLink(
                number, facility_id, contact, now, now + timedelta(days=days), digest(secret), issued_by=by
            )
            event = {
                "event": "issued",
                "id": number,
                "facility_id": facility_id,
                "contact": contact,
                "created": now.isoformat(),
                "expires": link.expires.isoformat(),
                "secret_hash": link.secret_hash,
                "by": by,
            }
            return link, json.dumps(event, ensure_ascii=False, sort_keys=True)

        return self._locked(write), secret

    def revoke(self, link_id: int, now: datetime | None = None, by: str = "") -> ProviderLink:
        now = (now or datetime.now(UTC)).replace(microsecond=0)

        def write(events):
            links = _fold(events)
            if link_id not in links:
                raise ValidationError(f"no provider link {link_id}")
            event = {"event": "revoked", "id": link_id, "at": now.isoformat(), "by": by}
            return links[link_id], json.dumps(event, sort_keys=True)

        return replace(self._locked(write), revoked=now, revoked_by=by)

    def list(self) -> list[ProviderLink]:
        return sorted(_fold(self._events()).values(), key=lambda link: link.id)

    def check(self, secret: str | None, facility_id: str | None = None, now: datetime | None = None) -> ProviderLink:
        """The link a secret belongs to, if it may report for ``facility_id`` now; else :class:`NotAllowed`
        saying why in one line (never echoing the secret)."""
        if not secret or not secret.strip():
            raise NotAllowed("a provider key is needed: Authorization: Bearer <the key from your link>")
        wanted = digest(secret)
        link = next((x for x in _fold(self._events()).values() if secrets.compare_digest(x.secret_hash, wanted)), None)
        if link is None:
            raise NotAllowed("this provider key is not known (ask the directory's maintainers for a new link)")
        state = link.state(now)
        if state == "revoked":
            raise NotAllowed("this provider link was revoked (ask the directory's maintainers for a new one)")
        if state == "expired":
            raise NotAllowed(
                f"this provider link expired on {link.expires:%Y-%m-%d} (ask the directory's maintainers for a new one)"
            )
        if facility_id is not None and facility_id != link.facility_id:
            raise NotAllowed("this provider key is for another site", status=403)
        return link


def _fold(events: list[dict]) -> dict[int, ProviderLink]:
    links: dict[int, ProviderLink] = {}
    for e in events:
        try:
            if e.get("event") == "issued":
                links[int(e["id"])] = ProviderLink(
                    int(e["id"]),
                    str(e["facility_id"]),
                    str(e["contact"]),
                    datetime.fromisoformat(e["created"]),
                    datetime.fromisoformat(e["expires"]),
                    str(e["secret_hash"]),
                    issued_by=str(e.get("by", "")),
                )
            elif e.get("event") == "revoked" and int(e["id"]) in links:
                link = links[int(e["id"])]
                links[link.id] = replace(link, revoked=datetime.fromisoformat(e["at"]), revoked_by=str(e.get("by", "")))
        except (KeyError, ValueError, TypeError):
            continue
    return links


def within_limit(sent: list[datetime], now: datetime | None = None) -> None:
    """:class:`NotAllowed` (429, with when to try again) when a link sent :data:`PER_HOUR` reports in the
    last hour."""
    now = now or datetime.now(UTC)
    recent = sorted(t for t in sent if now - t < timedelta(hours=1))
    if len(recent) >= PER_HOUR:
        wait = int((recent[0] + timedelta(hours=1) - now).total_seconds()) + 1
        raise NotAllowed(
            f"this link sent {len(recent)} updates in the last hour; try again in {max(1, wait // 60)} minutes",
            status=429,
            retry_after=max(1, wait),
        )
