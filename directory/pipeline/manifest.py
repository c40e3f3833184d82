"""The build manifest (``data/sources/sources.toml``): which sources make the directory, and how to
name them to people.

>>> source_label("findtreatment-2025-ma")
'FindTreatment.gov export, Aug 2025'
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..core import paths
from ..core.errors import ManifestError
from ..core.i18n import N_
from .importers import ADAPTERS

#: What a source tells: "full" — a complete listing of each site's services at its vintage; "partial" —
#: specific facts (MAT medications, an OTP, a state licence); "listing" — only that a facility (a name
#: and a point) was listed then: it dates a site's ``last_listed`` and adds sites, never services or addresses.
KINDS = ("full", "partial", "listing")


@dataclass(frozen=True)
class SourceEntry:
    """One ``[[source]]`` entry of the manifest."""

    id: str
    path: Path
    adapter: str
    vintage: str
    title: str = ""
    licence: str = ""
    mapping: Path | None = None
    #: One of :data:`KINDS`.
    kind: str = "full"
    #: A short name for people ("FindTreatment.gov export"); the title when the manifest gives none.
    name: str = ""
    #: Every file of the source (``path`` is the first); several when a release comes in cuts.
    paths: tuple[Path, ...] = ()
    #: False when the source's names are not a site's name (CMS: legal entities cut at 35 characters):
    #: it is linked after the others, joins the sites they name and names only the ones nobody else lists.
    names_sites: bool = True
    #: What the source certifies, where it is the register of it ("otp": SAMHSA's OTP directory): a site
    #: of that kind the newest such source does not list is said to be absent from it.
    certifies: str = ""

    @property
    def files(self) -> tuple[Path, ...]:
        return self.paths or (self.path,)


def read_manifest(path: str | Path | None = None) -> list[SourceEntry]:
    """Parse and check ``sources.toml``; paths in it are relative to its folder."""
    p = Path(path) if path else paths.MANIFEST
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{p}: no such manifest") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{p}: not valid TOML ({exc})") from None
    entries, seen = [], set()
    for i, item in enumerate(data.get("source", []), start=1):
        missing = {"id", "path", "adapter", "vintage"} - set(item)
        if missing:
            raise ManifestError(f"{p}: source {i} lacks {', '.join(sorted(missing))}")
        if item["id"] in seen:
            raise ManifestError(f"{p}: source id {item['id']!r} appears twice")
        if item["adapter"] not in ADAPTERS:
            raise ManifestError(f"{p}: source {item['id']!r} names unknown adapter {item['adapter']!r}")
        try:
            dt.date.fromisoformat(str(item["vintage"]))
        except ValueError:
            raise ManifestError(f"{p}: source {item['id']!r} vintage {item['vintage']!r} is not an ISO date") from None
        kind = item.get("kind", "full")
        if kind not in KINDS:
            raise ManifestError(f"{p}: source {item['id']!r} kind must be one of {', '.join(KINDS)}, not {kind!r}")
        seen.add(item["id"])
        files = item["path"] if isinstance(item["path"], list) else [item["path"]]
        if not files or not all(isinstance(f, str) for f in files):
            raise ManifestError(f"{p}: source {item['id']!r} path must be a file name or a list of them")
        entries.append(
            SourceEntry(
                item["id"],
                p.parent / files[0],
                item["adapter"],
                str(item["vintage"]),
                item.get("title", ""),
                item.get("licence", ""),
                p.parent / item["mapping"] if "mapping" in item else None,
                kind,
                item.get("name", ""),
                tuple(p.parent / f for f in files),
                bool(item.get("names_sites", True)),
                str(item.get("certifies", "")),
            )
        )
    if not entries:
        raise ManifestError(f"{p}: no [[source]] entries")
    return entries


@lru_cache(maxsize=4)
def _entries(path: Path) -> dict[str, SourceEntry]:
    try:
        return {e.id: e for e in read_manifest(path)}
    except ManifestError:
        return {}


def source_kind(source_id: str, manifest: str | Path | None = None) -> str:
    """A source's kind (:data:`KINDS`); '' when the manifest does not know it."""
    entry = _entries(Path(manifest) if manifest else paths.MANIFEST).get(source_id)
    return entry.kind if entry else ""


def source_label(source_id: str, manifest: str | Path | None = None) -> str:
    """A source as people read it: its short name and the month of its vintage; the id itself when
    the manifest does not know it."""
    from ..core.i18n import _, month
    from ..core.taxonomy import localized

    # Not a release: maintainers' verified corrections (directory/pipeline/corrections.py).
    if source_id == "corrections":
        return _(CORRECTIONS_LABEL)
    entry = _entries(Path(manifest) if manifest else paths.MANIFEST).get(source_id)
    if entry is None:
        return source_id
    name = localized("source", entry.id, entry.name or entry.title or entry.id)
    return f"{name}, {month(dt.date.fromisoformat(entry.vintage))}"


def source_entry(source_id: str, manifest: str | Path | None = None) -> SourceEntry | None:
    """A source's manifest entry; None when the manifest does not know it."""
    return _entries(Path(manifest) if manifest else paths.MANIFEST).get(source_id)


def register_of(what: str, manifest: str | Path | None = None) -> SourceEntry | None:
    """The newest source that is the register of ``what`` (``certifies = "otp"``); None when none is."""
    found = [e for e in _entries(Path(manifest) if manifest else paths.MANIFEST).values() if e.certifies == what]
    return max(found, key=lambda e: e.vintage, default=None)


#: How people read the corrections "source" (translated where shown).
CORRECTIONS_LABEL = N_("Maintainers' verified corrections")


#: The id a refreshed FindTreatment.gov export is registered under (one at a time: the newest).
REFRESH_ID = "findtreatment-refresh"


def register_source(
    path: str | Path, vintage: str, manifest: str | Path | None = None, source_id: str = REFRESH_ID
) -> str:
    """Make ``path`` (a refreshed FindTreatment.gov export) a *full* source of the build, dated
    ``vintage``: its services, phones and accreditation supersede older ones for the sites it
    lists. An earlier entry with the same id is replaced. Returns the id."""
    import os

    from ..core.tables import atomic_writer

    target = Path(manifest) if manifest else paths.MANIFEST
    text = target.read_text(encoding="utf-8")
    head, *blocks = text.split("\n[[source]]")
    mine = re.compile(rf'^\s*id\s*=\s*"{re.escape(source_id)}"\s*$', re.M)
    kept = [b for b in blocks if not mine.search(b)]
    relative = os.path.relpath(Path(path).resolve(), target.parent.resolve())
    entry = (
        f'\nid = "{source_id}"\nname = "FindTreatment.gov refresh"\npath = "{relative}"\n'
        f'adapter = "findtreatment"\nvintage = "{vintage}"\nkind = "full"\n'
        f'title = "FindTreatment.gov locator, harvested by directory refresh findtreatment on {vintage}"\n'
        'licence = "SAMHSA, U.S. federal government work (public domain)"\n'
    )
    body = head + "".join("\n[[source]]" + b for b in kept) + "\n[[source]]" + entry
    with atomic_writer(target, "w", encoding="utf-8") as fh:
        fh.write(body.rstrip("\n") + "\n")
    _entries.cache_clear()
    read_manifest(target)  # still a valid manifest
    return source_id
