"""What changed between two facilities files: what a maintainer reviews before publishing a
refreshed directory.

Sites are matched by ``facility_id`` (a hash of name, program, street and ZIP, so a site that
moved to another street reads as one removed and one added — unless it keeps its id because only
its point moved). For each state: sites added, no longer listed, moved (point more than
:data:`MOVED_METRES` away), and changed phone, services or accreditation.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..core.facility import Facility
from ..core.geo import great_circle_km
from ..core.schema import read_records
from ..core.taxonomy import Taxonomy

MOVED_METRES = 200.0
KINDS = ("added", "no_longer_listed", "moved", "phone", "services", "accreditation")


def diff_records(
    old: list[Facility], new: list[Facility], taxonomy: Taxonomy | None = None, examples: int = 5
) -> dict[str, object]:
    """Counts of each kind of change by state, totals, and a few examples of each (ids and names)."""
    tax = taxonomy or Taxonomy.load()
    accredited = tax.family_codes("accreditation")
    before = {r.facility_id: r for r in old}
    after = {r.facility_id: r for r in new}
    by_state: dict[str, Counter] = {}
    shown: dict[str, list[dict[str, str]]] = {k: [] for k in KINDS}

    def note(kind: str, record: Facility, detail: str = "") -> None:
        by_state.setdefault(record.state or "?", Counter())[kind] += 1
        if len(shown[kind]) < examples:
            shown[kind].append(
                {
                    "facility_id": record.facility_id,
                    "name": record.name,
                    "state": record.state,
                    **({"change": detail} if detail else {}),
                }
            )

    for fid in sorted(after.keys() - before.keys()):
        note("added", after[fid])
    for fid in sorted(before.keys() - after.keys()):
        note("no_longer_listed", before[fid])
    for fid in sorted(before.keys() & after.keys()):
        a, b = before[fid], after[fid]
        if a.located and b.located:
            metres = great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude) * 1000
            if metres > MOVED_METRES:
                note("moved", b, f"{metres:,.0f} m")
        if (a.phone, a.intake_phone) != (b.phone, b.intake_phone):
            note("phone", b, f"{a.phone or '-'} -> {b.phone or '-'}")
        if a.service_codes != b.service_codes:
            gained, lost = sorted(b.service_codes - a.service_codes), sorted(a.service_codes - b.service_codes)
            note("services", b, f"+{','.join(gained) or '-'} -{','.join(lost) or '-'}")
        if a.service_codes & accredited != b.service_codes & accredited:
            note(
                "accreditation",
                b,
                f"{','.join(sorted(a.service_codes & accredited)) or '-'} -> "
                f"{','.join(sorted(b.service_codes & accredited)) or '-'}",
            )
    totals = Counter()
    for counts in by_state.values():
        totals.update(counts)
    return {
        "old_sites": len(before),
        "new_sites": len(after),
        "totals": {k: totals[k] for k in KINDS},
        "by_state": {state: {k: counts[k] for k in KINDS} for state, counts in sorted(by_state.items())},
        "examples": shown,
    }


def diff_files(old: str | Path, new: str | Path, taxonomy: Taxonomy | None = None) -> dict[str, object]:
    return diff_records(read_records(old), read_records(new), taxonomy)


def table(report: dict[str, object]) -> str:
    """The by-state counts as a plain-text table, totals last."""
    header = ["state", *KINDS]
    rows = [[state, *(str(counts[k]) for k in KINDS)] for state, counts in report["by_state"].items()]
    rows.append(["total", *(str(report["totals"][k]) for k in KINDS)])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)
