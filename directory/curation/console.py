"""The staff console's rules, without a screen: who is a maintainer, what each call outcome writes, and
the activity log — the same library for the console (after sign-in) and, where it applies, the CLI.

Who is a maintainer is configuration, :data:`MAINTAINERS_ENV`: e-mail addresses, or a claim of the
identity provider's token as ``claim=value`` (``groups=directory-maintainers`` matches a token whose
``groups`` claim is or contains that value), separated by commas or spaces. An e-mail address matches
only when the provider has not said it is unverified (``email_verified: false``). No setting: nobody.

Every outcome is one or more correction lines (:mod:`directory.pipeline.corrections`) with ``by`` the
signed-in person's e-mail — never typed — and ``verified_how`` phone; all of an outcome's lines are
checked before the first is written, so a refused outcome writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from ..core.errors import NotAllowed, ValidationError
from ..core.i18n import N_
from ..pipeline.corrections import FIELDS, Correction, check, new

MAINTAINERS_ENV = "DIRECTORY_MAINTAINERS"


def maintainers_setting(value: str | None = None) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """``(e-mail addresses, (claim, value) pairs)`` of the setting (default: the environment's).

    >>> emails, claims = maintainers_setting("a@example.org, groups=staff  B@Example.org")
    >>> sorted(emails), claims
    (['a@example.org', 'b@example.org'], (('groups', 'staff'),))
    """
    text = os.environ.get(MAINTAINERS_ENV, "") if value is None else value
    emails, claims = set(), []
    for entry in text.replace(",", " ").split():
        if "=" in entry:
            name, _, wanted = entry.partition("=")
            if name and wanted:
                claims.append((name, wanted))
        elif "@" in entry:
            emails.add(entry.casefold())
    return frozenset(emails), tuple(claims)


def is_maintainer(claims: Mapping[str, object], setting: str | None = None) -> bool:
    """Whether the signed-in person with these token ``claims`` is a maintainer.

    >>> is_maintainer({"email": "A@example.org"}, "a@example.org")
    True
    >>> is_maintainer({"email": "a@example.org", "email_verified": False}, "a@example.org")
    False
    >>> is_maintainer({"email": "x@example.org", "groups": ["staff", "x"]}, "groups=staff")
    True
    >>> is_maintainer({}, "")
    False
    """
    emails, wanted_claims = maintainers_setting(setting)
    email = str(claims.get("email") or "").casefold()
    if email and email in emails and claims.get("email_verified", True) is not False:
        return True
    for name, wanted in wanted_claims:
        value = claims.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        if wanted in [str(v) for v in values if v is not None]:
            return True
    return False


def signed_in_maintainer(claims: Mapping[str, object] | None, setting: str | None = None) -> str:
    """The e-mail of the signed-in maintainer, or :class:`NotAllowed` saying why not in one line: what
    every action of the console calls first, on the server, each time."""
    if not claims or not claims.get("is_logged_in", True):
        raise NotAllowed("sign in first: only the directory's maintainers can change records", status=401)
    email = str(claims.get("email") or "").strip()
    if not email:
        raise NotAllowed("your sign-in gave no e-mail address, so a change could not say who made it", status=403)
    if not is_maintainer(claims, setting):
        raise NotAllowed(f"{email} is signed in but is not one of this directory's maintainers", status=403)
    return email


@dataclass(frozen=True)
class Outcome:
    """What a call can end in, and the correction line it writes."""

    name: str
    label: str
    #: The line's action (and, for an attempt, its ``field``).
    action: str
    field: str = ""


OUTCOMES = (
    Outcome("verified", N_("Verified as listed"), "verified"),
    Outcome("changed", N_("Changed"), "set"),
    Outcome("wrong_number", N_("Wrong number"), "attempt", "wrong_number"),
    Outcome("no_answer", N_("No answer"), "attempt", "no_answer"),
    Outcome("closed", N_("Closed"), "closed"),
    Outcome("declined", N_("Declined to confirm"), "attempt", "declined"),
)
OUTCOME = {o.name: o for o in OUTCOMES}
#: What a "Changed" outcome may edit (the fields a correction may change).
EDITABLE = FIELDS


def outcome_lines(
    outcome: str,
    facility_id: str,
    *,
    by: str,
    record: Mapping[str, str] | None = None,
    changes: Mapping[str, str] | None = None,
    reason: str = "",
    report_id: str = "",
    today: date | None = None,
) -> list[Correction]:
    """The correction lines of one call's ``outcome`` (not yet numbered): raises
    :class:`ValidationError` when they cannot be written (a value that is not a phone, a "changed" that
    changes nothing). ``changes`` maps a field to its new text (empty text clears it); fields whose new
    text equals the ``record``'s are left out."""
    if outcome not in OUTCOME:
        raise ValidationError(f"outcome must be one of {', '.join(OUTCOME)}, not {outcome!r}")
    o = OUTCOME[outcome]
    when = (today or date.today()).isoformat()
    common = {"by": by, "verified_how": "phone", "verified_on": when, "reason": reason, "report_id": report_id}
    if o.name != "changed":
        return [new(facility_id, o.action, field=o.field, **common)]
    record = record or {}
    lines = []
    for name, text in (changes or {}).items():
        if name not in EDITABLE:
            raise ValidationError(f"{name} cannot be changed here")
        text = " ".join(str(text).split()) if name != "notes" else str(text).strip()
        if text == str(record.get(name, "")).strip():
            continue
        action = "set" if text else "clear"
        line = new(facility_id, action, field=name, value=text, **common)
        if action == "set" and line.value == str(record.get(name, "")):
            continue  # the same value written another way ((727) 555-0100 for 727-555-0100)
        lines.append(line)
    if not lines:
        raise ValidationError("nothing was changed: edit a field, or choose Verified as listed")
    return lines


def record_outcome(lines: list[Correction], corrections, known: Callable[[str], bool] | None) -> list[Correction]:
    """Write an outcome's ``lines`` to ``corrections`` (a corrections file or the database's table),
    after checking every one of them; returns them numbered. ``known(facility_id)`` says whether the
    directory has the site (None: the store checks it as it writes, as the database does)."""
    known = known or (lambda _fid: True)
    existing = corrections.lines()
    for line in lines:
        check(line, existing, known)
    return [corrections.add(line, known=known) for line in lines]


@dataclass(frozen=True)
class Activity:
    """One thing a maintainer did."""

    when: str
    who: str
    what: str
    facility_id: str = ""


def activity(lines: Iterable[Correction], resolutions: Iterable, links: Iterable) -> list[Activity]:
    """Who did what when — corrections (with call outcomes), reports resolved, provider links issued
    and revoked —, newest first."""
    found = [
        Activity(c.recorded_at or c.verified_on, c.by, c.describe().split(" ", 2)[-1], c.facility_id) for c in lines
    ]
    for r in resolutions:
        if not r.by_correction:
            found.append(Activity(r.resolved, r.by, f"resolved report {r.report_id}: {r.note}"))
    for link in links:
        found.append(
            Activity(link.created.isoformat(), link.issued_by, f"issued provider link {link.id}", link.facility_id)
        )
        if link.revoked is not None:
            found.append(
                Activity(
                    link.revoked.isoformat(), link.revoked_by, f"revoked provider link {link.id}", link.facility_id
                )
            )
    return sorted(found, key=lambda a: a.when, reverse=True)


ACTIVITY_COLUMNS = ("when", "who", "what", "facility_id")
